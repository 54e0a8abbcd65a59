"""Commit and credit balances for the customer overview: what remains on each, what was granted,
when its access ends, and its balance over time (a burn-down sparkline) from its ledger.

Every commit and credit of a customer comes in with three queries (commits with their contract
and credit type, their access segments, their ledger entries), however many there are; the rest
is arithmetic over those rows. `remaining` is what contracts.terms.ledger.commit_available_balance
computes (Metronome's `balance`): the segments whose access covers now, each at the sum of its
ledger entries and never below zero; test_customer_overview holds the two together.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Q

from contracts.models import Commit
from pricing.services import credit_type_get_default

SPARK_WIDTH = 120  # px of the sparkline's drawing box
SPARK_HEIGHT = 28
STATUS_ORDER = {"active": 0, "upcoming": 1, "expired": 2}


@dataclass(frozen=True)
class Spark:
    path: str  # SVG path data of a step line, in a SPARK_WIDTH x SPARK_HEIGHT box
    end_x: str
    end_y: str
    start: datetime
    high: Decimal  # the highest balance drawn, in the credit type's unit


@dataclass(frozen=True)
class BalanceRow:
    commit: Commit
    credit_type: Any  # pricing.CreditType the amounts are in
    status: str  # active | upcoming | expired
    remaining: Decimal  # usable now, in the credit type's unit (USD cents)
    granted: Decimal  # the covering segments' amounts (all segments when none covers now)
    starts: datetime | None  # the next access start of an upcoming commit
    ends: datetime | None  # end (exclusive) of the access that covers now, else the last one
    spark: Spark | None

    @property
    def used_fraction(self) -> Decimal:
        if self.granted <= 0:
            return Decimal(0)
        return min(max(1 - self.remaining / self.granted, Decimal(0)), Decimal(1))


def customer_commits(customer: Any) -> list[Commit]:
    """Non-archived commits and credits of the customer, contract- and customer-level (not those
    of an archived contract), with their segments and ledger prefetched: three queries."""
    return list(
        Commit.objects.filter(customer=customer, archived_at__isnull=True)
        .filter(Q(contract__isnull=True) | Q(contract__archived_at__isnull=True))
        .select_related(
            "product",
            "access_credit_type",
            "contract__rate_card__fiat_credit_type",
            "invoice_contract__rate_card__fiat_credit_type",
        )
        .prefetch_related("segments", "ledger")
        .order_by("pk")
    )


def available_at(segments: Iterable[Any], sums: dict[int, Decimal], at: datetime) -> Decimal:
    """The sum over segments covering `at` of their ledger sum (`sums` by segment pk), each at
    no less than 0."""
    return sum(
        (
            max(sums.get(s.pk, Decimal(0)), Decimal(0))
            for s in segments
            if s.starting_at <= at < s.ending_before
        ),
        Decimal(0),
    )


def segment_sums(entries: Iterable[Any]) -> dict[int, Decimal]:
    sums: dict[int, Decimal] = defaultdict(Decimal)
    for entry in entries:
        if entry.segment_id is not None:
            sums[entry.segment_id] += entry.amount
    return sums


def balance_series(
    segments: Sequence[Any], entries: Sequence[Any], now: datetime
) -> list[tuple[datetime, Decimal]]:
    """The usable balance after each ledger entry and at each access start and end up to now
    (entries dated up to that moment), then now itself, counted as `remaining` is."""
    moments = {e.timestamp for e in entries if e.timestamp <= now}
    moments |= {s.starting_at for s in segments if s.starting_at <= now}
    moments |= {s.ending_before for s in segments if s.ending_before <= now}
    ordered = sorted((e for e in entries if e.segment_id is not None), key=lambda e: e.timestamp)
    sums: dict[int, Decimal] = defaultdict(Decimal)
    points, index = [], 0
    for moment in sorted(moments):
        while index < len(ordered) and ordered[index].timestamp <= moment:
            sums[ordered[index].segment_id] += ordered[index].amount
            index += 1
        points.append((moment, available_at(segments, sums, moment)))
    points.append((now, available_at(segments, segment_sums(entries), now)))
    return points


def sparkline(points: Sequence[tuple[datetime, Decimal]]) -> Spark | None:
    """A step line of the balance over time, scaled to its own highest value."""
    if not points:
        return None
    start, end = points[0][0], points[-1][0]
    span = (end - start).total_seconds() or 1.0
    high = max(value for _t, value in points)
    inner = SPARK_HEIGHT - 4  # 2 px margin above and below the line

    def xy(moment: datetime, value: Decimal) -> tuple[str, str]:
        # Pixels, not money: floats are fine here.
        x = (moment - start).total_seconds() / span * SPARK_WIDTH
        y = SPARK_HEIGHT - 2 - (float(value / high) * inner if high > 0 else 0.0)
        return f"{x:.1f}", f"{y:.1f}"

    x, y = xy(*points[0])
    path = [f"M{x} {y}"]
    for moment, value in points[1:]:
        x, next_y = xy(moment, value)
        path.append(f"H{x}" if next_y == y else f"H{x}V{next_y}")
        y = next_y
    if len(points) == 1 or start == end:
        path.append(f"H{SPARK_WIDTH}")
        x = str(SPARK_WIDTH)
    return Spark(path="".join(path), end_x=x, end_y=y, start=start, high=high)


def _credit_type(commit: Commit, default: Any) -> Any:
    """The unit of a commit's amounts: its custom pricing unit, else its contract's (or its
    invoicing contract's) fiat type, else USD (as contracts.terms.balances does)."""
    if commit.access_credit_type is not None:
        return commit.access_credit_type
    contract = commit.contract or commit.invoice_contract
    card = contract.rate_card if contract is not None else None
    if card is not None and card.fiat_credit_type is not None:
        return card.fiat_credit_type
    return default()


def balance_row(commit: Commit, now: datetime, credit_type: Any) -> BalanceRow:
    segments = list(commit.segments.all())
    entries = list(commit.ledger.all())
    covering = [s for s in segments if s.starting_at <= now < s.ending_before]
    upcoming = [s for s in segments if s.starting_at > now]
    if covering or not segments:
        status, ends = "active", max((s.ending_before for s in covering), default=None)
    elif upcoming:
        status, ends = "upcoming", max(s.ending_before for s in upcoming)
    else:
        status, ends = "expired", max(s.ending_before for s in segments)
    granted = sum((s.amount for s in covering or segments), Decimal(0))
    series = balance_series(segments, entries, now) if segments else []
    return BalanceRow(
        commit=commit,
        credit_type=credit_type,
        status=status,
        remaining=available_at(segments, segment_sums(entries), now),
        granted=granted,
        starts=min((s.starting_at for s in upcoming), default=None),
        ends=ends,
        spark=sparkline(series) if series and series[0][0] < now else None,
    )


def balance_rows(customer: Any, now: datetime) -> list[BalanceRow]:
    """Every non-archived commit and credit of the customer: active ones first, soonest
    ending first; then upcoming; then expired."""
    cache: list[Any] = []

    def default() -> Any:  # looked up once, and only if a commit has no rate card
        if not cache:
            cache.append(credit_type_get_default())
        return cache[0]

    rows = [balance_row(c, now, _credit_type(c, default)) for c in customer_commits(customer)]
    far = datetime.max.replace(tzinfo=now.tzinfo)
    return sorted(
        rows,
        key=lambda r: (STATUS_ORDER[r.status], r.ends or far, str(r.commit).lower(), r.commit.pk),
    )


def remaining_by_credit_type(rows: Iterable[BalanceRow]) -> list[tuple[Any, Decimal]]:
    """What remains now across the active commits and credits, per credit type (fiat first)."""
    totals: dict[int, tuple[Any, Decimal]] = {}
    for row in rows:
        if row.status != "active":
            continue
        credit_type, total = totals.get(row.credit_type.pk, (row.credit_type, Decimal(0)))
        totals[row.credit_type.pk] = (credit_type, total + row.remaining)
    return sorted(totals.values(), key=lambda item: (not item[0].is_fiat, item[0].name))
