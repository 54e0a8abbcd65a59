"""The draft refresh in batches (the periodic `contracts_refresh_statements`): many contracts'
statements brought up to date together, through the month close's path (invoicing.close).

A batch is one transaction that locks its contracts (in pk order, as a recompute does) and
then reads together what its statements need: the contracts with their terms
(invoicing.rating.loader.contracts_load), each rate card once (Cards), the live usage
statements (one query: which periods exist, which were finalized or cut), the customers'
ingest aliases, and the usage of every statement in one rollup query per metric and window
(invoicing.close_usage.BatchUsage). Each statement is then rated by the same core as one
`invoice_compute_usage`, in period order per contract (so drawdown flows from earlier
statements to later ones), and the batch writes set-based: new drafts in one INSERT, the
lines of every draft whose lines changed deleted and inserted in one statement each, totals in
one UPDATE batch, audit entries in one INSERT. What costs a query per contract is only what
rarely exists: scheduled terms (commit invoice schedules, scheduled charges, subscriptions,
discounts, professional services: contract_scheduled_invoices_sync, one contract at a time),
a commit's ledger balances, SQL metrics and usage rollups cannot answer, consolidated parents.

One contract's failure stays its own: a statement that raises is rolled back to its
savepoint and recorded on its draft where finance sees it (invoicing.failures); that
contract's later statements wait for it, the other contracts go on. A batch that fails as a
whole (a lock timeout...) is redone one contract at a time (contract_invoices_refresh).
"""

import logging
from copy import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from auditlog.context import disable_auditlog
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_save
from django.utils import timezone

from billing_console.audit import audit_updates_bulk
from billing_console.lib.bulk import bulk_insert, bulk_update_rows
from billing_console.lib.periods import Period
from contracts.models import (
    CommitInvoiceItem,
    Contract,
    DiscountItem,
    ProServiceInvoiceItem,
    ScheduledChargeItem,
)
from invoicing import drawdown
from invoicing.close import line_values, stored_lines, with_deductions
from invoicing.close_usage import BatchUsage
from invoicing.consolidation import consolidated_refresh
from invoicing.failures import contract_failed, statement_failed
from invoicing.invoice_audit import audit_creates_bulk
from invoicing.models import Invoice, InvoiceStatus, InvoiceType, LineItem
from invoicing.rating.lines import DraftLine
from invoicing.rating.loader import contracts_load
from invoicing.rating.terms import Cards
from invoicing.recurring_due import recurring_issue_due
from invoicing.services import (
    contract_credit_type,
    contract_invoices_refresh,
    contract_scheduled_invoices_sync,
    draft_usage_statement,
    line_items,
    set_totals,
)
from invoicing.statement_pieces import statement_periods
from pricing.models import CreditType
from usage.selectors import event_ids_hold

logger = logging.getLogger(__name__)

BATCH_SIZE = 200  # contracts per transaction: bounds lock time and memory
WRITTEN = ["subtotal", "total", "computed_at", "error", "error_at", "updated_at"]
AUDITED = ["subtotal", "total", "error"]  # what a save of a recomputed draft changes, audited


@dataclass
class Refreshed:
    contracts: int = 0  # contracts refreshed (or tried)
    statements: int = 0  # usage statements computed
    failed: list[int] = field(default_factory=list)  # pks of contracts with a recorded failure


@dataclass
class _Statement:
    contract: Contract
    period: Period
    invoice: Invoice  # unsaved when the period has no statement yet
    lines: list[DraftLine] | None = None


def contracts_refresh(
    contract_ids: list[int], *, now: datetime | None = None, batch_size: int = BATCH_SIZE,
    drafts_only: bool = False,
) -> Refreshed:  # fmt: skip
    """Bring the statements of these contracts up to date through `now`, `batch_size`
    contracts per transaction. `drafts_only`: recompute the usage drafts there are, creating
    nothing (what a write triggers: invoicing.refresh_triggers; the periodic refresh creates
    new periods' statements, scheduled invoices and recurring commits)."""
    now = now or timezone.now()
    ids, done = sorted(contract_ids), Refreshed()
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]
        try:
            part = contracts_refresh_batch(chunk, now=now, drafts_only=drafts_only)
        except Exception:  # not one contract's data: redo the batch one contract at a time
            logger.exception("draft refresh: batch of %d contracts failed", len(chunk))
            if drafts_only:  # the periodic refresh will
                continue
            part = contracts_refresh_one_by_one(chunk, now=now)
        done.contracts += part.contracts
        done.statements += part.statements
        done.failed += part.failed
    return done


def contracts_refresh_one_by_one(contract_ids: list[int], *, now: datetime) -> Refreshed:
    """The path without a batch: contract_invoices_refresh for each contract in turn."""
    done = Refreshed()
    for contract in Contract.objects.filter(pk__in=contract_ids).order_by("pk"):
        done.contracts += 1
        try:
            invoices = contract_invoices_refresh(contract=contract, through=now)
        except Exception:  # its statements record their own failures; this is anything else
            logger.exception("draft refresh of contract %s failed", contract.public_id)
            done.failed.append(contract.pk)
            continue
        done.statements += sum(1 for i in invoices if i.type == InvoiceType.USAGE)
    return done


@transaction.atomic
def contracts_refresh_batch(
    contract_ids: list[int], *, now: datetime, drafts_only: bool = False
) -> Refreshed:
    """One batch: every live statement of these contracts recomputed through `now` (new
    periods get their drafts), in one transaction."""
    ids = list(
        Contract.objects.select_for_update()
        .filter(pk__in=list(contract_ids), archived_at__isnull=True, starting_at__lte=now)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    done = Refreshed(contracts=len(ids))
    if not ids:
        return done
    # A contract whose recurring commits could not be issued is recorded on its first open
    # statement and left out (_plan), as one whose scheduled invoices failed.
    failed = {} if drafts_only else recurring_issue_due(contract_ids=ids, now=now)
    contracts = contracts_load(ids)
    for pk in (
        [] if drafts_only else _with_scheduled_terms(contracts)
    ):  # one contract at a time: few have any
        try:
            with transaction.atomic():
                contract_scheduled_invoices_sync(contract=contracts[pk], through=now)
        except Exception as error:  # recorded on its current statement below
            failed[pk] = error
    statements = _plan(contracts, now, failed, drafts_only)
    event_ids_hold(c.customer for c in contracts.values())
    cards, usage = Cards(), BatchUsage()
    usage.prefetch([(s.contract, s.period) for s in statements], cards)
    existing = [s.invoice for s in statements if s.invoice.pk is not None]
    drew_before, stored = with_deductions(existing), stored_lines(existing)
    try:  # all at once, without a savepoint per statement: the common case, no failure
        with transaction.atomic():
            for statement in statements:
                _rate(statement, usage, cards, drew_before)
    except Exception:  # some statement failed: redo each in its own savepoint to find it
        for statement in statements:
            statement.lines = None
        _rate_each(statements, usage, cards, drew_before, failed)
    done.failed = sorted(failed)
    computed = [s for s in statements if s.lines is not None]
    done.statements = len(computed)
    _write(computed, stored)
    for contract in [] if drafts_only else contracts.values():  # a hierarchy's parent
        if contract.invoice_consolidation_type == "CONCATENATE" and contract.pk not in failed:
            with transaction.atomic():
                consolidated_refresh(contract=contract, through=now)
    return done


def _rate(statement: _Statement, usage: BatchUsage, cards: Cards, drew_before: set) -> None:
    """Rate one statement, writing its draws to the ledger (before the next statement of its
    contract reads the balances)."""
    invoice = statement.invoice
    lines, draws = draft_usage_statement(
        statement.contract, invoice, statement.period, usage, cards
    )
    if draws or invoice.public_id in drew_before:
        drawdown.write_ledger(invoice, draws)
    statement.lines = lines


def _rate_each(
    statements: list[_Statement], usage: BatchUsage, cards: Cards, drew_before: set,
    failed: dict[int, BaseException],
) -> None:  # fmt: skip
    """Rate each statement in its own savepoint; one that fails is rolled back alone and
    recorded on its draft (created empty when it had none), and its contract's later
    statements wait for it."""
    for statement in statements:
        contract, invoice = statement.contract, statement.invoice
        if contract.pk in failed:
            continue
        try:
            with transaction.atomic():
                _rate(statement, usage, cards, drew_before)
        except Exception as error:
            statement.lines = None
            failed[contract.pk] = error
            statement_failed(
                contract=contract, period=statement.period, error=error,
                invoice=invoice if invoice.pk is not None else None,
            )  # fmt: skip


def _with_scheduled_terms(contracts: dict[int, Contract]) -> list[int]:
    """The contracts that bill anything on SCHEDULED invoices (a superset), in four queries."""
    ids = list(contracts)
    found = {pk for pk, c in contracts.items() if c.prefetched_subscriptions}
    for pk, invoice_pk in CommitInvoiceItem.objects.filter(
        Q(commit__contract_id__in=ids) | Q(commit__invoice_contract_id__in=ids)
    ).values_list("commit__contract_id", "commit__invoice_contract_id"):
        found.update({pk, invoice_pk})
    found.update(
        ScheduledChargeItem.objects.filter(charge__contract_id__in=ids).values_list(
            "charge__contract_id", flat=True
        )
    )
    found.update(
        ProServiceInvoiceItem.objects.filter(service__contract_id__in=ids).values_list(
            "service__contract_id", flat=True
        )
    )
    found.update(
        DiscountItem.objects.filter(discount__contract_id__in=ids).values_list(
            "discount__contract_id", flat=True
        )
    )
    return sorted(pk for pk in found if pk in contracts)


def _plan(
    contracts: dict[int, Contract], now: datetime, failed: dict[int, BaseException],
    drafts_only: bool,
) -> list[_Statement]:  # fmt: skip
    """The statements to compute, by contract pk then period: each draft, and each period
    without a statement yet (an unsaved draft); finalized ones are never recomputed."""
    live: dict[int, list[Invoice]] = {}
    for invoice in (
        Invoice.objects.filter(contract_id__in=list(contracts), type=InvoiceType.USAGE)
        .exclude(status=InvoiceStatus.VOID)
        .order_by("period_start", "pk")
    ):
        live.setdefault(invoice.contract_id, []).append(invoice)
    credit_types = CreditType.objects.in_bulk(
        {i.credit_type_id for invoices in live.values() for i in invoices}
    )
    default_types: dict[int, Any] = {}
    out = []
    for pk in sorted(contracts):
        contract, invoices = contracts[pk], live.get(pk, [])
        rows = [(i.period_start, i.period_end, i.status) for i in invoices]
        periods = statement_periods(contract, now, rows)
        if pk in failed:  # its scheduled invoices or recurring commits failed
            contract_failed(contract=contract, periods=periods, error=failed[pk])
            continue
        by_start = {i.period_start: i for i in invoices}
        for period in periods:
            invoice = by_start.get(period.start)
            if invoice is None and drafts_only:
                break  # no later period has one either
            if invoice is None:
                key = contract.rate_card_id or 0
                if key not in default_types:
                    default_types[key] = contract_credit_type(contract)
                invoice = Invoice(
                    customer=contract.customer, contract=contract,
                    credit_type=default_types[key], type=InvoiceType.USAGE,
                    period_start=period.start, period_end=period.end, issued_at=period.end,
                )  # fmt: skip
            elif not invoice.is_draft:
                continue  # finalized invoices are immutable
            else:
                invoice.contract = contract
                invoice.credit_type = credit_types[invoice.credit_type_id]
                if invoice.customer_id == contract.customer_id:
                    invoice.customer = contract.customer
            out.append(_Statement(contract, period, invoice))
    return out


def _write(statements: list[_Statement], stored: dict[int, list[tuple]]) -> None:
    """The computed statements written set-based: new drafts, changed lines, totals, audit
    entries; then what a save of each would have sent (alerts: spend changed)."""
    now = timezone.now()
    new = [s for s in statements if s.invoice.pk is None]
    old = [s for s in statements if s.invoice.pk is not None]
    before = [[getattr(s.invoice, name) for name in AUDITED] for s in old]
    for statement in statements:
        assert statement.lines is not None
        set_totals(statement.invoice, statement.lines)
        statement.invoice.updated_at = now
    Invoice.objects.bulk_create([s.invoice for s in new])  # their pks, for the lines
    created = {s.invoice.pk for s in new}
    new_lines, changed = [], []
    for statement in statements:
        invoice = statement.invoice
        items = line_items(invoice, statement.lines or [])
        for item in items:
            item.invoice_id = invoice.pk
        if invoice.pk in created:
            new_lines += items
        elif [line_values(item) for item in items] != stored.get(invoice.pk, []):
            changed.append(invoice)  # usage arrived (or terms moved) since the last refresh
            new_lines += items
    LineItem.objects.filter(invoice_id__in=[i.pk for i in changed]).delete()
    bulk_insert(LineItem, new_lines)
    bulk_update_rows(Invoice, [s.invoice for s in old], WRITTEN)
    audit_updates_bulk(  # a draft whose audited fields are equal has no entry: not diffed
        [
            (_as_before(s.invoice, values), s.invoice, AUDITED)
            for values, s in zip(before, old, strict=True)
            if values != [getattr(s.invoice, name) for name in AUDITED]
        ]
    )
    audit_creates_bulk([s.invoice for s in new])
    with disable_auditlog():  # what a save of each would have sent (audited above)
        for statement in statements:
            invoice = statement.invoice
            post_save.send(Invoice, instance=invoice, created=invoice.pk in created,
                           update_fields=None, raw=False, using=invoice._state.db)  # fmt: skip


def _as_before(invoice: Invoice, values: list) -> Invoice:
    """`invoice` with the audited fields it had before the recompute (what a save diffs)."""
    before = copy(invoice)
    for name, value in zip(AUDITED, values, strict=True):
        setattr(before, name, value)
    return before
