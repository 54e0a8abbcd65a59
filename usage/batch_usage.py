"""Many usage questions about one customer, answered together in a fixed number of queries.

A usage statement asks the usage store one question per usage product and piece of its
period (and more for merged pieces and tiers spanning statements). metric_usage answers one
question with one to six queries. `metric_usage_many` answers them all at once, with the same
answers:

- questions rollups cannot answer (UNIQUE metrics, rollups not ready, a group key the rollups
  do not keep, less than a whole hour): one read of the customer's raw events over all their
  windows, each event aggregated into every question whose window holds it;
- questions rollups can answer: the pending batches (read before and after, as
  usage.rollups does, to notice the rollup job consuming one meanwhile), the daily and the
  hourly rollup rows of every such question in one grouped query each, and the raw events of
  their partial hours and of the pending batches in the same raw read as above;
- a SQL metric runs its own query for each question (usage.selectors.metric_usage).

So: the customer's ingest aliases (unless held, usage.selectors.event_ids_held), then at most
five queries, plus one SQL metric run per question about a SQL metric.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

from django.db.models import Case, IntegerField, Max, Q, Sum, Value, When

from customers.models import Customer
from usage.metrics import Accumulator, Only, event_matches, property_text
from usage.models import BillableMetric, MetricRollup, MetricRollupDay, UsageEvent
from usage.pending_reads import consistent_read
from usage.retention import raw_reads_check, rollups_check
from usage.rollups import Cell, rollable, rollup_keys
from usage.selectors import customer_event_ids, metric_usage

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@dataclass(frozen=True)
class UsageAsk:
    """One question: the metric's values over [starting_at, ending_before) per group, as
    metric_usage(metric=, starting_at=, ending_before=, group_by=, only=) answers it."""

    metric: BillableMetric
    starting_at: datetime
    ending_before: datetime
    group_by: tuple[str, ...] = ()
    only: Only | None = None


Answers = dict[UsageAsk, dict[tuple, Decimal]]


def metric_usage_many(*, customer: Customer, asks: Sequence[UsageAsk]) -> Answers:
    """{ask: {group values: value}} for each of `asks` (see the module docstring)."""
    event_ids = customer_event_ids(customer)
    answers: Answers = {}
    rolled: list[UsageAsk] = []
    raw: list[UsageAsk] = []
    for ask in dict.fromkeys(asks):
        if ask.metric.sql:
            answers[ask] = metric_usage(
                metric=ask.metric, customer=customer, starting_at=ask.starting_at,
                ending_before=ask.ending_before, group_by=list(ask.group_by) or None,
                only=ask.only,
            )  # fmt: skip
        elif _hours(ask) is not None and _rollups_ready(ask):
            rolled.append(ask)
        else:
            raw.append(ask)
    cells: dict[UsageAsk, dict[tuple, Cell]] = {}
    pending: set[int] = set()
    if rolled:
        read = _consistent_rollups(event_ids, rolled)
        if read is None:
            raw += rolled  # the rollup job kept running under us: raw events answer
            rolled = []
        else:
            cells, pending = read
    for ask in rolled:
        rollups_check(ask.metric, ask.starting_at)
    raw_reads_check(
        (ask.metric, low)
        for ask, is_rolled in [(ask, False) for ask in raw] + [(ask, True) for ask in rolled]
        for low, _high in _raw_windows(ask, is_rolled)
    )
    groups, edges = _raw_events(event_ids, raw, rolled, pending)
    for ask in raw:
        answers[ask] = {key: acc.result() for key, acc in groups[ask].items()}
    for ask in rolled:
        into = cells[ask]
        for key, cell in edges[ask].items():
            if key in into:
                into[key].absorb(cell)
            else:
                into[key] = cell
        kind = ask.metric.aggregation_type
        answers[ask] = {
            key: _value(kind, cell) for key, cell in into.items() if cell.count or cell.latest
        }
    return {ask: answers[ask] for ask in dict.fromkeys(asks)}


# -- which questions rollups answer ------------------------------------------------------


def _hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _day(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _hours(ask: UsageAsk) -> tuple[datetime, datetime] | None:
    """The whole hours of the ask's window (None when there are none)."""
    first = _hour(ask.starting_at)
    first += HOUR if first < ask.starting_at else timedelta(0)
    last = _hour(ask.ending_before)
    return (first, last) if first < last else None


def _rollups_ready(ask: UsageAsk) -> bool:
    keys = set(ask.group_by) | ({ask.only[0]} if ask.only else set())
    metric = ask.metric
    return rollable(metric) and metric.rollup_ready and keys <= set(rollup_keys(metric))


def _spans(ask: UsageAsk) -> tuple[list[tuple], list[tuple]]:
    """([day ranges], [hour ranges]) of rollup rows answering the ask's whole hours: the daily
    rows of the whole UTC days inside them, the hourly rows around those days."""
    hours = _hours(ask)
    assert hours is not None
    first_hour, last_hour = hours
    first_day = _day(first_hour)
    first_day += DAY if first_day < first_hour else timedelta(0)
    last_day = _day(last_hour)
    if first_day >= last_day:
        return [], [(first_hour, last_hour)]
    edges = [(a, b) for a, b in ((first_hour, first_day), (last_day, last_hour)) if a < b]
    return [(first_day, last_day)], edges


# -- rollup rows -------------------------------------------------------------------------


def _consistent_rollups(
    event_ids: list[str], asks: list[UsageAsk]
) -> tuple[dict[UsageAsk, dict[tuple, Cell]], set[int]] | None:
    """Each ask's cells from rollup rows, read while the rollup job consumed no pending batch
    we relied on, and the pending event ids the rows lack (None: see consistent_read)."""
    read = consistent_read(
        lambda: {
            **_rollup_parts(MetricRollupDay, "day", event_ids, asks, 0),
            **_rollup_parts(MetricRollup, "hour", event_ids, asks, 1),
        }
    )
    if read is None:
        return None
    parts, pending = read
    return _cells_of(asks, parts), pending


Part = tuple[int, int, datetime, datetime]  # metric id, table (0 days, 1 hours), start, end


def _rollup_parts(
    model: Any, span: str, event_ids: list[str], asks: list[UsageAsk], table: int
) -> dict[Part, list[tuple]]:
    """Rows of `model` summed per metric, group values and part: the parts tile each metric's
    ranges at every boundary any ask has, so each ask's range is a run of whole parts. LATEST
    rows stay apart per latest event (the database cannot pick the latest of a group)."""
    parts: list[Part] = []
    for metric_id, ranges in _ranges_by_metric(asks, table).items():
        cuts = sorted({moment for low, high in ranges for moment in (low, high)})
        for low, high in pairwise(cuts):
            if any(a <= low and high <= b for a, b in ranges):
                parts.append((metric_id, table, low, high))
    if not parts:
        return {}
    conditions = [
        Q(metric_id=m, **{f"{span}__gte": low, f"{span}__lt": high}) for m, _t, low, high in parts
    ]
    where = Q()
    for condition in conditions:
        where |= condition
    whens = [When(condition, then=Value(i)) for i, condition in enumerate(conditions)]
    rows = (
        model.objects.filter(where, customer_id__in=event_ids)
        .annotate(part=Case(*whens, output_field=IntegerField()))
        .values("part", "group_values", "latest_at", "latest_event_id", "latest_value")
        .annotate(count_sum=Sum("count"), total_sum=Sum("total"), max_max=Max("maximum"))
        .order_by()
    )
    out: dict[Part, list[tuple]] = {part: [] for part in parts}
    for row in rows:
        cell = Cell(
            _json(row["group_values"]), row["count_sum"], row["total_sum"], row["max_max"],
            (row["latest_at"], row["latest_event_id"] or 0, row["latest_value"])
            if row["latest_at"] is not None else None,
        )  # fmt: skip
        out[parts[row["part"]]].append((cell.group_values, cell))
    return out


def _ranges_by_metric(asks: list[UsageAsk], table: int) -> dict[int, list[tuple]]:
    ranges: dict[int, list[tuple]] = {}
    for ask in asks:
        ranges.setdefault(ask.metric.pk, []).extend(_spans(ask)[table])
    return ranges


def _cells_of(
    asks: list[UsageAsk], parts: dict[Part, list[tuple]]
) -> dict[UsageAsk, dict[tuple, Cell]]:
    """Each ask's rollup rows combined per group, as usage.rollups combines them."""
    by_table: dict[tuple[int, int], list[tuple[Part, list[tuple]]]] = {}
    for part, rows in parts.items():
        by_table.setdefault((part[0], part[1]), []).append((part, rows))
    out: dict[UsageAsk, dict[tuple, Cell]] = {}
    for ask in asks:
        cells: dict[tuple, Cell] = {}
        wanted = set(ask.only[1]) if ask.only else None
        for table, ranges in enumerate(_spans(ask)):
            for (_metric, _table, low, high), rows in by_table.get((ask.metric.pk, table), []):
                if not any(a <= low and high <= b for a, b in ranges):
                    continue
                for values, row in rows:
                    if wanted is not None and values.get(ask.only[0]) not in wanted:
                        continue
                    key = tuple(values.get(k) for k in ask.group_by)
                    _add(cells, key, row)
        out[ask] = cells
    return out


def _add(cells: dict[tuple, Cell], key: tuple, cell: Cell) -> None:
    into = cells.get(key)
    if into is None:
        cells[key] = into = Cell({})
    into.absorb(cell)


def _json(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else value


# -- raw events --------------------------------------------------------------------------


def _raw_windows(ask: UsageAsk, rolled: bool) -> list[tuple[datetime, datetime]]:
    """The ask's windows of raw events: all of it, or (rolled up) its partial hours."""
    if not rolled:
        return [(ask.starting_at, ask.ending_before)]
    first_hour, last_hour = _hours(ask)  # type: ignore[misc]
    edges = ((ask.starting_at, first_hour), (last_hour, ask.ending_before))
    return [(a, b) for a, b in edges if a < b]


def _raw_events(
    event_ids: list[str], raw: list[UsageAsk], rolled: list[UsageAsk], pending: set[int]
) -> tuple[dict[UsageAsk, dict[tuple, Accumulator]], dict[UsageAsk, dict[tuple, Cell]]]:
    """Raw events aggregated, read in one query: per `raw` ask over its window (as
    usage.metrics.aggregate does), per rolled-up ask over its partial hours and the pending
    batches (cells to add to its rollup rows, as usage.rollups does)."""
    wanted = [(ask, _raw_windows(ask, False), False) for ask in raw]
    wanted += [(ask, _raw_windows(ask, True), True) for ask in rolled]
    windows = Q()
    for _ask, ranges, _rolled in wanted:
        for low, high in ranges:
            windows |= Q(timestamp__gte=low, timestamp__lt=high)
    if pending and rolled:
        # Pending events are the newest: from the oldest of them on, kept if pending.
        hours = Q()
        for ask in rolled:
            first_hour, last_hour = _hours(ask)  # type: ignore[misc]
            hours |= Q(timestamp__gte=first_hour, timestamp__lt=last_hour)
        windows |= Q(id__gte=min(pending)) & hours
    groups: dict[UsageAsk, dict[tuple, Accumulator]] = {ask: {} for ask in raw}
    edges: dict[UsageAsk, dict[tuple, Cell]] = {ask: {} for ask in rolled}
    if not windows:
        return groups, edges
    events = UsageEvent.objects.filter(windows, customer_id__in=event_ids)
    by_type: dict[str, list[tuple]] = {}  # the asks an event of each type may count for
    any_type: list[tuple] = []  # asks of metrics that name no event type
    for item in wanted:
        names = (item[0].metric.event_type_filter or {}).get("in_values")
        for name in dict.fromkeys(names or []):  # an ask once per type
            by_type.setdefault(name, []).append(item)
        if not names:
            any_type.append(item)
    if not any_type:  # every metric names its event types: only those can match
        events = events.filter(event_type__in=sorted(by_type))
    rows = events.values_list("id", "timestamp", "event_type", "properties")
    for event_id, at, event_type, properties in rows.iterator(chunk_size=5000):
        for ask, ranges, is_rolled in by_type.get(event_type, []) + any_type:
            inside = any(low <= at < high for low, high in ranges)
            if not inside and is_rolled and event_id in pending:
                first_hour, last_hour = _hours(ask)  # type: ignore[misc]
                inside = first_hour <= at < last_hour
            if not inside or not _counts(ask, event_type, properties):
                continue
            metric = ask.metric
            key = tuple(property_text(properties.get(k)) for k in ask.group_by)
            value = properties.get(metric.aggregation_key)
            if is_rolled:
                cell = edges[ask].get(key)
                if cell is None:
                    edges[ask][key] = cell = Cell({})
                cell.add(metric.aggregation_type, value, at, event_id)
            else:
                acc = groups[ask].get(key)
                if acc is None:
                    groups[ask][key] = acc = Accumulator(metric.aggregation_type)
                acc.add(value, at, event_id)
    return groups, edges


def _counts(ask: UsageAsk, event_type: str, properties: dict[str, Any]) -> bool:
    """Whether the event counts for the ask: its usage filter (`only`), then its metric."""
    if ask.only is not None:
        if property_text(properties.get(ask.only[0])) not in set(ask.only[1]):
            return False
    return event_matches(ask.metric, event_type, properties)


def _value(kind: str, cell: Cell) -> Decimal:
    if kind == "COUNT":
        return Decimal(cell.count)
    if kind == "SUM":
        return cell.total
    if kind == "MAX":
        return cell.maximum if cell.maximum is not None else Decimal(0)
    return cell.latest[2] if cell.latest else Decimal(0)
