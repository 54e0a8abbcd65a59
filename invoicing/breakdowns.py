"""Invoice breakdowns by hour or day, and daily costs.

A window's lines are the difference between the statement computed from its period start to
the window's end and to the window's start, so tiers and commit drawdown continue across
windows exactly as on the invoice; each window line is rounded once, like an invoice line.
The windows are listed cheaply and each one's lines computed only when read: a page of
breakdowns computes the statements of its own windows, not of the whole range.
"""

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cached_property

from billing_console.api import ApplicationError
from billing_console.lib.money import round_line
from billing_console.lib.periods import Period
from customers.models import Customer
from invoicing.models import Invoice, InvoiceStatus, InvoiceType
from invoicing.rating.lines import DraftLine
from invoicing.services import draft_usage_statement, line_places

WINDOWS = {"HOUR": timedelta(hours=1), "DAY": timedelta(days=1)}
MAX_WINDOWS = 2000


@dataclass
class Breakdown:
    invoice: Invoice
    window: Period
    places: int
    # Statements computed to a moment, shared by the windows of one request: {(invoice, end): lines}
    cache: dict = field(default_factory=dict, repr=False)

    @cached_property
    def lines(self) -> list[DraftLine]:
        before = _cumulative_cached(self.cache, self.invoice, self.window.start)
        after = _cumulative_cached(self.cache, self.invoice, self.window.end)
        return _difference(after, before, self.window, self.places)

    @property
    def total(self) -> Decimal:
        return sum((line.total for line in self.lines), Decimal(0))

    @property
    def subtotal(self) -> Decimal:
        return sum(
            (line.total for line in self.lines if not line.type.startswith("APPLIED_")), Decimal(0)
        )


def _key(line: DraftLine) -> tuple:
    return (
        line.type, line.product.pk if line.product else None, line.name,
        tuple(sorted((line.pricing_group_values or {}).items())), str(line.commit_public_id or ""),
    )  # fmt: skip


def _windows(period: Period, size: timedelta) -> list[Period]:
    start = period.start.replace(minute=0, second=0, microsecond=0)
    if size == WINDOWS["DAY"]:
        start = start.replace(hour=0)
    windows = []
    while start < period.end:
        piece = period.intersect(Period(start, start + size))
        if piece is not None:
            windows.append(piece)
        start += size
    return windows


def _cumulative(invoice: Invoice, end: datetime) -> dict[tuple, DraftLine]:
    if end <= invoice.period_start:
        return {}
    lines, _ = draft_usage_statement(invoice.contract, invoice, Period(invoice.period_start, end))
    return {_key(line): line for line in lines}


def _cumulative_cached(cache: dict, invoice: Invoice, end: datetime) -> dict[tuple, DraftLine]:
    key = (invoice.pk, end)
    if key not in cache:
        cache[key] = _cumulative(invoice, end)
    return cache[key]


def _difference(
    after: dict[tuple, DraftLine], before: dict[tuple, DraftLine], window: Period, places: int
) -> list[DraftLine]:
    lines = []
    for key, line in after.items():
        earlier = before.get(key)
        amount = line.total_unrounded - (earlier.total_unrounded if earlier else Decimal(0))
        quantity = None
        if line.quantity is not None:
            quantity = line.quantity - (earlier.quantity or Decimal(0) if earlier else Decimal(0))
        if amount == 0 and not quantity:
            continue
        lines.append(replace(
            line, starting_at=window.start, ending_before=window.end, quantity=quantity,
            total_unrounded=amount, total=round_line(amount, places), tiers=[],
        ))  # fmt: skip
    return lines


def invoice_breakdowns(
    *, customer: Customer, starting_on: datetime, ending_before: datetime, window_size: str = "DAY",
    credit_type_id: str | None = None, statuses: list[str] | None = None,
) -> list[Breakdown]:  # fmt: skip
    """Each usage statement overlapping [starting_on, ending_before), cut into windows."""
    if window_size not in WINDOWS:
        raise ApplicationError("window_size: must be HOUR or DAY.")
    if ending_before <= starting_on:
        raise ApplicationError("ending_before: must be after starting_on.")
    span = Period(starting_on, ending_before)
    if span.duration / WINDOWS[window_size] > MAX_WINDOWS:
        raise ApplicationError(
            f"ending_before: at most {MAX_WINDOWS} {window_size.lower()} windows per request."
        )
    invoices = Invoice.objects.filter(
        customer=customer,
        type=InvoiceType.USAGE,
        period_start__lt=ending_before,
        period_end__gt=starting_on,
    ).select_related("contract__rate_card", "contract__customer", "credit_type", "customer")
    invoices = (
        invoices.filter(status__in=statuses)
        if statuses
        else invoices.exclude(status=InvoiceStatus.VOID)
    )
    if credit_type_id:
        invoices = invoices.filter(credit_type__public_id=credit_type_id)
    out, cache = [], {}
    for invoice in invoices.order_by("period_start", "pk"):
        covered = span.intersect(Period(invoice.period_start, invoice.period_end))
        if covered is None:
            continue
        places = line_places(invoice.credit_type)
        out += [
            Breakdown(invoice, window, places, cache)
            for window in _windows(covered, WINDOWS[window_size])
        ]
    return out


def customer_costs(
    *, customer: Customer, starting_on: datetime, ending_before: datetime
) -> list[dict]:
    """Daily charges (before commits and credits) per credit type, with a line breakdown."""
    days: dict[datetime, dict] = {}
    for item in invoice_breakdowns(
        customer=customer, starting_on=starting_on, ending_before=ending_before
    ):
        day = days.setdefault(item.window.start, {"window": item.window, "credit_types": {}})
        credit_type = item.invoice.credit_type
        entry = day["credit_types"].setdefault(
            str(credit_type.public_id),
            {"name": credit_type.name, "cost": Decimal(0), "line_item_breakdown": []},
        )
        for line in item.lines:
            if line.type.startswith("APPLIED_"):
                continue
            entry["cost"] += line.total
            group = next(iter((line.pricing_group_values or {}).items()), (None, None))
            entry["line_item_breakdown"].append(
                {
                    "name": line.name,
                    "cost": line.total,
                    "group_key": group[0],
                    "group_value": group[1],
                }
            )
    return [days[start] for start in sorted(days)]
