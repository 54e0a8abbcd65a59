"""Credit grants in Metronome 1.0's wire shapes (metronome/types/v1/credit_grant_list_response.py,
credit_grant_list_entries_response.py, credit_ledger_entry.py), read from the commits' ledgers
(contracts.models.LedgerEntry): an entry on a draft invoice is pending, every other one posted."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone

from billing_console.lib.periods import iter_periods
from billing_console.lib.wire_values import iso, number
from contracts.models import Contract, LedgerEntry, LedgerEntryType
from invoicing.models import Invoice, InvoiceStatus
from plans.credit_grants import purchase_invoice
from plans.models import CreditGrant
from pricing.models import Product
from pricing.wire import credit_type_data

REASONS = {
    LedgerEntryType.SEGMENT_START: "Credit grant",
    LedgerEntryType.USAGE_DEDUCTION: "Usage deduction",
    LedgerEntryType.EXPIRATION: "Expiration",
    LedgerEntryType.ROLLOVER: "Rollover",
    LedgerEntryType.MANUAL: "Manual adjustment",
}


@dataclass
class Entry:
    grant: CreditGrant
    row: LedgerEntry
    pending: bool
    invoice_id: str | None


def period_end(customer: Any, now: datetime) -> datetime:
    """The end of the customer's current billing period: that of its earliest contract in
    force (now when it has none)."""
    contract = (
        Contract.objects.filter(customer=customer, archived_at__isnull=True, starting_at__lte=now)
        .filter(Q(ending_before__isnull=True) | Q(ending_before__gt=now))
        .order_by("starting_at", "pk")
        .first()
    )
    if contract is None:
        return now
    for period in iter_periods(
        contract.usage_statement_anchor, contract.usage_statement_frequency, until=now
    ):
        if period.end > now:
            return min(period.end, contract.ending_before or period.end)
    return now


def entries_of(grants: Iterable[CreditGrant]) -> list[Entry]:
    grants = {g.commit_id: g for g in grants}
    rows = list(LedgerEntry.objects.filter(commit_id__in=list(grants)).order_by("timestamp", "pk"))
    invoice_ids = {r.invoice_public_id for r in rows if r.invoice_public_id}
    drafts = set(
        Invoice.objects.filter(public_id__in=invoice_ids, status=InvoiceStatus.DRAFT).values_list(
            "public_id", flat=True
        )
    )
    purchases = {g.commit_id: purchase_invoice(g) for g in grants.values() if g.paid_amount > 0}
    out = []
    for row in rows:
        grant = grants[row.commit_id]
        invoice_id = row.invoice_public_id
        if row.type == LedgerEntryType.SEGMENT_START and purchases.get(row.commit_id):
            invoice_id = purchases[row.commit_id].public_id  # type: ignore[union-attr]
        out.append(
            Entry(
                grant, row, row.invoice_public_id in drafts, str(invoice_id) if invoice_id else None
            )
        )
    return out


def entry_to_wire(entry: Entry, running: Decimal) -> dict[str, Any]:
    """CreditLedgerEntry."""
    row = entry.row
    reason = row.reason or REASONS.get(row.type, row.type.replace("_", " ").capitalize())
    if row.type == LedgerEntryType.SEGMENT_START and entry.grant.reason:
        reason = entry.grant.reason
    return {
        "amount": number(row.amount),
        "created_by": "",
        "credit_grant_id": str(entry.grant.public_id),
        "effective_at": iso(row.timestamp),
        "reason": reason,
        "running_balance": number(running),
        "invoice_id": entry.invoice_id,
    }


def _with_running(entries: list[Entry], start: Decimal = Decimal(0)) -> list[tuple[Entry, Decimal]]:
    out, running = [], start
    for entry in entries:
        running += entry.row.amount
        out.append((entry, running))
    return out


def grant_to_wire(grant: CreditGrant, *, now: datetime | None = None) -> dict[str, Any]:
    """CreditGrantListResponse."""
    now = now or timezone.now()
    end = period_end(grant.customer, now)
    entries = entries_of([grant])
    posted = [e for e in entries if not e.pending]
    posted_sum = sum((e.row.amount for e in posted), Decimal(0))
    all_sum = sum((e.row.amount for e in entries), Decimal(0))
    expired = grant.expires_at <= now
    deductions = [e for e in posted if e.row.type != LedgerEntryType.SEGMENT_START]
    running = _with_running(entries)
    products = Product.objects.filter(public_id__in=grant.product_ids)
    names = {str(p.public_id): p.name for p in products}
    invoice = purchase_invoice(grant) if grant.paid_amount > 0 else None
    return {
        "id": str(grant.public_id),
        "balance": {
            "effective_at": iso(end),
            "excluding_pending": number(Decimal(0) if expired else max(posted_sum, Decimal(0))),
            "including_pending": number(
                Decimal(0) if grant.expires_at < end else max(all_sum, Decimal(0))
            ),
        },
        "custom_fields": grant.custom_fields,
        "customer_id": str(grant.customer.public_id),
        "deductions": [entry_to_wire(e, r) for e, r in running if e in deductions],
        "effective_at": iso(grant.effective_at),
        "expires_at": iso(grant.expires_at),
        "grant_amount": {
            "amount": number(grant.grant_amount),
            "credit_type": credit_type_data(grant.grant_credit_type),
        },
        "name": grant.name,
        "paid_amount": {
            "amount": number(grant.paid_amount),
            "credit_type": credit_type_data(grant.paid_credit_type),
        },
        "pending_deductions": [entry_to_wire(e, r) for e, r in running if e.pending],
        "priority": number(grant.priority),
        "credit_grant_type": grant.credit_grant_type or None,
        "invoice_id": str(invoice.public_id) if invoice is not None else None,
        "products": [{"id": pid, "name": names.get(pid, "")} for pid in grant.product_ids],
        "reason": grant.reason or None,
        "uniqueness_key": grant.uniqueness_key,
    }


def _balance(entries: list[Entry], before: datetime | None, pending: bool) -> Decimal:
    return sum(
        (
            e.row.amount
            for e in entries
            if (before is None or e.row.timestamp < before) and (pending or not e.pending)
        ),
        Decimal(0),
    )


def ledger_to_wire(
    grants: list[CreditGrant], *, starting_on: datetime | None, ending_before: datetime | None,
    descending: bool, now: datetime,
) -> dict[str, Any]:  # fmt: skip
    """One Ledger: the entries of one customer's grants in one credit type, in a window."""
    entries = entries_of(grants)
    start_at = starting_on or min(g.effective_at for g in grants)
    end_at = ending_before or period_end(grants[0].customer, now)
    inside = [
        e for e in entries
        if start_at <= e.row.timestamp < end_at
    ]  # fmt: skip
    posted_before = _balance(entries, start_at, pending=False)
    posted = _with_running([e for e in inside if not e.pending], posted_before)
    pending = _with_running(
        [e for e in inside if e.pending], _balance(inside, None, False) + posted_before
    )
    if descending:
        posted.reverse()
        pending.reverse()
    ending_posted = _balance(entries, end_at, pending=False)
    return {
        "credit_type": credit_type_data(grants[0].grant_credit_type),
        "starting_balance": {
            "effective_at": iso(start_at),
            "excluding_pending": number(posted_before),
            "including_pending": number(_balance(entries, start_at, pending=True)),
        },
        "ending_balance": {
            "effective_at": iso(end_at),
            "excluding_pending": number(ending_posted),
            "including_pending": number(_balance(entries, end_at, pending=True)),
        },
        "entries": [entry_to_wire(e, r) for e, r in posted],
        "pending_entries": [entry_to_wire(e, r) for e, r in pending],
    }
