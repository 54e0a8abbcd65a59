"""Manual ledger entries per seat: `per_group_amounts` of addManualBalanceLedgerEntry.

A recurring commit or credit with an INDIVIDUAL seat allocation issues one commit per seat and
period (contracts.terms.issuance), each priced for its seat's group value: Metronome's one
balance with a group per seat is here those sibling commits. `per_group_amounts` maps seats
(values of the subscription's seat group key) to what each gets, and must sum to `amount`. Each
entry goes to that seat's commit, in its segment ending with the segment named (a seat assigned
later in the period starts its segment later); all are written or none.
"""

from datetime import datetime
from decimal import Decimal

from django.db import transaction

from billing_console.api import ApplicationError
from contracts.models import AccessSegment, Commit, LedgerEntry
from contracts.terms.ledger import ledger_manual_add

NOT_SEATS = (
    "per_group_amounts: balance {id} belongs to no seat (only the commits and credits of an "
    "INDIVIDUAL seat allocation take amounts per seat)."
)
SUM_DIFFERS = "per_group_amounts: the amounts sum to {total}, not to amount ({amount})."
NO_SEAT = "per_group_amounts.{seat}: no {kind} of this balance's period is for seat '{seat}'."
NO_SEGMENT = "per_group_amounts.{seat}: the seat's {kind} has no segment ending at {end}."


def _plain(amount: Decimal) -> str:
    return f"{amount.normalize():f}"


def _kind(commit: Commit) -> str:
    return "credit" if commit.is_credit else "commit"


def _seat_segment(sibling: Commit, segment: AccessSegment, seat: str) -> AccessSegment:
    if sibling.pk == segment.commit_id:
        return segment
    for candidate in sibling.segments.all():
        if candidate.ending_before == segment.ending_before:
            return candidate
    raise ApplicationError(
        NO_SEGMENT.format(seat=seat, kind=_kind(sibling), end=segment.ending_before)
    )


@transaction.atomic
def ledger_manual_add_per_group(
    *,
    commit: Commit,
    segment: AccessSegment,
    amount: Decimal,
    per_group_amounts: dict[str, Decimal],
    reason: str,
    timestamp: datetime | None = None,
    uniqueness_key: str | None = None,
) -> list[LedgerEntry]:
    """One MANUAL entry per seat named, each on that seat's commit (see the module)."""
    if commit.seat is None or commit.recurring_commit_id is None:
        raise ApplicationError(NOT_SEATS.format(id=commit.public_id))
    total = sum(per_group_amounts.values(), Decimal(0))
    if total != amount:
        raise ApplicationError(SUM_DIFFERS.format(total=_plain(total), amount=_plain(amount)))
    siblings = {
        sibling.seat_id: sibling
        for sibling in Commit.objects.filter(
            recurring_commit_id=commit.recurring_commit_id,
            recurring_period_start=commit.recurring_period_start,
            archived_at__isnull=True,
        ).prefetch_related("segments")
    }
    plan = []
    for seat, seat_amount in per_group_amounts.items():
        sibling = siblings.get(seat)
        if sibling is None:
            raise ApplicationError(NO_SEAT.format(seat=seat, kind=_kind(commit)))
        plan.append((sibling, _seat_segment(sibling, segment, seat), seat_amount))
    plan.sort(key=lambda item: item[0].pk)  # lock the commits in one order: no deadlock
    entries = []
    for sibling, seat_segment, seat_amount in plan:
        entry = ledger_manual_add(
            commit=sibling, segment=seat_segment, amount=seat_amount, reason=reason,
            timestamp=timestamp, uniqueness_key=uniqueness_key,
        )  # fmt: skip
        entries.append(entry)
    return entries
