"""The pricing console: products, rate cards (with the in-place rate editor) and packages.
One URL serves a page and its htmx fragment; every change goes through pricing.services."""

import re
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from billing_console.api import ApplicationError
from billing_console.preferences import remembered_filters
from billing_console.roles import role_required
from pricing import console_queries, packages, selectors, services
from pricing.forms import (
    ListFilterForm,
    PackageCreateForm,
    ProductCreateForm,
    ProductFields,
    ProductFilterForm,
    ProductUpdateForm,
    RateAddForm,
    RateCardCreateForm,
    RateEditForm,
    RateFilterForm,
)
from pricing.models import Package, Product, Rate, RateCard
from usage.services import billable_metric_create

PAGE_SIZE = 50

# Service error fields ("field: why") -> the form field that shows the error.
PRODUCT_ERROR_FIELDS = {
    "billable_metric_id": "billable_metric",
    "quantity_conversion.conversion_factor": "conversion_factor",
    "quantity_conversion.operation": "conversion_operation",
    "quantity_conversion": "conversion_factor",
    "quantity_rounding.decimal_places": "rounding_decimal_places",
    "quantity_rounding.rounding_method": "rounding_method",
    "quantity_rounding": "rounding_decimal_places",
    "composite_product_ids": "composite_products",
}
METRIC_ERROR_FIELDS = {
    "name": "metric_name",
    "event_type_filter": "metric_event_types",
    "property_filters": "metric_event_types",
    "aggregation_type": "metric_aggregation_type",
    "aggregation_key": "metric_aggregation_key",
    "group_keys": "metric_group_keys",
    "sql": "metric_name",
}
RATE_ERROR_FIELDS = {"product_id": "product"}
PACKAGE_ERROR_FIELDS = {"rate_card_id": "rate_card", "rate_card_alias": "rate_card"}


def _add_service_error(
    form: forms.Form,
    err: ApplicationError,
    mapping: dict[str, str] | None = None,
    default: str | None = None,
) -> None:
    """Show "field: why" beside the field it names (others: beside `default`, or above the form)."""
    mapping = mapping or {}
    match = re.match(r"[a-z_][a-z_.]*", err.message)
    head = match.group(0).rstrip(".") if match else ""
    root = head.split(".")[0]
    text = err.message.split(": ", 1)[1] if ": " in err.message else err.message
    for candidate in (head, root):
        field = mapping.get(candidate) or (candidate if candidate in form.fields else None)
        if field in form.fields:
            form.add_error(field, text if candidate == head else err.message)
            return
    form.add_error(default, err.message)


def _client_redirect(request: HttpRequest, url: str) -> HttpResponse:
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _status_filter(qs_status: str | None) -> str:
    return qs_status if qs_status in ("active", "archived", "all") else "active"


# -- products ---------------------------------------------------------------------------------


def _get_product(product_id: Any) -> Product:
    product = console_queries.with_versions(Product.objects.filter(public_id=product_id)).first()
    if product is None:
        raise Http404("No such product.")
    return product


@require_GET
@login_required
@vary_on_headers("HX-Request")
def product_list(request: HttpRequest) -> HttpResponse:
    params = remembered_filters(request, "product-list", ("q", "status", "type"))
    filters = ProductFilterForm(params)
    filters.is_valid()
    status = _status_filter(filters.cleaned_data.get("status"))
    archived = {"active": "NOT_ARCHIVED", "archived": "ARCHIVED", "all": "ANY"}[status]
    qs = selectors.product_list(
        archived=archived,
        search=filters.cleaned_data.get("q", ""),
        product_type=filters.cleaned_data.get("type", ""),
    )
    page = Paginator(console_queries.with_versions(qs), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = console_queries.product_rows(page.object_list, timezone.now())
    template = "pricing/product_list.html"
    if request.htmx and request.htmx.target == "product-table":
        template += "#product-table"
    context = {"filters": filters, "page": page, "rows": rows, "status": status}
    return render(request, template, context)


def _product_form_response(
    request: HttpRequest, form: ProductFields, product: Product | None, status: int = 200
) -> HttpResponse:
    template = "pricing/product_form.html"
    if request.htmx and status != 200:
        template += "#product-form"
    return render(request, template, {"form": form, "product": product}, status=status)


@require_http_methods(["GET", "POST"])
@login_required
@role_required()
def product_create(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _product_form_response(request, ProductCreateForm(), None)
    form = ProductCreateForm(request.POST)
    if form.is_valid():
        try:
            product = _create_product_and_metric(form)
        except _FormError:
            pass
        else:
            messages.success(request, f"Product “{product.name}” created.")
            return _client_redirect(
                request, reverse("pricing:product-detail", args=[product.public_id])
            )
    return _product_form_response(request, form, None, status=422)


class _FormError(Exception):
    """A service refused the input; the error is already on the form."""


def _metric_for(form: ProductFields) -> Any:
    """The chosen metric, or a new one created from the form (inside the caller's transaction)."""
    spec = form.new_metric()
    if spec is None:
        return form.cleaned_data.get("billable_metric")
    try:
        return billable_metric_create(**spec)
    except ApplicationError as err:
        _add_service_error(form, err, METRIC_ERROR_FIELDS)
        raise _FormError from err


@transaction.atomic
def _create_product_and_metric(form: ProductCreateForm) -> Product:
    """Metric and product in one transaction: a refused product leaves no orphan metric
    (_FormError leaves the atomic block, which rolls both back)."""
    metric = _metric_for(form)
    try:
        return services.product_create(
            type=form.cleaned_data["type"], billable_metric=metric, **form.product_fields()
        )
    except ApplicationError as err:
        _add_service_error(form, err, PRODUCT_ERROR_FIELDS)
        raise _FormError from err


@transaction.atomic
def _update_product_and_metric(form: ProductUpdateForm, product: Product) -> Product:
    metric = _metric_for(form)
    try:
        return services.product_update(
            product=product,
            starting_at=form.cleaned_data["starting_at"],
            billable_metric=metric,
            **form.product_fields(),
        )
    except ApplicationError as err:
        _add_service_error(form, err, PRODUCT_ERROR_FIELDS)
        raise _FormError from err


@require_GET
@login_required
def product_detail(request: HttpRequest, product_id: str) -> HttpResponse:
    product = _get_product(product_id)
    now = timezone.now()
    current = console_queries.version_at(product, now)
    if current is None:
        raise Http404("The product has no definition.")
    versions = [
        {
            "version": v,
            "current": v is current,
            "scheduled": v.starting_at > now and v is not product.dated[0],
            "metric_summary": console_queries.metric_summary(v.billable_metric),
            "composite_names": console_queries.product_names(v.composite_product_ids),
        }
        for v in reversed(product.dated)
    ]
    context = {
        "product": product,
        "current": current,
        "current_row": next(v for v in versions if v["current"]),
        "versions": versions,
        "first_start": product.dated[0].starting_at if product.dated else None,
        "audit": console_queries.product_audit(product),
    }
    return render(request, "pricing/product_detail.html", context)


@require_http_methods(["GET", "POST"])
@login_required
@role_required()
def product_update(request: HttpRequest, product_id: str) -> HttpResponse:
    product = _get_product(product_id)
    if product.archived_at is not None:
        messages.error(request, "Archived products cannot be changed.")
        return _client_redirect(
            request, reverse("pricing:product-detail", args=[product.public_id])
        )
    if request.method == "GET":
        current = console_queries.version_at(product, timezone.now())
        initial = ProductFields.initial_from(current) | {"starting_at": _next_hour()}
        return _product_form_response(request, ProductUpdateForm(initial=initial), product)
    form = ProductUpdateForm(request.POST)
    if form.is_valid():
        try:
            _update_product_and_metric(form, product)
        except _FormError:
            pass
        else:
            starting_at = form.cleaned_data["starting_at"]
            messages.success(request, f"New version from {starting_at:%Y-%m-%d %H:%M} UTC saved.")
            return _client_redirect(
                request, reverse("pricing:product-detail", args=[product.public_id])
            )
    return _product_form_response(request, form, product, status=422)


def _next_hour() -> datetime:
    return timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


@require_POST
@login_required
@role_required()
def product_archive(request: HttpRequest, product_id: str) -> HttpResponse:
    product = services.product_archive(product=_get_product(product_id))
    messages.success(request, f"Product “{product.name}” archived.")
    return _client_redirect(request, reverse("pricing:product-detail", args=[product.public_id]))


# -- rate cards -------------------------------------------------------------------------------


def _get_rate_card(rate_card_id: Any) -> RateCard:
    card = (
        RateCard.objects.select_related("fiat_credit_type").filter(public_id=rate_card_id).first()
    )
    if card is None:
        raise Http404("No such rate card.")
    return card


def _get_rate(card: RateCard, rate_id: Any) -> Rate:
    rate = console_queries.rate_get(card, rate_id)
    if rate is None:
        raise Http404("No such rate.")
    return rate


@require_GET
@login_required
@vary_on_headers("HX-Request")
def rate_card_list(request: HttpRequest) -> HttpResponse:
    params = remembered_filters(request, "rate-card-list", ("q", "status"))
    filters = ListFilterForm(params)
    filters.is_valid()
    status = _status_filter(filters.cleaned_data.get("status"))
    qs = console_queries.rate_card_list(search=filters.cleaned_data.get("q", ""), status=status)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    template = "pricing/rate_card_list.html"
    if request.htmx and request.htmx.target == "rate-card-table":
        template += "#rate-card-table"
    context = {"filters": filters, "page": page, "status": status, "form": RateCardCreateForm()}
    return render(request, template, context)


@require_POST
@login_required
@role_required()
def rate_card_create(request: HttpRequest) -> HttpResponse:
    form = RateCardCreateForm(request.POST)
    if form.is_valid():
        try:
            card = services.rate_card_create(
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                fiat_credit_type=form.cleaned_data["fiat_credit_type"],
            )
        except ApplicationError as err:
            _add_service_error(form, err, {"fiat_credit_type_id": "fiat_credit_type"})
        else:
            messages.success(request, f"Rate card “{card.name}” created.")
            return _client_redirect(
                request, reverse("pricing:rate-card-detail", args=[card.public_id])
            )
    template = (
        "pricing/rate_card_list.html#create-form"
        if request.htmx
        else "pricing/rate_card_create.html"
    )
    return render(request, template, {"form": form}, status=422)


def _rate_filters(request: HttpRequest) -> RateFilterForm:
    params: QueryDict = remembered_filters(request, "rate-card-rates", ("products", "rates")).copy()
    if request.GET.get("as_of"):
        params["as_of"] = request.GET["as_of"]
    filters = RateFilterForm(params)
    filters.is_valid()
    return filters


def _rate_card_context(request: HttpRequest, card: RateCard, **extra: Any) -> dict[str, Any]:
    filters = _rate_filters(request)
    data = filters.cleaned_data
    rows = console_queries.rate_card_rates(
        card,
        as_of=data.get("as_of"),
        archived_products=data.get("products") == "all",
        disabled_rates=data.get("rates") == "all",
    )
    return {
        "card": card,
        "rows": rows,
        "filters": filters,
        "products_filter": data.get("products") or "active",
        "rates_filter": data.get("rates") or "entitled",
        "add_form": extra.pop("add_form", None) or RateAddForm(initial={"entitled": True}),
        "packages": list(card.packages.filter(archived_at__isnull=True).order_by("name")[:20]),
        **extra,
    }


@require_GET
@login_required
@vary_on_headers("HX-Request")
def rate_card_detail(request: HttpRequest, rate_card_id: str) -> HttpResponse:
    card = _get_rate_card(rate_card_id)
    template = "pricing/rate_card_detail.html"
    if request.htmx and request.htmx.target == "rate-table":
        template += "#rate-table"
    return render(request, template, _rate_card_context(request, card))


@require_POST
@login_required
@role_required()
def rate_card_archive(request: HttpRequest, rate_card_id: str) -> HttpResponse:
    card = services.rate_card_archive(rate_card=_get_rate_card(rate_card_id))
    messages.success(request, f"Rate card “{card.name}” archived.")
    return _client_redirect(request, reverse("pricing:rate-card-detail", args=[card.public_id]))


@require_POST
@login_required
@role_required()
def rate_add(request: HttpRequest, rate_card_id: str) -> HttpResponse:
    card = _get_rate_card(rate_card_id)
    form = RateAddForm(request.POST)
    if form.is_valid():
        try:
            rate = services.rate_add(
                rate_card=card, product=form.cleaned_data["product"], **form.rate_fields()
            )
        except ApplicationError as err:
            _add_service_error(form, err, RATE_ERROR_FIELDS)
        else:
            messages.success(
                request, f"Rate for {rate.product.name} from {rate.starting_at:%Y-%m-%d} added."
            )
            return _client_redirect(
                request, reverse("pricing:rate-card-detail", args=[card.public_id])
            )
    if request.htmx:
        context = {"card": card, "add_form": form}
        return render(request, "pricing/rate_card_detail.html#rate-add-form", context, status=422)
    context = _rate_card_context(request, card, add_form=form)
    return render(request, "pricing/rate_card_detail.html", context, status=422)


def _rate_row_response(
    request: HttpRequest,
    card: RateCard,
    rate: Rate,
    form: RateEditForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {"card": card, "row": console_queries.rate_row(rate), "form": form}
    partial = "rate-row-edit" if form is not None else "rate-row"
    return render(request, f"pricing/rate_card_detail.html#{partial}", context, status=status)


@require_GET
@login_required
def rate_row(request: HttpRequest, rate_card_id: str, rate_id: str) -> HttpResponse:
    """One row of the rate table, as displayed (Cancel of an in-place edit)."""
    card = _get_rate_card(rate_card_id)
    rate = _get_rate(card, rate_id)
    if not request.htmx:
        return redirect("pricing:rate-card-detail", card.public_id)
    return _rate_row_response(request, card, rate)


@require_http_methods(["GET", "POST"])
@login_required
@role_required()
def rate_edit(request: HttpRequest, rate_card_id: str, rate_id: str) -> HttpResponse:
    """GET: the row as a form. POST: rate_update; the updated row, or the form with errors (422)."""
    card = _get_rate_card(rate_card_id)
    rate = _get_rate(card, rate_id)
    if request.method == "GET":
        form = RateEditForm.for_rate(rate)
        if not request.htmx:
            context = _rate_card_context(request, card, editing=rate.public_id, edit_form=form)
            return render(request, "pricing/rate_card_detail.html", context)
        return _rate_row_response(request, card, rate, form)
    form = RateEditForm.for_rate(rate, data=request.POST)
    if form.is_valid():
        try:
            rate = services.rate_update(rate=rate, **form.rate_fields())
        except ApplicationError as err:
            _add_service_error(form, err, RATE_ERROR_FIELDS)
        else:
            if not request.htmx:
                messages.success(request, f"Rate for {rate.product.name} saved.")
                return redirect("pricing:rate-card-detail", card.public_id)
            return _rate_row_response(request, card, _get_rate(card, rate_id))
    if not request.htmx:
        context = _rate_card_context(request, card, editing=rate.public_id, edit_form=form)
        return render(request, "pricing/rate_card_detail.html", context, status=422)
    return _rate_row_response(request, card, _get_rate(card, rate_id), form, status=422)


# -- packages ---------------------------------------------------------------------------------


@require_GET
@login_required
@vary_on_headers("HX-Request")
def package_list(request: HttpRequest) -> HttpResponse:
    params = remembered_filters(request, "package-list", ("q", "status"))
    filters = ListFilterForm(params)
    filters.is_valid()
    status = _status_filter(filters.cleaned_data.get("status"))
    qs = console_queries.package_list(search=filters.cleaned_data.get("q", ""), status=status)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    template = "pricing/package_list.html"
    if request.htmx and request.htmx.target == "package-table":
        template += "#package-table"
    context = {
        "filters": filters,
        "page": page,
        "status": status,
    }
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
@login_required
@role_required()
def package_create(request: HttpRequest) -> HttpResponse:
    template = "pricing/package_create.html"
    if request.method == "GET":
        return render(request, template, {"form": PackageCreateForm()})
    form = PackageCreateForm(request.POST)
    if form.is_valid():
        try:
            package = packages.package_create(data=form.body())
        except ApplicationError as err:
            _add_service_error(form, err, PACKAGE_ERROR_FIELDS, default="terms")
        else:
            messages.success(request, f"Package “{package.name}” created.")
            url = reverse("pricing:package-detail", args=[package.public_id])
            return _client_redirect(request, url)
    if request.htmx:
        template += "#package-form"
    return render(request, template, {"form": form}, status=422)


@require_GET
@login_required
def package_detail(request: HttpRequest, package_id: str) -> HttpResponse:
    package: Package | None = console_queries.package_get(package_id)
    if package is None:
        raise Http404("No such package.")
    context = {
        "package": package,
        "sections": console_queries.package_term_sections(package),
        "other_terms": console_queries.package_other_terms(package),
    }
    return render(request, "pricing/package_detail.html", context)
