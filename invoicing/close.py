"""Month close: finalize a batch of drafts together (the periodic close, invoice_finalize).

Each usage statement is recomputed with final usage, numbered and finalized exactly as one
invoice_finalize at a time would, in the same order (period start, pk), but the batch shares
its reads and writes: the contracts with their overrides, usage filters, subscriptions and
commits in a handful of queries, each rate card's rates once, the usage of every statement in
one rollup query per metric and window (invoicing.close_usage), then every line, invoice, audit
entry and invoice number written in one statement each.

The statements are rated together in one savepoint. If one cannot be computed (a SQL metric
failing on its customer's events, ...), each is rated again in its own savepoint: the failing
one is rolled back alone, recorded on its draft (invoicing.failures) and left a draft; the rest
of the batch is finalized.

Safe to rerun and to run twice at once: the batch is one transaction that locks its contracts
(in pk order, as a recompute does) and then its drafts; a draft another close finalized in the
meantime is left out, so a crashed worker's batch is redone whole or not at all.

Ledger writes stay per statement and in order: a statement's commit drawdown reads what the
earlier ones drew (only statements that draw, or drew before, write anything).
"""

import logging
from copy import copy
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models.signals import post_save
from django.utils import timezone

from billing_console.audit import audit_updates_bulk
from billing_console.lib.bulk import bulk_insert, bulk_update_rows
from billing_console.lib.periods import Period
from contracts.models import Contract, LedgerEntry, LedgerEntryType
from invoicing import drawdown
from invoicing.close_usage import BatchUsage
from invoicing.consolidation import consolidated_close, constituents_to_close
from invoicing.failures import statement_failed
from invoicing.models import Invoice, InvoiceStatus, InvoiceType, LineItem
from invoicing.rating.loader import contracts_load
from invoicing.rating.terms import Cards
from invoicing.recurring_due import recurring_issue_due
from invoicing.services import draft_usage_statement, line_items, next_numbers, set_totals
from invoicing.signals import invoices_finalized
from pricing.models import CreditType
from usage.selectors import event_ids_hold

logger = logging.getLogger(__name__)
BATCH_SIZE = 200  # drafts per transaction: bounds lock time and memory
FINALIZE_FIELDS = ["status", "finalized_at", "number", "customer_name", "updated_at"]
TOTAL_FIELDS = ["subtotal", "total", "computed_at"]  # all a recompute changes on the invoice
# What a line says (all but its ids): a draft's lines equal to the recomputed ones are kept.
LINE_FIELDS = [
    f.attname
    for f in LineItem._meta.concrete_fields
    if f.name not in ("id", "public_id", "invoice")
]


@transaction.atomic
def invoices_close(*, invoice_ids: list[int]) -> list[Invoice]:
    """Finalize the drafts among `invoice_ids`; returns them, finalized. Usage statements
    are recomputed first. Ids that are not (or no longer) drafts are skipped."""
    invoice_ids = [*invoice_ids, *constituents_to_close(invoice_ids)]  # account hierarchies
    contract_ids = set(
        Invoice.objects.filter(pk__in=invoice_ids, status=InvoiceStatus.DRAFT).values_list(
            "contract_id", flat=True
        )
    )
    list(  # serialize with recomputes, which lock the contract first
        Contract.objects.select_for_update().filter(pk__in=contract_ids).order_by("pk").values("pk")
    )
    # No statement is finalized while a recurring commit or credit due for it is missing: a
    # contract whose issuance failed has that recorded on its drafts, which stay drafts.
    unissued = recurring_issue_due(contract_ids=sorted(contract_ids), now=timezone.now())
    invoices = list(
        Invoice.objects.select_for_update()
        .filter(pk__in=invoice_ids, status=InvoiceStatus.DRAFT)
        .exclude(type=InvoiceType.USAGE_CONSOLIDATED)  # finalized after their constituents
        .order_by("period_start", "pk")
    )
    for invoice in [i for i in invoices if i.contract_id in unissued]:
        statement_failed(
            contract=invoice.contract, period=_period(invoice),
            error=unissued[invoice.contract_id], invoice=invoice,
        )  # fmt: skip
        invoices.remove(invoice)
    if not invoices:
        return _with_consolidated(invoice_ids, [])
    _attach(invoices)
    before = [copy(invoice) for invoice in invoices]
    usage, cards = BatchUsage(), Cards()  # a rate card is read once for the batch
    statements = [i for i in invoices if i.type == InvoiceType.USAGE]
    usage.prefetch([(i.contract, _period(i)) for i in statements], cards)
    drew_before = with_deductions(statements)
    stored = stored_lines(statements)
    try:  # all at once, without a savepoint per statement: the common case, no failure
        with transaction.atomic():
            rated = [(i, _rated(i, usage, cards, drew_before)) for i in statements]
        failed = []
    except Exception:  # some statement failed: redo each in its own savepoint to find it
        rated, failed = _rated_each(statements, usage, cards, drew_before)
    changed, new_lines = [], []
    for invoice, lines in rated:
        items = line_items(invoice, lines)
        if [line_values(item) for item in items] != stored.get(invoice.pk, []):
            changed.append(invoice)  # usage arrived (or rates moved) since the draft
            new_lines += items
        set_totals(invoice, lines)
    if failed:
        invoices = [i for i in invoices if i not in failed]
        before = [b for b in before if b.pk not in {i.pk for i in failed}]
    LineItem.objects.filter(invoice__in=changed).delete()
    bulk_insert(LineItem, new_lines)
    totalled = [copy(invoice) for invoice in invoices]  # as the recompute's save left it
    _finalize(invoices)
    audit_updates_bulk(  # the entries of that save, then of the finalizing one
        [
            change
            for old, mid, new in zip(before, totalled, invoices, strict=True)
            for change in ((old, mid, TOTAL_FIELDS), (mid, new, FINALIZE_FIELDS))
        ]
    )
    for invoice in invoices:  # what two saves would have sent (alerts: balances changed)
        post_save.send(Invoice, instance=invoice, created=False, update_fields=None, raw=False,
                       using=invoice._state.db)  # fmt: skip
    return _with_consolidated(invoice_ids, invoices)


def _rated(invoice: Invoice, usage: BatchUsage, cards: Cards, drew_before: set) -> list:
    """One statement's lines, recomputed with final usage; its draws written to the ledger
    (before the next statement of its contract reads the balances)."""
    lines, draws = draft_usage_statement(invoice.contract, invoice, _period(invoice), usage, cards)
    if draws or invoice.public_id in drew_before:
        drawdown.write_ledger(invoice, draws)
    return lines


def _rated_each(
    statements: list[Invoice], usage: BatchUsage, cards: Cards, drew_before: set
) -> tuple[list[tuple[Invoice, list]], list[Invoice]]:
    """Each statement in its own savepoint: one that fails is rolled back alone and recorded
    on its draft, which stays a draft. Returns (statement, lines) of the rest, and the failed."""
    rated, failed = [], []
    for invoice in statements:
        try:
            with transaction.atomic():
                rated.append((invoice, _rated(invoice, usage, cards, drew_before)))
        except Exception as error:  # recorded on the draft, which stays a draft
            statement_failed(
                contract=invoice.contract, period=_period(invoice), error=error, invoice=invoice
            )
            failed.append(invoice)
    return rated, failed


def _with_consolidated(invoice_ids: list[int], invoices: list[Invoice]) -> list[Invoice]:
    """The finalized invoices and the consolidated ones they complete (or that were asked
    for), which invoicing.consolidation finalizes after their constituents."""
    invoices = invoices + consolidated_close(invoice_ids=invoice_ids, finalized=invoices)
    if invoices:
        invoices_finalized.send(Invoice, invoices=invoices)  # providers sync them, on commit
    return invoices


def line_values(item: LineItem) -> tuple:
    return tuple(getattr(item, name) for name in LINE_FIELDS)


def stored_lines(invoices: list[Invoice]) -> dict[int, list[tuple]]:
    """The lines each draft has now, as line_values gives them, in order."""
    stored: dict[int, list[tuple]] = {}
    rows = LineItem.objects.filter(invoice_id__in=[i.pk for i in invoices]).order_by(
        "invoice_id", "position"
    )
    for invoice_id, *values in rows.values_list("invoice_id", *LINE_FIELDS):
        stored.setdefault(invoice_id, []).append(tuple(values))
    return stored


def _period(invoice: Invoice) -> Period:
    return Period(invoice.period_start, invoice.period_end)


def _finalize(invoices: list[Invoice]) -> None:
    now = timezone.now()
    for invoice, number in zip(invoices, next_numbers("INV", len(invoices)), strict=True):
        invoice.status = InvoiceStatus.FINALIZED
        invoice.finalized_at = now
        invoice.error, invoice.error_at = "", None  # a hold recorded earlier is over
        invoice.number = number
        invoice.customer_name = invoice.customer.name
        invoice.updated_at = now
    bulk_update_rows(
        Invoice,
        invoices,
        ["subtotal", "total", "computed_at", "error", "error_at", *FINALIZE_FIELDS],
    )


def with_deductions(invoices: list[Invoice]) -> set:
    return set(
        LedgerEntry.objects.filter(
            invoice_public_id__in=[i.public_id for i in invoices],
            type=LedgerEntryType.USAGE_DEDUCTION,
        ).values_list("invoice_public_id", flat=True)
    )


def _attach(invoices: list[Invoice]) -> None:
    """Give each invoice its contract (with what a statement reads of it: the loader's
    contracts_load), customer and credit type, read once for the batch."""
    contracts = contracts_load({i.contract_id for i in invoices})
    event_ids_hold(c.customer for c in contracts.values())  # one query, not one per statement
    credit_types = CreditType.objects.in_bulk({i.credit_type_id for i in invoices})
    for invoice in invoices:
        invoice.contract = contract = contracts[invoice.contract_id]
        if invoice.customer_id == contract.customer_id:
            invoice.customer = contract.customer
        invoice.credit_type = credit_types[invoice.credit_type_id]


def invoices_close_due(*, now: datetime, grace: timedelta) -> int:
    """Finalize every draft whose period ended more than `grace` ago (the periodic close), in
    batches closed together, each batch in one transaction; returns how many were finalized."""
    ids = list(
        Invoice.objects.filter(status=InvoiceStatus.DRAFT, period_end__lte=now - grace)
        .order_by("period_start", "pk")
        .values_list("pk", flat=True)
    )
    finalized = 0
    for start in range(0, len(ids), BATCH_SIZE):
        batch = ids[start : start + BATCH_SIZE]
        try:
            finalized += len(invoices_close(invoice_ids=batch))
        except Exception:  # not one statement's failure (those are recorded on their drafts)
            logger.exception("month close: batch of %d drafts failed; closing each", len(batch))
            finalized += _close_one_by_one(batch)
    return finalized


def _close_one_by_one(ids: list[int]) -> int:
    """A batch that could not close, one draft at a time: whatever stopped it stops only its
    own draft, where it is recorded (a lock timeout is retried by the next run)."""
    finalized = 0
    for pk in ids:
        try:
            finalized += len(invoices_close(invoice_ids=[pk]))
        except Exception as error:
            invoice = Invoice.objects.select_related("contract").filter(pk=pk).first()
            if invoice is not None and invoice.is_draft:
                statement_failed(
                    contract=invoice.contract, period=_period(invoice), error=error,
                    invoice=invoice,
                )  # fmt: skip
    return finalized
