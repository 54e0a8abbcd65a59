"""Rate card pages of the pricing console: the list and create form, a card's page with its rate
table (filtered, or as of a moment), and the in-place rate editor (add, show a row, edit a row)."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from billing_console.api import ApplicationError
from billing_console.preferences import remembered_filters
from billing_console.roles import role_required
from pricing import services
from pricing.console import queries
from pricing.console.form_fields import ListFilterForm
from pricing.console.rate_card_forms import (
    RateAddForm,
    RateCardCreateForm,
    RateEditForm,
    RateFilterForm,
)
from pricing.console.rate_card_rows import card_row, card_rows
from pricing.console.tier_rows import TierRowsMixin, tier_errors_to_rows
from pricing.console.view_helpers import (
    PAGE_SIZE,
    add_service_error,
    client_redirect,
    status_filter,
)
from pricing.models import Rate, RateCard

# Service error fields ("field: why") -> the form field that shows the error.
RATE_ERROR_FIELDS = {"product_id": "product", "tiers": "tier_price"}
FILTER_KEYS = ("q", "type", "when", "products", "rates")


def rate_service_error(form: TierRowsMixin, err: ApplicationError) -> None:
    """A service error beside its field: a tier's beside its row."""
    if not tier_errors_to_rows(form, err.message):
        add_service_error(form, err, RATE_ERROR_FIELDS)


def rate_card_or_404(rate_card_id: Any) -> RateCard:
    card = (
        RateCard.objects.select_related("fiat_credit_type").filter(public_id=rate_card_id).first()
    )
    if card is None:
        raise Http404("No such rate card.")
    return card


def rate_or_404(card: RateCard, rate_id: Any) -> Rate:
    rate = queries.rate_get(card, rate_id)
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
    status = status_filter(filters.cleaned_data.get("status"))
    qs = queries.rate_card_list(search=filters.cleaned_data.get("q", ""), status=status)
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
            add_service_error(form, err, {"fiat_credit_type_id": "fiat_credit_type"})
        else:
            messages.success(request, f"Rate card “{card.name}” created.")
            return client_redirect(
                request, reverse("pricing:rate-card-detail", args=[card.public_id])
            )
    template = (
        "pricing/rate_card_list.html#create-form"
        if request.htmx
        else "pricing/rate_card_create.html"
    )
    return render(request, template, {"form": form}, status=422)


def _rate_filters(request: HttpRequest) -> RateFilterForm:
    params: QueryDict = remembered_filters(request, "rate-card-rates", FILTER_KEYS).copy()
    if request.GET.get("as_of"):
        params["as_of"] = request.GET["as_of"]
    filters = RateFilterForm(params)
    filters.is_valid()
    return filters


def _rate_card_context(request: HttpRequest, card: RateCard, **extra: Any) -> dict[str, Any]:
    filters = _rate_filters(request)
    data = filters.cleaned_data
    rows = card_rows(
        card,
        now=timezone.now(),
        search=data.get("q") or "",
        rate_type=data.get("type") or "",
        when=data.get("when") or "",
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
        "add_form": extra.pop("add_form", None)
        or RateAddForm(initial={"entitled": True}, credit_type=card.fiat_credit_type),
        "packages": list(card.packages.filter(archived_at__isnull=True).order_by("name")[:20]),
        **extra,
    }


@require_GET
@login_required
@vary_on_headers("HX-Request")
def rate_card_detail(request: HttpRequest, rate_card_id: str) -> HttpResponse:
    card = rate_card_or_404(rate_card_id)
    template = "pricing/rate_card_detail.html"
    if request.htmx and request.htmx.target == "rate-table":
        template += "#rate-table"
    return render(request, template, _rate_card_context(request, card))


@require_POST
@login_required
@role_required()
def rate_card_archive(request: HttpRequest, rate_card_id: str) -> HttpResponse:
    card = services.rate_card_archive(rate_card=rate_card_or_404(rate_card_id))
    messages.success(request, f"Rate card “{card.name}” archived.")
    return client_redirect(request, reverse("pricing:rate-card-detail", args=[card.public_id]))


@require_POST
@login_required
@role_required()
def rate_add(request: HttpRequest, rate_card_id: str) -> HttpResponse:
    card = rate_card_or_404(rate_card_id)
    form = RateAddForm(request.POST, credit_type=card.fiat_credit_type)
    if form.rows_changed:  # a tier row added or removed: the form again, nothing saved
        return _add_form_response(request, card, form, 200)
    if form.is_valid():
        try:
            rate = services.rate_add(
                rate_card=card, product=form.cleaned_data["product"], **form.rate_fields()
            )
        except ApplicationError as err:
            rate_service_error(form, err)
        else:
            messages.success(
                request, f"Rate for {rate.product.name} from {rate.starting_at:%Y-%m-%d} added."
            )
            return client_redirect(
                request, reverse("pricing:rate-card-detail", args=[card.public_id])
            )
    return _add_form_response(request, card, form, 422)


def _add_form_response(
    request: HttpRequest, card: RateCard, form: RateAddForm, status: int
) -> HttpResponse:
    if request.htmx:
        context = {"card": card, "add_form": form}
        return render(
            request, "pricing/rate_card_detail.html#rate-add-form", context, status=status
        )
    context = _rate_card_context(request, card, add_form=form)
    return render(request, "pricing/rate_card_detail.html", context, status=status)


def _rate_row_response(
    request: HttpRequest,
    card: RateCard,
    rate: Rate,
    form: RateEditForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {"card": card, "row": card_row(rate, timezone.now()), "form": form}
    partial = "rate-row-edit" if form is not None else "rate-row"
    return render(request, f"pricing/rate_card_detail.html#{partial}", context, status=status)


@require_GET
@login_required
def rate_row(request: HttpRequest, rate_card_id: str, rate_id: str) -> HttpResponse:
    """One row of the rate table, as displayed (Cancel of an in-place edit)."""
    card = rate_card_or_404(rate_card_id)
    rate = rate_or_404(card, rate_id)
    if not request.htmx:
        return redirect("pricing:rate-card-detail", card.public_id)
    return _rate_row_response(request, card, rate)


@require_http_methods(["GET", "POST"])
@login_required
@role_required()
def rate_edit(request: HttpRequest, rate_card_id: str, rate_id: str) -> HttpResponse:
    """GET: the row as a form. POST: rate_update; the updated row, or the form with errors (422)."""
    card = rate_card_or_404(rate_card_id)
    rate = rate_or_404(card, rate_id)
    if request.method == "GET":
        form = RateEditForm.for_rate(rate)
        if not request.htmx:
            context = _rate_card_context(request, card, editing=rate.public_id, edit_form=form)
            return render(request, "pricing/rate_card_detail.html", context)
        return _rate_row_response(request, card, rate, form)
    form = RateEditForm.for_rate(rate, data=request.POST)
    if form.rows_changed:  # a tier row added or removed: the row again, nothing saved
        if not request.htmx:
            context = _rate_card_context(request, card, editing=rate.public_id, edit_form=form)
            return render(request, "pricing/rate_card_detail.html", context)
        return _rate_row_response(request, card, rate, form)
    if form.is_valid():
        try:
            rate = services.rate_update(rate=rate, **form.rate_fields())
        except ApplicationError as err:
            rate_service_error(form, err)
        else:
            if not request.htmx:
                messages.success(request, f"Rate for {rate.product.name} saved.")
                return redirect("pricing:rate-card-detail", card.public_id)
            return _rate_row_response(request, card, rate_or_404(card, rate_id))
    if not request.htmx:
        context = _rate_card_context(request, card, editing=rate.public_id, edit_form=form)
        return render(request, "pricing/rate_card_detail.html", context, status=422)
    return _rate_row_response(request, card, rate_or_404(card, rate_id), form, status=422)
