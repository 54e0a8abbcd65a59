"""Product pages of the pricing console: the list, a product's versions and audit trail, and
the create/update forms (a billable metric can be created in the same submit)."""

from datetime import datetime, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from billing_console.api import ApplicationError
from billing_console.preferences import remembered_filters
from billing_console.roles import role_required
from pricing import selectors, services
from pricing.console import queries
from pricing.console.product_forms import (
    ProductCreateForm,
    ProductFields,
    ProductFilterForm,
    ProductUpdateForm,
)
from pricing.console.view_helpers import (
    PAGE_SIZE,
    add_service_error,
    client_redirect,
    status_filter,
)
from pricing.models import Product
from usage.services import billable_metric_create

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


def _get_product(product_id: Any) -> Product:
    product = queries.with_versions(Product.objects.filter(public_id=product_id)).first()
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
    status = status_filter(filters.cleaned_data.get("status"))
    archived = {"active": "NOT_ARCHIVED", "archived": "ARCHIVED", "all": "ANY"}[status]
    qs = selectors.product_list(
        archived=archived,
        search=filters.cleaned_data.get("q", ""),
        product_type=filters.cleaned_data.get("type", ""),
    )
    page = Paginator(queries.with_versions(qs), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = queries.product_rows(page.object_list, timezone.now())
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
            return client_redirect(
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
        add_service_error(form, err, METRIC_ERROR_FIELDS)
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
        add_service_error(form, err, PRODUCT_ERROR_FIELDS)
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
        add_service_error(form, err, PRODUCT_ERROR_FIELDS)
        raise _FormError from err


@require_GET
@login_required
def product_detail(request: HttpRequest, product_id: str) -> HttpResponse:
    product = _get_product(product_id)
    now = timezone.now()
    current = queries.version_at(product, now)
    if current is None:
        raise Http404("The product has no definition.")
    versions = [
        {
            "version": v,
            "current": v is current,
            "scheduled": v.starting_at > now and v is not product.dated[0],
            "metric_summary": queries.metric_summary(v.billable_metric),
            "composite_names": queries.product_names(v.composite_product_ids),
        }
        for v in reversed(product.dated)
    ]
    context = {
        "product": product,
        "current": current,
        "current_row": next(v for v in versions if v["current"]),
        "versions": versions,
        "first_start": product.dated[0].starting_at if product.dated else None,
        "audit": queries.product_audit(product),
    }
    return render(request, "pricing/product_detail.html", context)


@require_http_methods(["GET", "POST"])
@login_required
@role_required()
def product_update(request: HttpRequest, product_id: str) -> HttpResponse:
    product = _get_product(product_id)
    if product.archived_at is not None:
        messages.error(request, "Archived products cannot be changed.")
        return client_redirect(request, reverse("pricing:product-detail", args=[product.public_id]))
    if request.method == "GET":
        current = queries.version_at(product, timezone.now())
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
            return client_redirect(
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
    return client_redirect(request, reverse("pricing:product-detail", args=[product.public_id]))
