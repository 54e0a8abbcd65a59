"""The usage console: billable metrics (list, detail, create with a live preview), the events
explorer and the customer usage chart. One URL serves the page and its htmx fragment."""

import json
import re
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from billing_console.api import ApplicationError
from billing_console.preferences import remembered_filters
from billing_console.roles import role_required
from customers.models import Customer
from usage import console_queries as queries
from usage import services
from usage.forms import (
    LOOKBACKS,
    EventSearchForm,
    MetricDefinitionForm,
    MetricFilterForm,
    MetricNameForm,
    MetricPreviewForm,
)
from usage.metrics import metric_validate
from usage.models import BillableMetric
from usage.retention import archive_in_force, usage_kept_from
from usage.selectors import customer_event_ids

ARCHIVED = {"active": False, "archived": True, "all": None}
# ApplicationError field prefixes -> the console form field that holds them
ERROR_FIELDS = {
    "name": "name",
    "event_type_filter": "event_types",
    "property_filters": "property_filters",
    "aggregation_type": "aggregation_type",
    "aggregation_key": "aggregation_key",
    "group_keys": "group_keys",
}


def quantity(value: Decimal | None) -> str:
    """A usage quantity for people: thousands separated, no exponent, no trailing zeros."""
    if value is None:
        return "—"
    value = value.normalize()
    return f"{value:,f}" if value == value.to_integral() else f"{value:,f}".rstrip("0")


def _get_metric(metric_id: Any) -> BillableMetric:
    metric = queries.metric_get(metric_id)
    if metric is None:
        raise Http404("No such billable metric.")
    return metric


def _add_error(form: Any, err: ApplicationError) -> None:
    prefix, _, text = err.message.partition(": ")
    base = re.split(r"[.\[]", prefix)[0]
    field = ERROR_FIELDS.get(base) if text else None
    if field is None:
        form.add_error(None, err.message)
    else:
        form.add_error(field, text if prefix == base else f"{prefix}: {text}")


def describe(metric: BillableMetric) -> dict[str, Any]:
    """The definition in words, for the list and the detail page."""
    if metric.sql:
        return {"aggregation": "SQL", "event_types": [], "filters": [], "groups": []}
    aggregation = metric.aggregation_type
    if metric.aggregation_key:
        aggregation += f" of {metric.aggregation_key}"
    filters = []
    for flt in metric.property_filters or []:
        if flt.get("exists") is True:
            filters.append(f"{flt['name']} exists")
        elif flt.get("exists") is False:
            filters.append(f"{flt['name']} does not exist")
        if flt.get("in_values"):
            filters.append(f"{flt['name']} in {', '.join(flt['in_values'])}")
        if flt.get("not_in_values"):
            filters.append(f"{flt['name']} not in {', '.join(flt['not_in_values'])}")
    type_filter = metric.event_type_filter or {}
    return {
        "aggregation": aggregation,
        "event_types": type_filter.get("in_values", []),
        "excluded_types": type_filter.get("not_in_values", []),
        "filters": filters,
        "groups": [", ".join(keys) for keys in metric.group_keys or []],
    }


# -- billable metrics ---------------------------------------------------------------------------


@require_GET
@login_required
@vary_on_headers("HX-Request")
def metric_list(request: HttpRequest) -> HttpResponse:
    params = remembered_filters(request, "billable-metric-list", ("q", "status", "aggregation"))
    filters = MetricFilterForm(params)
    filters.is_valid()
    status = filters.cleaned_data.get("status") or "active"
    aggregation = filters.cleaned_data.get("aggregation") or ""
    metrics = list(
        queries.metric_list(
            search=filters.cleaned_data.get("q", ""),
            archived=ARCHIVED[status],
            aggregation=aggregation,
        )
    )
    products = queries.metric_products([m.pk for m in metrics])
    rows = [{"metric": m, "about": describe(m), "products": products[m.pk]} for m in metrics]
    template = "usage/metric_list.html"
    if request.htmx and request.htmx.target == "metric-table":
        template += "#metric-table"
    context = {"filters": filters, "rows": rows, "status": status, "aggregation": aggregation}
    return render(request, template, context)


def _create_context(form: MetricDefinitionForm, preview_form: MetricPreviewForm) -> dict:
    return {"form": form, "preview_form": preview_form}


def _preview_form(data: Any = None) -> MetricPreviewForm:
    return MetricPreviewForm(data, customers=queries.customer_choices())


@require_http_methods(["GET", "POST"])
@login_required
@role_required()
def metric_create(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        context = _create_context(MetricDefinitionForm(), _preview_form())
        return render(request, "usage/metric_create.html", context)
    form = MetricDefinitionForm(request.POST)
    if form.is_valid():
        try:
            metric = services.billable_metric_create(
                name=form.cleaned_data["name"], **form.definition()
            )
        except ApplicationError as err:
            _add_error(form, err)
        else:
            messages.success(request, f"Billable metric “{metric.name}” created.")
            url = reverse("usage:metric-detail", args=[metric.public_id])
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    context = _create_context(form, _preview_form(request.POST))
    template = "usage/metric_create.html"
    if request.htmx:
        template += "#metric-form"
    return render(request, template, context, status=422)


@require_POST
@login_required
def metric_preview(request: HttpRequest) -> HttpResponse:
    """What the draft definition in the create form computes; validates, never saves."""
    form = _preview_form(request.POST)
    context: dict[str, Any] = {"preview_form": form}
    template = "usage/metric_create.html#metric-preview-body"
    if not form.is_valid():
        return render(request, template, context, status=422)
    try:
        cleaned = metric_validate(**form.definition())
    except ApplicationError as err:
        context["error"] = err.message
        return render(request, template, context, status=422)
    metric = BillableMetric(name=form.cleaned_data["name"] or "draft", **cleaned)
    customer = queries.customer_lookup(form.cleaned_data["preview_customer"])
    if customer is None:
        return render(request, template, context)
    now = timezone.now()
    preview = queries.metric_preview(
        metric=metric,
        customer=customer,
        starting_at=now - LOOKBACKS[form.cleaned_data["lookback"]],
        ending_before=now,
    )
    context.update(
        customer=customer,
        preview=preview,
        total=quantity(preview.total),
        groups=[
            {"keys": keys, "rows": [(values, quantity(value)) for values, value in rows]}
            for keys, rows in preview.groups
        ],
    )
    return render(request, template, context)


def _detail_context(metric: BillableMetric, **extra: Any) -> dict:
    return {
        "metric": metric,
        "kept_from": usage_kept_from(metric),
        "about": describe(metric),
        "products": queries.metric_products([metric.pk])[metric.pk],
        "name_form": extra.pop("name_form", None) or MetricNameForm(initial={"name": metric.name}),
        **extra,
    }


@require_GET
@login_required
def metric_detail(request: HttpRequest, metric_id: str) -> HttpResponse:
    metric = _get_metric(metric_id)
    return render(request, "usage/metric_detail.html", _detail_context(metric))


@require_POST
@login_required
@role_required()
def metric_set_name(request: HttpRequest, metric_id: str) -> HttpResponse:
    metric = _get_metric(metric_id)
    form = MetricNameForm(request.POST)
    if form.is_valid():
        try:
            services.billable_metric_set_name(metric=metric, name=form.cleaned_data["name"])
        except ApplicationError as err:
            form.add_error("name", err.message.partition(": ")[2] or err.message)
        else:
            if not request.htmx:
                return redirect("usage:metric-detail", metric.public_id)
            return render(
                request, "usage/metric_detail.html#metric-header", _detail_context(metric)
            )
    template = "usage/metric_detail.html" + ("#metric-header" if request.htmx else "")
    return render(request, template, _detail_context(metric, name_form=form), status=422)


@require_POST
@login_required
@role_required()
def metric_archive(request: HttpRequest, metric_id: str) -> HttpResponse:
    metric = _get_metric(metric_id)
    try:
        services.billable_metric_archive(metric=metric)
    except ApplicationError as err:
        error = err.message.partition(": ")[2] or err.message
        template = "usage/metric_detail.html" + ("#metric-archive" if request.htmx else "")
        context = _detail_context(metric, archive_error=error)
        return render(request, template, context, status=422)
    messages.success(request, f"Billable metric “{metric.name}” archived.")
    url = reverse("usage:metric-detail", args=[metric.public_id])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


# -- events explorer ----------------------------------------------------------------------------


def _customer_ids(value: str) -> tuple[list[str] | None, Customer | None]:
    """The event customer_ids a typed customer designates (all its ids and aliases)."""
    value = value.strip()
    if not value:
        return None, None
    customer = queries.customer_lookup(value)
    if customer is None:
        return [value], None
    return sorted({value, *customer_event_ids(customer)}), customer


@require_GET
@login_required
@vary_on_headers("HX-Request")
def event_list(request: HttpRequest) -> HttpResponse:
    form = EventSearchForm(request.GET)
    form.is_valid()
    data = {k: v for k, v in form.cleaned_data.items() if k in form.fields}
    customer_ids, customer = _customer_ids(data.get("customer") or "")
    page = queries.event_search(
        transaction_id=(data.get("transaction_id") or "").strip(),
        customer_ids=customer_ids,
        event_type=(data.get("event_type") or "").strip(),
        since=data.get("since"),
        until=data.get("until"),
        after=request.GET.get("after", ""),
    )
    for event in page.events:
        event.customer = page.customers.get(event.customer_id)
        event.metrics = page.matches.get(event.pk, [])
        event.properties_json = json.dumps(event.properties, indent=2, sort_keys=True)
    next_query = None
    if page.next_cursor:
        query = request.GET.copy()
        query["after"] = page.next_cursor
        next_query = query.urlencode()
    first_query = request.GET.copy()
    first_query.pop("after", None)
    context = {
        "form": form,
        "page": page,
        "picked": customer,
        "next_query": next_query,
        "first_query": first_query.urlencode(),
        "paged": bool(request.GET.get("after")),
        "customers": queries.customer_choices(),
        "event_types": queries.event_types(),
        "archive": archive_in_force(),
    }
    template = "usage/event_list.html"
    if request.htmx and request.htmx.target == "event-table":
        template += "#event-table"
    return render(request, template, context)


# -- usage chart on the customer page -----------------------------------------------------------

CHART = {"left": 48, "top": 16, "bar": 18, "gap": 6, "height": 150, "bottom": 40}


def _compact(value: Decimal) -> str:
    for size, suffix in ((Decimal(10) ** 9, "B"), (Decimal(10) ** 6, "M"), (Decimal(1000), "k")):
        if abs(value) >= size:
            return quantity((value / size).quantize(Decimal("0.1"))) + suffix
    if value != value.to_integral():
        return quantity(value.quantize(Decimal("0.01")))
    return quantity(value)


def chart_bars(days: list[tuple[Any, Decimal]]) -> dict[str, Any]:
    """SVG geometry of a daily bar chart: one bar per day, scaled to the largest value."""
    c = CHART
    top = max((value for _day, value in days), default=Decimal(0))
    scale = Decimal(c["height"]) / top if top > 0 else Decimal(0)
    bars = []
    for i, (day, value) in enumerate(days):
        height = int((max(value, Decimal(0)) * scale).to_integral_value())
        x = c["left"] + i * (c["bar"] + c["gap"])
        bars.append({
            "x": x, "y": c["top"] + c["height"] - height, "height": height, "day": day,
            "value": quantity(value), "short": _compact(value), "nonzero": value != 0,
            "label_x": x + c["bar"] // 2, "labelled": i % 5 == 0 or i == len(days) - 1,
        })  # fmt: skip
    width = c["left"] + len(days) * (c["bar"] + c["gap"]) + 8
    baseline = c["top"] + c["height"]
    return {
        "bars": bars, "width": width, "height": baseline + c["bottom"], "baseline": baseline,
        "top": c["top"], "bar_width": c["bar"], "plot_height": c["height"], "max": quantity(top), "max_short": _compact(top),
        "left": c["left"], "total": quantity(sum((v for _d, v in days), Decimal(0))),
    }  # fmt: skip


@require_GET
@login_required
@vary_on_headers("HX-Request")
def usage_chart(request: HttpRequest) -> HttpResponse:
    """Daily usage of one billable metric for a customer over the last 30 days."""
    customer = queries.customer_lookup(request.GET.get("customer", ""))
    if customer is None:
        raise Http404("No such customer.")
    metrics = list(BillableMetric.objects.active().order_by("name", "pk"))
    chosen = queries.metric_get(request.GET.get("metric", ""))
    if chosen is None and metrics:
        chosen = metrics[0]
    chart = None
    if chosen is not None:
        days = queries.daily_usage(metric=chosen, customer=customer, now=timezone.now())
        chart = chart_bars(days)
    context = {"customer": customer, "metrics": metrics, "chosen": chosen, "chart": chart}
    template = "usage/usage_chart.html" + ("#usage-chart" if request.htmx else "")
    return render(request, template, context)
