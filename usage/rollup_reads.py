"""Reading rollups: a metric's values from the daily rows of whole UTC days, the hourly rows
of the whole hours around them, and the raw events of partial hours at the edges and of
batches still pending, read again if the rollup job consumed a batch while they were read."""

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Max, Sum

from usage.metrics import Only, event_matches, only_rows, property_text
from usage.models import (
    BillableMetric,
    MetricRollup,
    MetricRollupDay,
    RollupCells,
    UsageEvent,
)
from usage.pending_reads import consistent_read
from usage.retention import raw_reads_check, rollups_check
from usage.rollup_cells import Cell, day_start, hour_start, rollable, rollup_keys

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@dataclass
class RollupRow:
    hour: datetime | None
    group_values: dict[str, Any]
    count: int
    total: Decimal
    maximum: Decimal | None
    latest_at: datetime | None
    latest_event_id: int | None
    latest_value: Decimal | None
    customer_id: str | None = None  # the event customer_id, read by rollup_usage_many


def _rollup_rows(metric: BillableMetric, customer_ids: list[str], first_hour: datetime, last_hour: datetime,
                 bucket: Callable | None, by_customer: bool = False) -> list[RollupRow]:  # fmt: skip
    """The rollup rows of the whole hours [first_hour, last_hour): the daily rows of the whole
    UTC days inside the window and the hourly rows of the hours around them; only hourly rows
    for buckets that cut days (hourly windows, or days not starting at a UTC midnight)."""
    day = day_start(first_hour)
    first_day = day + (DAY if day < first_hour else timedelta(0))
    last_day = day_start(last_hour)
    if not _fits(bucket, DAY) or first_day >= last_day:
        return _span_rows(MetricRollup, "hour", metric, customer_ids, first_hour, last_hour, bucket,
                          by_customer)  # fmt: skip
    rows = _span_rows(MetricRollupDay, "day", metric, customer_ids, first_day, last_day, bucket,
                      by_customer)  # fmt: skip
    for start, end in ((first_hour, first_day), (last_day, last_hour)):
        if start < end:
            rows += _span_rows(MetricRollup, "hour", metric, customer_ids, start, end, bucket,
                               by_customer)  # fmt: skip
    return rows


def _fits(bucket: Callable | None, span: timedelta) -> bool:
    """Whether rollup rows of `span` can be bucketed: each falls whole in one bucket."""
    return bucket is None or getattr(bucket, "aligned", lambda _span: False)(span)


def _span_rows(model: type[RollupCells], span: str, metric: BillableMetric, customer_ids: list[str],
               start: datetime, end: datetime, bucket: Callable | None,
               by_customer: bool) -> list[RollupRow]:  # fmt: skip
    """Rows of `model` starting in [start, end). Without time buckets, COUNT, SUM and MAX are
    summed by the database to one row per group (per group and event customer_id with
    `by_customer`); LATEST and bucketed reads take the rows as stored."""
    rows = model.objects.filter(
        metric=metric, customer_id__in=customer_ids, **{f"{span}__gte": start, f"{span}__lt": end}
    )
    if bucket is None and metric.aggregation_type != "LATEST":
        keys = ("group_values", "customer_id") if by_customer else ("group_values",)
        grouped = rows.values(*keys).annotate(
            count_sum=Sum("count"),
            total_sum=Sum("total"),
            max_max=Max("maximum"),
        )
        return [
            RollupRow(
                None,
                _json(g["group_values"]),
                g["count_sum"],
                g["total_sum"],
                g["max_max"],
                None,
                None,
                None,
                g.get("customer_id"),
            )
            for g in grouped.order_by()
        ]
    fields = (
        span,
        "group_values",
        "count",
        "total",
        "maximum",
        "latest_at",
        "latest_event_id",
        "latest_value",
        "customer_id",
    )
    return [RollupRow(*values) for values in rows.values_list(*fields)]


def _json(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else value


def _combine(
    kind: str, rows: Iterable[RollupRow], group_by: list[str], bucket: Callable | None
) -> dict[tuple, Cell]:
    out: dict[tuple, Cell] = {}
    for row in rows:
        key = tuple(row.group_values.get(k) for k in group_by)
        if bucket is not None:
            key = (bucket(row.hour), *key)
        cell = out.get(key)
        if cell is None:
            cell = out[key] = Cell({})
        cell.count += row.count
        cell.total += row.total
        if row.maximum is not None and (cell.maximum is None or row.maximum > cell.maximum):
            cell.maximum = row.maximum
        if row.latest_at is not None and (
            cell.latest is None or (row.latest_at, row.latest_event_id) > cell.latest[:2]
        ):
            cell.latest = (row.latest_at, row.latest_event_id or 0, row.latest_value)
    return out


def _value(kind: str, cell: Cell) -> Decimal:
    if kind == "COUNT":
        return Decimal(cell.count)
    if kind == "SUM":
        return cell.total
    if kind == "MAX":
        return cell.maximum if cell.maximum is not None else Decimal(0)
    return cell.latest[2] if cell.latest else Decimal(0)


def _raw_cells(
    metric: BillableMetric, rows: Iterable[tuple], group_by: list[str], bucket: Callable | None
) -> dict[tuple, Cell]:
    out: dict[tuple, Cell] = {}
    for event_id, at, event_type, properties in rows:
        if not event_matches(metric, event_type, properties):
            continue
        key = tuple(property_text(properties.get(k)) for k in group_by)
        if bucket is not None:
            key = (bucket(at), *key)
        cell = out.get(key)
        if cell is None:
            cell = out[key] = Cell({})
        cell.add(metric.aggregation_type, properties.get(metric.aggregation_key), at, event_id)
    return out


def _window(starting_at: datetime, ending_before: datetime) -> tuple[datetime, datetime] | None:
    """The whole hours of [starting_at, ending_before) (None when there are none)."""
    hour = hour_start(starting_at)
    first_hour = hour + (HOUR if hour < starting_at else timedelta(0))
    last_hour = hour_start(ending_before)
    return (first_hour, last_hour) if first_hour < last_hour else None


def _answerable(metric: BillableMetric, keys: set[str]) -> bool:
    return rollable(metric) and metric.rollup_ready and keys <= set(rollup_keys(metric))


def _raw_rows(
    metric: BillableMetric, customer_ids: list[str], starting_at: datetime,
    ending_before: datetime, hours: tuple[datetime, datetime], pending: set[int],
) -> list[tuple]:  # fmt: skip
    """(id, timestamp, event_type, properties, customer_id) of the events rollups lack: the
    partial hours at the edges and the batches still pending."""
    first_hour, last_hour = hours
    partial = [(starting_at, first_hour), (last_hour, ending_before)]
    raw_reads_check((metric, low) for low, high in partial if low < high)
    events = UsageEvent.objects.filter(customer_id__in=customer_ids)
    fields = ("id", "timestamp", "event_type", "properties", "customer_id")
    edges = events.filter(timestamp__gte=starting_at, timestamp__lt=first_hour) | events.filter(
        timestamp__gte=last_hour, timestamp__lt=ending_before
    )
    raw = list(edges.values_list(*fields))
    if pending:
        # Pending events are the newest: read this customer's window from the oldest of them
        # on and keep the pending ones (a bound, not an IN list of every pending id).
        recent = events.filter(
            id__gte=min(pending), timestamp__gte=first_hour, timestamp__lt=last_hour
        ).values_list(*fields)
        raw += [row for row in recent if row[0] in pending]
    return raw


def _values(
    metric: BillableMetric, rows: Iterable[RollupRow], raw: Iterable[tuple], group_by: list[str],
    bucket: Callable | None, only: Only | None,
) -> dict[tuple, Decimal]:  # fmt: skip
    """Rollup rows and raw (id, timestamp, event_type, properties) rows combined into values."""
    if only is not None:
        wanted = set(only[1])
        rows = [row for row in rows if row.group_values.get(only[0]) in wanted]
    cells = _combine(metric.aggregation_type, rows, group_by, bucket)
    for key, cell in _raw_cells(metric, only_rows(raw, only), group_by, bucket).items():
        target = cells.get(key)
        if target is None:
            cells[key] = cell
        else:
            target.absorb(cell)
    return {
        key: _value(metric.aggregation_type, cell)
        for key, cell in cells.items()
        if cell.count or cell.latest
    }


def rollup_usage(
    *, metric: BillableMetric, customer_ids: list[str], starting_at: datetime, ending_before: datetime,
    group_by: list[str] | None, bucket: Callable[[datetime], Any] | None = None,
    only: Only | None = None,
) -> dict[tuple, Decimal] | None:  # fmt: skip
    """The metric's values from rollups plus the raw events rollups lack, or None when rollups
    cannot answer (not rolled up, not ready, an unknown group key, less than an hour). With
    `only`, of the events whose property is one of the values (rolled up by that key)."""
    group_by = list(group_by or [])
    keys = set(group_by) | ({only[0]} if only else set())
    hours = _window(starting_at, ending_before)
    if not _answerable(metric, keys) or hours is None or not _fits(bucket, HOUR):
        return None  # e.g. hourly windows starting at 10:30: raw events answer
    rollups_check(metric, starting_at)
    read = consistent_read(lambda: _rollup_rows(metric, customer_ids, *hours, bucket))
    if read is None:
        return None
    rows, pending = read
    raw = _raw_rows(metric, customer_ids, starting_at, ending_before, hours, pending)
    return _values(metric, rows, [r[:4] for r in raw], group_by, bucket, only)


def rollup_usage_many(
    *, metric: BillableMetric, customers: dict[Any, list[str]], starting_at: datetime,
    ending_before: datetime, group_by: list[str] | None,
) -> dict[Any, dict[tuple, Decimal]] | None:  # fmt: skip
    """rollup_usage for many customers at once ({key: the customer's event customer_ids}), in
    one rollup query and one raw-event query instead of two per customer: the month close of a
    batch of contracts. Each answer equals rollup_usage's for that customer; None as there."""
    group_by = list(group_by or [])
    hours = _window(starting_at, ending_before)
    if not _answerable(metric, set(group_by)) or hours is None:
        return None
    rollups_check(metric, starting_at)
    owner = {event_id: key for key, ids in customers.items() for event_id in ids}
    if len(owner) < sum(len(ids) for ids in customers.values()):
        return None  # an id shared by two customers: each asks on its own
    ids = list(owner)
    read = consistent_read(lambda: _rollup_rows(metric, ids, *hours, None, by_customer=True))
    if read is None:
        return None
    rows, pending = read
    rows_of: dict[Any, list[RollupRow]] = {key: [] for key in customers}
    for row in rows:
        rows_of[owner[row.customer_id]].append(row)
    raw_of: dict[Any, list[tuple]] = {key: [] for key in customers}
    for row in _raw_rows(metric, ids, starting_at, ending_before, hours, pending):
        raw_of[owner[row[4]]].append(row[:4])
    return {
        key: _values(metric, rows_of[key], raw_of[key], group_by, None, None) for key in customers
    }
