"""The customer overview: one URL serves the standalone page, the overview fragment the customer
page loads at its top with htmx, and the chart fragment its switch swaps (target overview-chart).

Query string: view=product|day, measure=spend|quantity, product=<product id> (per-day quantity).
"""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from billing_console.api import ApplicationError
from billing_console.lib.periods import Period
from customers.selectors import customer_get
from reports.customer_overview import Window, customer_overview, spend_by_product, statement_windows
from reports.overview_charts import columns, daily, product_bars

TEMPLATE = "reports/customer_overview.html"
CHART_VIEWS = ("product", "day")
MEASURES = ("spend", "quantity")


def _customer(customer_id: Any) -> Any:
    try:
        return customer_get(str(customer_id))
    except ApplicationError as err:
        raise Http404(err.message) from err


def _choice(request: HttpRequest, name: str, choices: tuple[str, ...]) -> str:
    value = request.GET.get(name, "")
    return value if value in choices else choices[0]


def chart_context(request: HttpRequest, customer: Any, windows: list[Window]) -> dict:
    """The chart the switch asks for: this period's spend or quantities, by product or per day."""
    view, measure = _choice(request, "view", CHART_VIEWS), _choice(request, "measure", MEASURES)
    context: dict[str, Any] = {"view": view, "measure": measure}
    if view == "product":
        context["groups"] = product_bars(spend_by_product(customer, windows), measure)
        return context
    span = Period(min(w.period.start for w in windows), max(w.period.end for w in windows))
    days = daily(customer, span, timezone.now())
    context["span"] = span
    if measure == "spend":
        context["charts"] = [columns(days.spend_series(ct), ct) for ct in days.spend]
        return context
    products = sorted(days.products.items(), key=lambda item: item[1])
    chosen = next((p for p in products if str(p[0]) == request.GET.get("product")), None)
    chosen = chosen or (products[0] if products else None)
    context["products"], context["chosen"] = products, chosen
    if chosen is not None:
        context["charts"] = [columns(days.quantity_series(chosen[0]))]
    return context


@require_GET
@login_required
@vary_on_headers("HX-Request")
def customer_overview_view(request: HttpRequest, customer_id: str) -> HttpResponse:
    customer = _customer(customer_id)
    if request.htmx and request.htmx.target == "overview-chart":
        _contracts, windows, _last = statement_windows(customer, timezone.now())
        context = {"customer": customer, "chart": chart_context(request, customer, windows)}
        return render(request, f"{TEMPLATE}#overview-chart", context)
    overview = customer_overview(customer)
    context = {
        "customer": customer,
        "overview": overview,
        "chart": chart_context(request, customer, overview.this_period.windows),
    }
    return render(request, f"{TEMPLATE}#customer-overview" if request.htmx else TEMPLATE, context)
