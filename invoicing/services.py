"""Invoice writes: compute statements, scheduled invoices, finalize, void, regenerate.

Every function is atomic and safe to rerun: a statement is identified by (contract, type,
period start); recomputing a draft replaces its lines and its provisional ledger deductions;
finalized invoices are never recomputed.
"""

import logging
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from billing_console.api import ApplicationError
from billing_console.lib.money import round_line
from billing_console.lib.periods import Period
from contracts.models import CommitInvoiceItem, CommitKind, Contract, ScheduledChargeItem
from invoicing import drawdown
from invoicing.models import Invoice, InvoiceNumberSeries, InvoiceStatus, InvoiceType, LineItem
from invoicing.rating.apply import scheduled_subscription_lines, statement_rated
from invoicing.rating.lines import DraftLine
from invoicing.rating.loader import UsageReader, UsageSource
from invoicing.rating.terms import Cards
from invoicing.scheduled_terms import services_terms_lines
from invoicing.signals import invoice_voided
from invoicing.statement_pieces import statement_periods
from invoicing.usage_charges import on_usage_statements

logger = logging.getLogger(__name__)

NOT_DRAFT = "id: invoice {id} is {status}; only a draft can be {verb}."


def contract_credit_type(contract: Contract):
    if contract.rate_card is not None and contract.rate_card.fiat_credit_type_id:
        return contract.rate_card.fiat_credit_type
    from pricing.services import credit_type_get_default

    return credit_type_get_default()


def line_places(credit_type) -> int:
    """Decimal places a line total is rounded to. Fiat credit types are denominated in their
    minor unit (USD cents), so whole units; a custom credit type says its own precision."""
    return 0 if credit_type.is_fiat else credit_type.decimal_places


def _write_lines(invoice: Invoice, lines: list[DraftLine]) -> None:
    invoice.lines.all().delete()
    LineItem.objects.bulk_create(line_items(invoice, lines))


def line_items(invoice: Invoice, lines: list[DraftLine]) -> list[LineItem]:
    """The rows of `lines` on `invoice`, unsaved, in order."""
    return [
        LineItem(
            invoice=invoice,
            position=position,
            type=line.type,
            name=line.name,
            product=line.product,
            product_tags=line.product_tags,
            pricing_group_values=line.pricing_group_values,
            presentation_group_values=line.presentation_group_values,
            starting_at=line.starting_at,
            ending_before=line.ending_before,
            quantity=line.quantity,
            raw_quantity=line.raw_quantity,
            unit_price=line.unit_price,
            list_price=line.list_price,
            total_unrounded=line.total_unrounded,
            total=line.total,
            tiers=line.tiers,
            explanation=line.explanation,
            commit_public_id=line.commit_public_id,
            commit_segment_public_id=line.commit_segment_public_id,
            scheduled_charge_public_id=line.scheduled_charge_public_id,
        )
        for position, line in enumerate(lines)
    ]


def set_totals(invoice: Invoice, lines: list[DraftLine]) -> None:
    """Subtotal, total and computed_at of `invoice` from its lines (not saved)."""
    charges = [line.total for line in lines if not line.type.startswith("APPLIED_")]
    invoice.subtotal = sum(charges, Decimal(0))
    invoice.total = sum((line.total for line in lines), Decimal(0))
    invoice.computed_at = timezone.now()
    invoice.error, invoice.error_at = "", None  # computed: an earlier failure is over


def _set_totals(invoice: Invoice, lines: list[DraftLine]) -> None:
    set_totals(invoice, lines)
    invoice.save()


def _live_invoice(contract: Contract, kind: str, start: datetime) -> Invoice | None:
    return (
        Invoice.objects.select_for_update()
        .filter(contract=contract, type=kind, period_start=start)
        .exclude(status=InvoiceStatus.VOID)
        .first()
    )


def draft_usage_statement(
    contract: Contract, invoice: Invoice, period: Period,
    usage: UsageSource | UsageReader | None = None, cards: Cards | None = None,
) -> tuple[list[DraftLine], list[drawdown.Draw]]:  # fmt: skip
    """The lines and commit draws of a usage statement, computed without writing anything, by
    the rating core (invoicing.rating). `usage` replaces the stored events as the source of
    quantities (cost preview); `cards` shares rate cards among a batch's statements."""
    places = line_places(invoice.credit_type)
    return statement_rated(contract, invoice, period, places, usage=usage, cards=cards)


@transaction.atomic
def invoice_compute_usage(*, contract: Contract, period: Period) -> Invoice:
    """Create or recompute the usage statement of `contract` for `period`."""
    Contract.objects.select_for_update().filter(pk=contract.pk).first()  # serialize recomputes
    invoice = _live_invoice(contract, InvoiceType.USAGE, period.start)
    if invoice is not None and not invoice.is_draft:
        return invoice  # finalized invoices are immutable
    if invoice is None:
        invoice = Invoice.objects.create(
            customer=contract.customer,
            contract=contract,
            credit_type=contract_credit_type(contract),
            type=InvoiceType.USAGE,
            period_start=period.start,
            period_end=period.end,
            issued_at=period.end,
        )
    lines, draws = draft_usage_statement(contract, invoice, period)
    drawdown.write_ledger(invoice, draws)
    _write_lines(invoice, lines)
    _set_totals(invoice, lines)
    return invoice


@transaction.atomic
def contract_scheduled_invoices_sync(
    *, contract: Contract, through: datetime | None = None
) -> list[Invoice]:
    """Invoices for commit purchases (invoice schedules) and scheduled charges, one per
    timestamp, for every item dated before `through` (all items when None)."""
    items: dict[datetime, list[DraftLine]] = {}
    # A customer-level commit is invoiced on the contract it names in invoice_contract.
    billed_here = Q(commit__contract=contract) | Q(
        commit__contract__isnull=True, commit__invoice_contract=contract
    )
    commit_items = CommitInvoiceItem.objects.filter(
        billed_here, commit__kind=CommitKind.PREPAID, commit__do_not_invoice=False,
        commit__archived_at__isnull=True,
    ).select_related("commit__product")  # fmt: skip
    charge_items = ScheduledChargeItem.objects.filter(
        charge__contract=contract, charge__archived_at__isnull=True
    ).select_related("charge__product")
    places = line_places(contract_credit_type(contract))
    for item in commit_items:
        if through is None or item.timestamp < through:
            items.setdefault(item.timestamp, []).append(DraftLine(
                type="COMMIT_PURCHASE", name=item.commit.name or item.commit.product.name,
                product=item.commit.product, starting_at=item.timestamp, ending_before=item.timestamp,
                quantity=item.quantity, unit_price=item.unit_price,
                total_unrounded=item.amount, total=round_line(item.amount, places),
                commit_public_id=item.commit.public_id,
            ))  # fmt: skip
    on_usage = on_usage_statements(contract, charge_items)  # billed with usage instead
    for item in charge_items:
        if item.pk not in on_usage and (through is None or item.timestamp < through):
            items.setdefault(item.timestamp, []).append(DraftLine(
                type="SCHEDULED", name=item.charge.name or item.charge.product.name,
                product=item.charge.product, starting_at=item.timestamp, ending_before=item.timestamp,
                quantity=item.quantity, unit_price=item.unit_price,
                total_unrounded=item.amount, total=round_line(item.amount, places),
                scheduled_charge_public_id=item.charge.public_id,
            ))  # fmt: skip
    until = through or timezone.now()
    for timestamp, line in scheduled_subscription_lines(contract, until, places):
        items.setdefault(timestamp, []).append(line)
    for timestamp, line in services_terms_lines(contract, through, places):  # discounts + pro svc
        items.setdefault(timestamp, []).append(line)
    invoices = []
    for timestamp, lines in sorted(items.items()):
        invoice = _live_invoice(contract, InvoiceType.SCHEDULED, timestamp)
        if invoice is not None and not invoice.is_draft:
            invoices.append(invoice)
            continue
        if invoice is None:
            invoice = Invoice.objects.create(
                customer=contract.customer, contract=contract, credit_type=contract_credit_type(contract),
                type=InvoiceType.SCHEDULED, period_start=timestamp, period_end=timestamp, issued_at=timestamp,
            )  # fmt: skip
        _write_lines(invoice, lines)
        _set_totals(invoice, lines)
        invoices.append(invoice)
    return invoices


def contract_statement_periods(contract: Contract, through: datetime) -> list[Period]:
    """Usage statement periods begun by `through`, cut where one was finalized early."""
    return statement_periods(contract, through)


def current_statements(
    customer, now: datetime, usage: UsageSource | None = None
) -> list[tuple[Contract, Period, Invoice, list[DraftLine]]]:
    """Each active contract's usage statement for the period containing `now`, as it stands
    (usage, overrides, drawdown), writing nothing: the stored draft, or an unsaved one when the
    period has none yet. `usage` replaces the stored events (a cost preview)."""
    out = []
    contracts = Contract.objects.filter(
        customer=customer, archived_at__isnull=True, starting_at__lte=now
    ).select_related("rate_card__fiat_credit_type", "customer")
    for contract in contracts:
        period = next(
            (p for p in contract_statement_periods(contract, now) if p.contains(now)), None
        )
        if period is None:
            continue
        stored = (
            Invoice.objects.filter(
                contract=contract, type=InvoiceType.USAGE, period_start=period.start
            )
            .exclude(status=InvoiceStatus.VOID)
            .first()
        )
        invoice = stored or Invoice(
            customer=customer, contract=contract, credit_type=contract_credit_type(contract),
            type=InvoiceType.USAGE, period_start=period.start, period_end=period.end,
            issued_at=period.end,
        )  # fmt: skip
        lines, _draws = draft_usage_statement(contract, invoice, period, usage=usage)
        out.append((contract, period, invoice, lines))
    return out


def contract_invoices_refresh(
    *, contract: Contract, through: datetime | None = None, max_new: int | None = None
) -> list[Invoice]:
    """Bring every statement up to date through `through` (default now), in period order, so
    drawdown flows from earlier statements to later ones; each in its own transaction (or
    savepoint). A statement that fails is recorded on its draft (invoicing.failures) and the
    later ones wait for it. `max_new` bounds how many statements that do not exist yet are
    created (a read creates at most that many; the background refresh creates the rest)."""
    from invoicing.consolidation import consolidated_refresh
    from invoicing.failures import contract_failed, statement_failed
    from invoicing.recurring_due import recurring_issue_due

    through = through or timezone.now()
    if failure := recurring_issue_due(contract_ids=[contract.pk], now=through).get(contract.pk):
        # No statement is computed without the commits it draws on.
        periods = contract_statement_periods(contract, through)
        contract_failed(contract=contract, periods=periods, error=failure)
        return []
    invoices = contract_scheduled_invoices_sync(contract=contract, through=through)
    periods = contract_statement_periods(contract, through)
    existing = set(
        Invoice.objects.filter(contract=contract, type=InvoiceType.USAGE)
        .exclude(status=InvoiceStatus.VOID)
        .values_list("period_start", flat=True)
    )
    created = 0
    for period in periods:
        if period.start not in existing:
            if max_new is not None and created >= max_new:
                break
            created += 1
        try:
            invoices.append(invoice_compute_usage(contract=contract, period=period))
        except Exception as error:  # one contract's failure is recorded, never spread
            statement_failed(contract=contract, period=period, error=error)
            break
    return invoices + consolidated_refresh(contract=contract, through=through)  # a parent's


def _lock_contract_then(invoice: Invoice) -> None:
    """Lock the invoice's contract before the invoice itself: the order of recomputes and of
    the close (invoicing.close), so finalize, void and regenerate never deadlock with them."""
    Contract.objects.select_for_update().filter(pk=invoice.contract_id).first()


def next_numbers(prefix: str, count: int) -> list[str]:
    """`count` consecutive numbers of the series (gapless: taken under its row lock)."""
    series, _ = InvoiceNumberSeries.objects.select_for_update().get_or_create(prefix=prefix)
    first = series.last_number + 1
    series.last_number += count
    series.save(update_fields=["last_number"])
    return [f"{prefix}-{n:06d}" for n in range(first, series.last_number + 1)]


@transaction.atomic
def invoice_finalize(*, invoice: Invoice, confirm_period: str | None = None) -> Invoice:
    """Finalize a draft: a usage statement is recomputed with final usage first; numbered. The
    close does the same for many. An open period: invoicing.finalize_rules (`confirm_period`)."""
    from invoicing.close import invoices_close
    from invoicing.finalize_rules import finalize_open_period

    _lock_contract_then(invoice)
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status == InvoiceStatus.FINALIZED:
        return invoice  # idempotent: month close may run twice
    if not invoice.is_draft:
        raise ApplicationError(
            NOT_DRAFT.format(id=invoice.public_id, status=invoice.status, verb="finalized"),
            "conflict",
        )
    if invoice.type != InvoiceType.SCHEDULED and invoice.period_end > timezone.now():
        return finalize_open_period(invoice=invoice, confirm_period=confirm_period)
    closed = [i for i in invoices_close(invoice_ids=[invoice.pk]) if i.pk == invoice.pk]
    if not closed:
        invoice.refresh_from_db()
        raise ApplicationError(
            f"id: invoice {invoice.public_id} could not be computed: {invoice.error}", "conflict"
        )
    return closed[0]


@transaction.atomic
def invoice_void(*, invoice: Invoice) -> Invoice:
    _lock_contract_then(invoice)
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status == InvoiceStatus.VOID:
        return invoice  # idempotent
    drawdown.reverse_ledger(invoice)
    invoice.status = InvoiceStatus.VOID
    invoice.voided_at = timezone.now()
    invoice.save(update_fields=["status", "voided_at", "updated_at"])
    invoice_voided.send(Invoice, invoice=invoice)
    return invoice


@transaction.atomic
def invoice_regenerate(*, invoice: Invoice) -> Invoice:
    """Void `invoice` (if not already) and compute a new one for the same contract and period
    with current usage, rates and credits. The voided invoice stays, unchanged, marked VOID."""
    from invoicing.consolidation import consolidated_regenerate
    from invoicing.historical import historical_invoice

    _lock_contract_then(invoice)
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if hasattr(invoice, "regenerated_as"):
        return invoice.regenerated_as  # idempotent: a retried regenerate returns the same one
    if historical_invoice(invoice):
        raise ApplicationError(
            "invoice_id: a historical invoice bills the quantities it was given, not stored "
            "usage: void it and create it again with createHistoricalInvoices."
        )
    invoice_void(invoice=invoice)
    if invoice.type == InvoiceType.USAGE:
        new = invoice_compute_usage(
            contract=invoice.contract, period=Period(invoice.period_start, invoice.period_end)
        )
    elif invoice.type == InvoiceType.USAGE_CONSOLIDATED:
        new = consolidated_regenerate(invoice)
    else:
        new = next(
            i
            for i in contract_scheduled_invoices_sync(contract=invoice.contract)
            if i.period_start == invoice.period_start
        )
    new.regenerated_from = invoice
    new.save(update_fields=["regenerated_from", "updated_at"])
    return new


def invoice_finalize_due(*, now: datetime, grace: timedelta) -> int:
    """Finalize every draft whose period ended more than `grace` ago (the periodic close):
    invoicing.close.invoices_close_due."""
    from invoicing.close import invoices_close_due

    return invoices_close_due(now=now, grace=grace)
