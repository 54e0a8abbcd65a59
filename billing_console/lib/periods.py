"""Half-open period arithmetic [start, end). Pure: aware datetimes in, aware datetimes out."""

import calendar
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

FREQUENCY_MONTHS = {"MONTHLY": 1, "QUARTERLY": 3, "ANNUAL": 12}

# Every instant read from input (the API, cursors, console filters) lies in this window, both
# ends included (README, "Input limits"). Statements are generated period by period from a
# contract's start, so year 1 would mean 24,000 monthly statements, and a date near year 1 or
# 9999 overflows when shifted to UTC or by a period.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
OUTSIDE_WINDOW = f"must be between {EARLIEST:%Y-%m-%dT%H:%M:%SZ} and {LATEST:%Y-%m-%dT%H:%M:%SZ}."


def within_window(moment: datetime) -> bool:
    """Whether an aware datetime lies in [EARLIEST, LATEST] (comparing never overflows)."""
    return EARLIEST <= moment <= LATEST


@dataclass(frozen=True)
class Period:
    start: datetime  # inclusive
    end: datetime  # exclusive

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"period end {self.end} is not after its start {self.start}")

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    def overlaps(self, other: "Period") -> bool:
        return self.start < other.end and other.start < self.end

    def intersect(self, other: "Period") -> "Period | None":
        start, end = max(self.start, other.start), min(self.end, other.end)
        return Period(start, end) if start < end else None

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


def add_months(moment: datetime, months: int, anchor_day: int | None = None) -> datetime:
    """Shift by whole months, clamping to the month's end (Jan 31 + 1 month = Feb 28/29).

    `anchor_day` keeps a schedule on its original day: Jan 31 -> Feb 28 -> Mar 31, not Mar 28.
    """
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(anchor_day or moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def next_boundary(moment: datetime, frequency: str, anchor_day: int | None = None) -> datetime:
    if frequency == "WEEKLY":
        return moment + timedelta(days=7)
    if frequency == "DAILY":
        return moment + timedelta(days=1)
    return add_months(moment, FREQUENCY_MONTHS[frequency], anchor_day)


def iter_periods(
    anchor: datetime, frequency: str, until: datetime | None = None
) -> Iterator[Period]:
    """Consecutive periods from `anchor` at `frequency`, the last one ending at or after `until`
    (or forever). Month-based schedules keep the anchor's day of month."""
    start = anchor
    index = 0
    while until is None or start < until:
        index += 1
        if frequency in FREQUENCY_MONTHS:
            end = add_months(anchor, FREQUENCY_MONTHS[frequency] * index, anchor.day)
        else:
            end = next_boundary(start, frequency)
        yield Period(start, end)
        start = end


def period_containing(anchor: datetime, frequency: str, moment: datetime) -> Period:
    """The schedule period (anchored at `anchor`) that contains `moment` (moment >= anchor)."""
    if moment < anchor:
        raise ValueError("moment is before the schedule's anchor")
    for period in iter_periods(anchor, frequency):
        if period.contains(moment):
            return period
    raise AssertionError("unreachable")  # iter_periods is unbounded


def split_at(period: Period, moments: list[datetime]) -> list[Period]:
    """Cut a period at the given moments (those inside it), in order."""
    cuts = sorted({m for m in moments if period.start < m < period.end})
    edges = [period.start, *cuts, period.end]
    return [Period(a, b) for a, b in itertools.pairwise(edges)]
