"""Ledgers and balances of commits and credits.

A ledger is append-only: a segment's balance is the sum of its entries, and a commit's balance
the sum over its segments. A manual entry may not take a segment below zero (ledger_manual_add);
a segment below zero all the same (entries written before that rule) counts as 0, never
lowering the balance of another segment, so a balance shown to anyone is never negative.
"""

import logging
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from billing_console.api import ApplicationError
from billing_console.lib.failing import failing_record
from contracts.models import AccessSegment, Commit, CommitKind, LedgerEntry, LedgerEntryType

logger = logging.getLogger(__name__)

PLACES = Decimal("1e-12")  # a RateField holds 12 decimal places
MANUAL_KEY_REUSED = (
    "uniqueness_key: '{key}' was already used for another ledger entry of this balance."
)
MANUAL_BELOW_ZERO = (
    "amount: would take the balance of segment {segment} below zero "
    "(it holds {balance}; the entry is {amount})."
)


def _draft_invoice_ids() -> Q:
    from django.apps import apps

    invoice_model = apps.get_model("invoicing", "Invoice")  # invoicing sits above contracts
    drafts = invoice_model.objects.filter(status="DRAFT").values("public_id")
    return Q(type=LedgerEntryType.USAGE_DEDUCTION, invoice_public_id__in=drafts)


def segment_sums(commit: Commit, *, finalized_only: bool = False) -> dict[int, Decimal]:
    """The raw (possibly negative) sum of each segment's entries, by segment pk."""
    entries = LedgerEntry.objects.filter(commit=commit, segment__isnull=False)
    if finalized_only:
        entries = entries.exclude(_draft_invoice_ids())
    rows = entries.order_by().values("segment_id").annotate(total=Sum("amount"))
    sums = {segment.pk: Decimal(0) for segment in commit.segments.all()}
    sums.update({row["segment_id"]: row["total"] or Decimal(0) for row in rows})
    return sums


def commit_available_balance(
    commit: Commit, *, at: datetime, finalized_only: bool = False
) -> Decimal:
    """What the customer can use at `at`, as Metronome shows `balance`: the segments whose
    access covers `at`, each counted at its ledger sum (future-dated manual entries included)
    and never below zero. Expired and upcoming segments contribute 0."""
    sums = segment_sums(commit, finalized_only=finalized_only)
    total = Decimal(0)
    for segment in commit.segments.all():
        if segment.starting_at <= at < segment.ending_before:
            total += max(sums.get(segment.pk, Decimal(0)), Decimal(0))
    return total


# --- manual entries ------------------------------------------------------------------------


def _plain(amount: Decimal) -> str:
    """An amount as the wire would write it: no exponent, no trailing zeros (125, not 125.0000)."""
    return f"{amount.normalize():f}"


def _same_manual(entry: LedgerEntry, segment: AccessSegment, amount: Decimal, reason: str) -> bool:
    return entry.segment_id == segment.pk and entry.amount == amount and entry.reason == reason


@transaction.atomic
def ledger_manual_add(
    *,
    commit: Commit,
    segment: AccessSegment,
    amount: Decimal,
    reason: str,
    timestamp: datetime | None = None,
    uniqueness_key: str | None = None,
) -> LedgerEntry:
    """Append a MANUAL entry (positive adds, negative draws) to one segment of a commit; a draw
    may not take the segment's balance (the sum of its entries) below zero.

    With a uniqueness_key, a retry of the same entry returns the entry already written; the
    key reused for a different entry is a conflict."""
    if segment.commit_id != commit.pk:
        raise ApplicationError(f"segment_id: no segment {segment.public_id} on this balance.")
    Commit.objects.select_for_update().filter(pk=commit.pk).first()  # serialize per commit
    if uniqueness_key:
        existing = LedgerEntry.objects.filter(commit=commit, uniqueness_key=uniqueness_key).first()
        if existing is not None:
            if _same_manual(existing, segment, amount, reason):
                return existing
            raise ApplicationError(MANUAL_KEY_REUSED.format(key=uniqueness_key), "conflict")
    if amount < 0:  # the commit row is locked: no concurrent entry can change the sum now
        balance = segment_sums(commit)[segment.pk]
        if balance + amount < 0:
            raise ApplicationError(
                MANUAL_BELOW_ZERO.format(
                    segment=segment.public_id, balance=_plain(balance), amount=_plain(amount)
                )
            )
    try:
        with transaction.atomic():
            return LedgerEntry.objects.create(
                commit=commit,
                segment=segment,
                type=LedgerEntryType.MANUAL,
                amount=amount,
                timestamp=timestamp or segment.starting_at,
                reason=reason,
                uniqueness_key=uniqueness_key or None,
            )
    except IntegrityError:
        raise ApplicationError(MANUAL_KEY_REUSED.format(key=uniqueness_key), "conflict") from None


# --- expiry and rollover ---------------------------------------------------------------------


def _rollover_target(segment: AccessSegment) -> AccessSegment | None:
    """Where a rollover goes: the commit's next segment, else a segment of a commit of the
    same kind and product on a later contract of the customer, covering the expiry moment."""
    commit = segment.commit
    following = (
        commit.segments.filter(starting_at__gte=segment.ending_before)
        .order_by("starting_at")
        .first()
    )
    if following is not None or commit.contract_id is None:
        return following
    return (
        AccessSegment.objects.filter(
            commit__customer_id=commit.customer_id,
            commit__kind=commit.kind,
            commit__product_id=commit.product_id,
            commit__archived_at__isnull=True,
            commit__contract__starting_at__gte=commit.contract.starting_at,
            starting_at__lte=segment.ending_before,
            ending_before__gt=segment.ending_before,
        )
        .exclude(commit__contract_id=commit.contract_id)
        .exclude(commit__contract__isnull=True)
        .order_by("commit__contract__starting_at", "starting_at", "pk")
        .first()
    )


def _rollover(segment: AccessSegment, remaining: Decimal) -> Decimal:
    """Move `rollover_fraction` of what remains to the target segment; returns what moved."""
    fraction = segment.commit.rollover_fraction
    if not fraction:
        return Decimal(0)
    target = _rollover_target(segment)
    if target is None:
        return Decimal(0)
    moved = (remaining * fraction).quantize(PLACES)
    if moved <= 0:
        return Decimal(0)
    LedgerEntry.objects.get_or_create(
        commit=segment.commit,
        uniqueness_key=f"rollover:{segment.public_id}",
        defaults={
            "segment": segment,
            "type": LedgerEntryType.ROLLOVER,
            "amount": -moved,
            "timestamp": segment.ending_before,
            "rollover_segment": target,
            "reason": "Rolled over at expiry",
        },
    )
    LedgerEntry.objects.get_or_create(
        commit=target.commit,
        uniqueness_key=f"rollover-in:{segment.public_id}",
        defaults={
            "segment": target,
            "type": LedgerEntryType.ROLLOVER,
            "amount": moved,
            "timestamp": segment.ending_before,
            "rollover_segment": segment,
            "reason": f"Rolled over from commit {segment.commit.public_id}",
        },
    )
    return moved


def segment_close(
    segment: AccessSegment, *, at: datetime, reason: str, rollover: bool = True
) -> Decimal:
    """Roll over (if the commit says so) and expire what is left on one segment.
    Idempotent: a segment is closed once. Returns the amount expired."""
    if LedgerEntry.objects.filter(
        segment=segment,
        type__in=[LedgerEntryType.EXPIRATION, LedgerEntryType.ROLLOVER],
        amount__lt=0,
    ).exists():
        return Decimal(0)
    remaining = LedgerEntry.objects.filter(segment=segment).aggregate(total=Sum("amount"))[
        "total"
    ] or Decimal(0)
    if remaining <= 0:
        return Decimal(0)
    left = remaining - (_rollover(segment, remaining) if rollover else Decimal(0))
    if left > 0:
        LedgerEntry.objects.get_or_create(
            commit=segment.commit,
            uniqueness_key=f"expire:{segment.public_id}",
            defaults={
                "segment": segment,
                "type": LedgerEntryType.EXPIRATION,
                "amount": -left,
                "timestamp": at,
                "reason": reason,
            },
        )
    return left


@transaction.atomic
def segments_expire(*, now: datetime) -> int:
    """Close every segment whose access has ended: roll `rollover_fraction` of what remains
    into the next segment (ROLLOVER entries on both sides) and expire the rest (EXPIRATION).

    Run by the periodic schedule. Waits while a draft usage statement still covers the
    segment's window (its drawdown is not final yet). Idempotent per segment."""
    from contracts.selectors import segments_with_open_statements

    ended = (
        AccessSegment.objects.filter(ending_before__lte=now)
        .exclude(commit__kind=CommitKind.POSTPAID)
        .exclude(ledger__type=LedgerEntryType.EXPIRATION)
        .order_by("ending_before", "pk")
    )
    blocked = segments_with_open_statements(ended)
    closed = 0
    for segment in ended.select_related("commit", "commit__contract"):
        if segment.pk in blocked:
            continue
        before = LedgerEntry.objects.filter(segment=segment).count()
        this = AccessSegment.objects.filter(pk=segment.pk)
        try:
            with transaction.atomic():  # one segment's failure is rolled back alone
                segment_close(segment, at=segment.ending_before, reason="Access ended")
        except Exception as error:  # it stays open, shown on its commit, tried again next run
            logger.exception("segment %s of commit %s not closed", segment.pk, segment.commit_id)
            failing_record(this, f"{type(error).__name__}: {error}", now=timezone.now())
            continue
        if segment.error:
            this.update(error="", error_at=None)
        if LedgerEntry.objects.filter(segment=segment).count() > before:
            closed += 1
    return closed


def segment_add(
    commit: Commit, *, amount: Decimal, start: datetime, end: datetime
) -> AccessSegment:
    """A new access segment of `amount`, and the ledger entry that opens it."""
    segment = AccessSegment.objects.create(
        commit=commit, amount=amount, starting_at=start, ending_before=end
    )
    LedgerEntry.objects.create(
        commit=commit,
        segment=segment,
        type=LedgerEntryType.SEGMENT_START,
        amount=amount,
        timestamp=start,
    )
    return segment
