"""Embedded dashboards: server-rendered pages for our users' own customers, inside an iframe on
the user's site. No session: the signed token in the URL is the only credential, and it names
one customer, whose rows are the only ones these views read.

Framing: these responses alone may be framed, by the origins of Settings → Embeds and
EMBED_FRAME_ANCESTORS (CSP frame-ancestors, embeds.origins) and carry no X-Frame-Options; every
other page keeps X-Frame-Options: DENY from XFrameOptionsMiddleware.
"""

from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

from billing_console.embedding import EmbedGrant, EmbedTokenInvalid, embed_token_read
from customers.models import Customer
from embeds import selectors
from embeds.grants import embed_grant_is_well_formed
from embeds.origins import frame_ancestors
from invoicing.models import InvoiceStatus
from payments.pay_state import pay_states

# CSS variables of the embed stylesheet, by Metronome's color override names.
COLOR_VARIABLES = {
    "Gray_dark": "--gray-dark", "Gray_medium": "--gray-medium", "Gray_light": "--gray-light",
    "Gray_extralight": "--gray-extralight", "White": "--white",
    "Primary_medium": "--primary-medium", "Primary_light": "--primary-light",
    "Primary_green": "--primary-green", "Primary_red": "--primary-red",
    "Progress_bar": "--progress-bar", "Progress_bar_background": "--progress-bar-background",
    "Action": "--action", "Action_hover": "--action-hover",
    **{f"UsageLine_{i}": f"--usage-line-{i}" for i in range(10)},
}  # fmt: skip


def _frame_headers(response: HttpResponse) -> HttpResponse:
    ancestors = " ".join(frame_ancestors()) or "'none'"
    response["Content-Security-Policy"] = f"frame-ancestors {ancestors}"
    response["Referrer-Policy"] = "no-referrer"  # the URL is a credential: never leak it
    response["Cache-Control"] = "private, no-store"
    return response


def _error(request: HttpRequest, status: int, message: str) -> HttpResponse:
    # Rendered in the frame (not the console's error pages, which refuse to be framed).
    response = render(request, "embeds/error.html", {"message": message}, status=status)
    return _frame_headers(response)


def _forbidden(request: HttpRequest) -> HttpResponse:
    return _error(request, 403, "This link is invalid or has expired. Reload the page.")


def embed_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Read the token (403 when tampered with or expired), load its customer, and mark the
    response as framable by the configured origins only."""

    @xframe_options_exempt
    @require_GET
    @wraps(view)
    def wrapper(request: HttpRequest, token: str, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            grant = embed_token_read(token)
        except EmbedTokenInvalid:
            return _forbidden(request)
        if not embed_grant_is_well_formed(grant):
            return _error(request, 400, "This link is malformed. Ask for a new one.")
        customer = Customer.objects.filter(public_id=grant.customer_id).first()
        if customer is None:
            return _forbidden(request)
        return _frame_headers(view(request, grant, customer, token, *args, **kwargs))

    return wrapper


def _context(grant: EmbedGrant, customer: Customer, token: str, **extra: Any) -> dict[str, Any]:
    colors = {COLOR_VARIABLES[name]: value for name, value in grant.colors.items()}
    return {"grant": grant, "customer": customer, "token": token, "colors": colors, **extra}


def _group_display(grant: EmbedGrant, values: dict[str, Any]) -> list[tuple[str, str]]:
    """Group keys and values with the bm_group_key_overrides display names applied."""
    labels = {entry["group_key_name"]: entry for entry in grant.group_keys}
    out = []
    for key, value in sorted((values or {}).items()):
        entry = labels.get(key, {})
        names = entry.get("value_display_names") or {}
        out.append((entry.get("display_name") or key, names.get(str(value), str(value))))
    return out


def _spend_rows(grant: EmbedGrant, spend: selectors.CurrentSpend) -> list[dict[str, Any]]:
    """One row per charge with its share of the period's charges (the bar's width, in %)."""
    show_zero = grant.options.get("show_zero_usage_line_items") == "true"
    rows = []
    for index, line in enumerate(spend.charges):
        if line.total == 0 and not line.quantity and not show_zero:
            continue
        share = (line.total / spend.subtotal * 100) if spend.subtotal > 0 else Decimal(0)
        rows.append({
            "line": line,
            "groups": _group_display(grant, line.presentation_group_values or line.pricing_group_values),
            "share": max(min(share, Decimal(100)), Decimal(0)).quantize(Decimal("0.1")),
            "color": f"var(--usage-line-{index % 10})",
        })  # fmt: skip
    return rows


@embed_view
def dashboard(
    request: HttpRequest, grant: EmbedGrant, customer: Customer, token: str
) -> HttpResponse:
    now = timezone.now()
    if grant.dashboard == "invoices":
        invoices = list(selectors.embed_invoices(customer=customer, options=grant.options)[:200])
        # The status column's pay states, for all rows at once (not a few queries per row).
        states = pay_states(i for i in invoices if i.status == InvoiceStatus.FINALIZED)
        context = _context(grant, customer, token, invoices=invoices, pay_states=states)
        return render(request, "embeds/invoices.html", context)
    if grant.dashboard == "usage":
        spend = [
            (item, _spend_rows(grant, item))
            for item in selectors.current_spend(customer=customer, now=now)
        ]
        context = _context(grant, customer, token, spend=spend)
        return render(request, "embeds/usage.html", context)
    balances = selectors.embed_balances(
        customer=customer, credits_only=grant.dashboard == "credits", now=now
    )
    context = _context(grant, customer, token, balances=balances, now=now)
    return render(request, "embeds/balances.html", context)


@embed_view
def invoice_detail(
    request: HttpRequest, grant: EmbedGrant, customer: Customer, token: str, invoice_id: Any
) -> HttpResponse:
    if grant.dashboard != "invoices":
        return _error(request, 404, "This dashboard shows no invoices.")
    # Scoped by the token's customer: another customer's invoice id is simply not found.
    invoice = selectors.embed_invoice(customer=customer, options=grant.options, invoice_id=invoice_id)  # fmt: skip
    if invoice is None:
        return _error(request, 404, "No such invoice.")
    lines = selectors.invoice_lines(invoice, grant.options)
    context = _context(
        grant, customer, token, invoice=invoice,
        charges=[(line, _line_groups(grant, line)) for line in lines if not line.type.startswith("APPLIED_")],
        applied=[line for line in lines if line.type.startswith("APPLIED_")],
    )  # fmt: skip
    return render(request, "embeds/invoice_detail.html", context)


def _line_groups(grant: EmbedGrant, line: Any) -> list[tuple[str, str]]:
    """Both kinds of group values (a line per region and model reads as one per value)."""
    shown = {k: v for k, v in (line.presentation_group_values or {}).items() if v is not None}
    return _group_display(grant, {**(line.pricing_group_values or {}), **shown})
