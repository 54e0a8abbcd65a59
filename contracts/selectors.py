"""Contract reads: contracts, commits with their segments, and ledger-derived balances."""

import uuid
from datetime import datetime
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum

from billing_console.lib.periods import Period
from contracts.models import AccessSegment, Commit, Contract, LedgerEntry, LedgerEntryType
from contracts.terms.spend_accumulated import billing_period
from pricing.models import Package


def contract_list(*, customer, include_archived: bool = False) -> QuerySet[Contract]:
    qs = Contract.objects.filter(customer=customer).select_related("rate_card", "customer")
    return qs if include_archived else qs.filter(archived_at__isnull=True)


def contract_get(*, customer, contract_id: str, field: str = "contract_id") -> Contract:
    """The customer's contract with this public id; a 404 naming `field` otherwise."""
    from billing_console.api import ApplicationError

    try:
        key = uuid.UUID(str(contract_id))
    except ValueError:
        raise ApplicationError(
            f"{field}: no contract with id {contract_id}.", "not_found"
        ) from None
    contract = (
        Contract.objects.filter(customer=customer, public_id=key)
        .select_related("customer", "rate_card", "package")
        .first()
    )
    if contract is None:
        raise ApplicationError(
            f"{field}: no contract with id {contract_id} for this customer.", "not_found"
        )
    return contract


def segment_balance(
    segment: AccessSegment,
    *,
    as_of: datetime | None = None,
    exclude_invoice_period_start: datetime | None = None,
) -> Decimal:
    """The sum of the segment's ledger entries (optionally up to `as_of`, and leaving out
    deductions dated at or after `exclude_invoice_period_start`)."""
    entries = LedgerEntry.objects.filter(segment=segment)
    if as_of is not None:
        entries = entries.filter(timestamp__lte=as_of)
    if exclude_invoice_period_start is not None:
        entries = entries.exclude(
            Q(type=LedgerEntryType.USAGE_DEDUCTION) & Q(timestamp__gte=exclude_invoice_period_start)
        )
    return entries.aggregate(total=Sum("amount"))["total"] or Decimal(0)


def commit_balance(commit: Commit, *, as_of: datetime | None = None) -> Decimal:
    """What remains on a commit or credit: the sum of its ledger, each segment counted at no
    less than 0 (negative manual entries beyond what a segment had left show as 0)."""
    entries = LedgerEntry.objects.filter(commit=commit)
    if as_of is not None:
        entries = entries.filter(timestamp__lte=as_of)
    total = Decimal(0)
    for row in entries.order_by().values("segment_id").annotate(total=Sum("amount")):
        amount = row["total"] or Decimal(0)
        total += max(amount, Decimal(0)) if row["segment_id"] is not None else amount
    return max(total, Decimal(0))


def segments_with_open_statements(segments: QuerySet[AccessSegment]) -> set[int]:
    """Segments whose window a DRAFT usage statement of their contract still covers."""
    from django.apps import apps

    invoice_model = apps.get_model("invoicing", "Invoice")  # invoicing sits above contracts
    blocked = set()
    for segment in segments.select_related("commit"):
        drafts = invoice_model.objects.filter(
            customer_id=segment.commit.customer_id,
            status="DRAFT",
            type="USAGE",
            period_start__lt=segment.ending_before,
            period_end__gt=segment.starting_at,
        )
        if segment.commit.contract_id is not None:
            drafts = drafts.filter(contract_id=segment.commit.contract_id)
        if drafts.exists():
            blocked.add(segment.pk)
    return blocked


def customer_billing_period(*, customer, at: datetime) -> Period | None:
    """The customer's current billing period at `at`: the usage statement period (clipped to
    the term) of its earliest live contract in force then; None without one. What Metronome's
    `current_period` means (a plan's billing period in Metronome 1.0, a contract's here)."""
    live = Contract.objects.filter(customer=customer, archived_at__isnull=True, starting_at__lte=at)
    for contract in live.filter(Q(ending_before__isnull=True) | Q(ending_before__gt=at)):
        period = billing_period(contract, at)
        if period is not None:
            return period
    return None


def contracts_on_package(
    package: Package,
    *,
    include_archived: bool = False,
    covering_date: datetime | None = None,
    starting_at: datetime | None = None,
) -> QuerySet:
    """Contracts created from `package` (listContractsOnPackage)."""
    qs = Contract.objects.filter(package=package).select_related("customer")
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    if covering_date is not None:
        qs = qs.filter(starting_at__lte=covering_date).filter(
            Q(ending_before__isnull=True) | Q(ending_before__gt=covering_date)
        )
    if starting_at is not None:
        qs = qs.filter(starting_at__gte=starting_at)
    return qs
