"""Invoice datasets: invoices, their line items, and breakdowns by day or hour.

Amounts are in the invoice's credit type unit, as on the wire (USD cents for USD): the
`credit_type` column names it; reports.datasets.major_units adds them in major units. The date range selects invoices whose period overlaps it.
"""

from collections.abc import Iterator
from datetime import datetime, timedelta

from django.db.models import QuerySet

from billing_console.lib.periods import Period
from customers.models import Customer
from invoicing.breakdowns import MAX_WINDOWS, WINDOWS, Breakdown, invoice_breakdowns
from invoicing.models import Invoice, InvoiceStatus, InvoiceType, LineItem
from invoicing.rating.lines import DraftLine
from reports.datasets.base import (
    Batch,
    Dataset,
    Filters,
    changed,
    columns,
    overlapping,
    public_id,
    queryset_dataset,
    scoped,
)

# Breakdowns are asked for this many windows at a time: each request recomputes the statement
# up to its first window once, so larger pieces cost less and hold more lines in memory.
BREAKDOWN_PIECE_WINDOWS = 48


def _invoices(filters: Filters) -> QuerySet[Invoice]:
    qs = Invoice.objects.select_related("customer", "contract", "credit_type", "regenerated_from")
    if not filters.include_void:
        qs = qs.exclude(status=InvoiceStatus.VOID)
    return scoped(qs, filters, period=("period_start", "period_end"))


def _invoice_row(invoice: Invoice, filters: Filters) -> tuple:
    return (
        str(invoice.public_id), invoice.number, invoice.type, invoice.status,
        str(invoice.customer.public_id), invoice.customer.name,
        str(invoice.contract.public_id), invoice.contract.name,
        invoice.credit_type.name, invoice.period_start, invoice.period_end, invoice.issued_at,
        invoice.subtotal, invoice.total, invoice.finalized_at, invoice.voided_at,
        public_id(invoice.regenerated_from), invoice.created_at, invoice.updated_at,
    )  # fmt: skip


INVOICES = queryset_dataset(
    name="invoices",
    label="Invoices",
    description="One row per invoice: status, period, subtotal and total.",
    columns=columns(
        """
        invoice_id number type status customer_id customer_name contract_id contract_name
        credit_type period_start:datetime period_end:datetime issued_at:datetime
        subtotal:decimal total:decimal finalized_at:datetime voided_at:datetime
        regenerated_from_id created_at:datetime updated_at:datetime
        """
    ),
    queryset=_invoices,
    row=_invoice_row,
    voidable=True,
)


def _line_items(filters: Filters) -> QuerySet[LineItem]:
    qs = LineItem.objects.select_related(
        "invoice__customer", "invoice__contract", "invoice__credit_type", "product"
    )
    if not filters.include_void:
        qs = qs.exclude(invoice__status=InvoiceStatus.VOID)
    # Lines are rewritten with their invoice, which is saved (updated_at) each time.
    qs = scoped(
        qs,
        filters,
        period=("invoice__period_start", "invoice__period_end"),
        customer="invoice__customer_id",
        stamps=("invoice__created_at", "invoice__updated_at"),
    )
    return qs


def _line_row(line: LineItem, filters: Filters) -> tuple:
    invoice = line.invoice
    return (
        str(line.public_id), str(invoice.public_id), invoice.number, invoice.status,
        str(invoice.customer.public_id), invoice.customer.name, str(invoice.contract.public_id),
        invoice.credit_type.name, invoice.period_start, invoice.period_end, line.position,
        line.type, line.name, public_id(line.product), line.pricing_group_values,
        line.presentation_group_values, line.starting_at, line.ending_before, line.quantity,
        line.unit_price, line.total_unrounded, line.total,
        str(line.commit_public_id) if line.commit_public_id else None,
    )  # fmt: skip


INVOICE_LINE_ITEMS = queryset_dataset(
    name="invoice_line_items",
    label="Invoice line items",
    description="One row per invoice line: product, group values, quantity, unit price, total.",
    columns=columns(
        """
        line_item_id invoice_id invoice_number invoice_status customer_id customer_name
        contract_id credit_type period_start:datetime period_end:datetime position:int type name
        product_id pricing_group_values:json presentation_group_values:json starting_at:datetime
        ending_before:datetime quantity:decimal unit_price:decimal total_unrounded:decimal
        total:decimal commit_id
        """
    ),
    queryset=_line_items,
    row=_line_row,
    voidable=True,
)


# --- breakdowns -----------------------------------------------------------------------------


def _floor(moment: datetime, size: timedelta) -> datetime:
    floored = moment.replace(minute=0, second=0, microsecond=0)
    return floored.replace(hour=0) if size == WINDOWS["DAY"] else floored


def _window_count(span: Period, size: timedelta) -> int:
    """How many windows invoicing.breakdowns cuts `span` into (the first one floored)."""
    length = span.end - _floor(span.start, size)
    return -(-length // size)  # ceiling division of timedeltas


def _pieces(span: Period, size: timedelta) -> Iterator[Period]:
    """`span` in pieces of at most BREAKDOWN_PIECE_WINDOWS windows, cut on window boundaries."""
    start = span.start
    while start < span.end:
        end = min(_floor(start, size) + size * BREAKDOWN_PIECE_WINDOWS, span.end)
        yield Period(start, end)
        start = end


def _usage_invoices(filters: Filters) -> QuerySet[Invoice]:
    qs = Invoice.objects.filter(type=InvoiceType.USAGE).exclude(status=InvoiceStatus.VOID)
    if filters.customer_pk is not None:
        qs = qs.filter(customer_id=filters.customer_pk)
    if filters.incremental:
        return qs.filter(changed(filters, "created_at", "updated_at"))
    return overlapping(qs, filters, "period_start", "period_end")


def _targets(filters: Filters) -> Iterator[tuple[int, Period, int | None]]:
    """(customer pk, span, only this invoice pk or None) to break down. A report covers its
    date range for each customer; an export covers each changed invoice's whole period."""
    qs = _usage_invoices(filters)
    if filters.incremental:
        changed_invoices = qs.order_by("customer_id", "period_start", "pk").values_list(
            "pk", "customer_id", "period_start", "period_end"
        )
        for pk, customer_id, start, end in changed_invoices.iterator():
            yield customer_id, Period(start, end), pk
        return
    assert filters.starting_on is not None and filters.ending_before is not None
    span = Period(filters.starting_on, filters.ending_before)
    customers = qs.order_by("customer_id").values_list("customer_id", flat=True).distinct()
    for customer_id in list(customers):  # one id per customer: small beside the rows
        yield customer_id, span, None


def _breakdowns_total(filters: Filters) -> int:
    size = WINDOWS[filters.window_size]
    total = 0
    rows = _usage_invoices(filters).values_list("period_start", "period_end")
    for start, end in rows.iterator():
        covered = Period(start, end)
        if not filters.incremental:
            assert filters.starting_on is not None and filters.ending_before is not None
            covered = covered.intersect(Period(filters.starting_on, filters.ending_before))
        if covered is not None:
            total += _window_count(covered, size)
    return total


def _breakdown_row(item: Breakdown, line: DraftLine) -> tuple:
    invoice = item.invoice
    return (
        str(invoice.public_id), invoice.status, str(invoice.customer.public_id),
        invoice.customer.name, str(invoice.contract.public_id), invoice.credit_type.name,
        item.window.start, item.window.end, line.type, line.name, public_id(line.product),
        line.pricing_group_values, line.presentation_group_values, line.quantity,
        line.total_unrounded, line.total,
    )  # fmt: skip


def _breakdown_batches(filters: Filters, chunk_size: int) -> Iterator[Batch]:
    size = WINDOWS[filters.window_size]
    for customer_id, span, only_invoice in _targets(filters):
        customer = Customer.objects.get(pk=customer_id)
        for piece in _pieces(span, size):
            for item in invoice_breakdowns(
                customer=customer,
                starting_on=piece.start,
                ending_before=piece.end,
                window_size=filters.window_size,
            ):
                if only_invoice is not None and item.invoice.pk != only_invoice:
                    continue
                yield Batch([_breakdown_row(item, line) for line in item.lines], 1)


INVOICE_BREAKDOWNS = Dataset(
    name="invoice_breakdowns",
    label="Invoice breakdowns",
    description=(
        "Usage statements cut into daily or hourly windows: one row per line per window, "
        "tiers and commit drawdown continuing across windows as on the invoice."
    ),
    columns=columns(
        """
        invoice_id invoice_status customer_id customer_name contract_id credit_type
        window_start:datetime window_end:datetime type name product_id pricing_group_values:json
        presentation_group_values:json quantity:decimal total_unrounded:decimal total:decimal
        """
    ),
    total=_breakdowns_total,
    batches=_breakdown_batches,
    requires_range=True,
)

# A report's range may span at most this many windows (hourly: 333 days).
MAX_REPORT_WINDOWS = MAX_WINDOWS * 4
