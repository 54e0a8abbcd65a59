"""Hourly and daily rollups of billable metrics, so invoices, usage queries and alerts do not
rescan raw events.

Ingest stays one short transaction: it stores the events and a PendingRollup row with their
ids. The rollup job (`rollups_advance`, on the beat schedule) consumes pending rows and adds
their events to MetricRollup (per hour) and MetricRollupDay (per UTC day) in the same
transaction, so each event is rolled up exactly once. Readers (`rollup_usage`) combine daily
rows for whole days, hourly rows for the whole hours around them, and the raw events of partial
hours at the edges and of batches still pending, and retry if the job ran while they read.

Rolled up: structured metrics aggregating COUNT, SUM, MAX or LATEST. UNIQUE and SQL metrics are
computed from raw events. A new metric is backfilled (`rollups_backfill`) before readers use its
rollups (`BillableMetric.rollup_ready`).
"""

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone

from usage.metrics import Only, event_matches, number, only_rows, property_text
from usage.models import (
    BillableMetric,
    MetricRollup,
    MetricRollupDay,
    PendingRollup,
    RollupCells,
    RollupState,
    UsageEvent,
)

ROLLED_UP = ("COUNT", "SUM", "MAX", "LATEST")
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
CHUNK = 5000


def rollable(metric: BillableMetric) -> bool:
    return not metric.sql and metric.aggregation_type in ROLLED_UP


def rollup_keys(metric: BillableMetric) -> list[str]:
    """Rollups keep the finest grouping: every key of every group of the metric."""
    keys: list[str] = []
    for group in metric.group_keys or []:
        keys += [k for k in group if k not in keys]
    return keys


def _group(keys: list[str], properties: dict[str, Any]) -> tuple[dict[str, str | None], str]:
    values = {k: property_text(properties.get(k)) for k in keys}
    digest = hashlib.sha1(
        json.dumps(values, sort_keys=True).encode(), usedforsecurity=False
    ).hexdigest()
    return values, digest


def _hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _day(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


@dataclass
class Cell:
    """One rollup row being built."""

    group_values: dict[str, str | None]
    count: int = 0
    total: Decimal = Decimal(0)
    maximum: Decimal | None = None
    latest: tuple[datetime, int, Decimal] | None = None

    def add(self, kind: str, value: Any, at: datetime, event_id: int) -> None:
        self.count += 1  # matching events; a non-numeric value adds nothing else
        if kind == "COUNT":
            return
        amount = number(value)
        if amount is None:
            return
        if kind == "SUM":
            self.total += amount
        elif kind == "MAX":
            self.maximum = amount if self.maximum is None else max(self.maximum, amount)
        elif self.latest is None or (at, event_id) > self.latest[:2]:
            self.latest = (at, event_id, amount)

    def absorb(self, other: "Cell") -> None:
        self.count += other.count
        self.total += other.total
        if other.maximum is not None and (self.maximum is None or other.maximum > self.maximum):
            self.maximum = other.maximum
        if other.latest is not None and (self.latest is None or other.latest[:2] > self.latest[:2]):
            self.latest = other.latest

    def merge_into(self, row: RollupCells) -> None:
        row.count += self.count
        row.total += self.total
        if self.maximum is not None and (row.maximum is None or self.maximum > row.maximum):
            row.maximum = self.maximum
        if self.latest is not None and (
            row.latest_at is None or self.latest[:2] > (row.latest_at, row.latest_event_id or 0)
        ):
            row.latest_at, row.latest_event_id, row.latest_value = self.latest


CellKey = tuple[int, str, datetime, str]  # metric id, customer_id, hour, group hash


def _accumulate(
    metrics: list[BillableMetric], events: Iterable[tuple], cells: dict[CellKey, Cell]
) -> None:
    keys = {m.pk: rollup_keys(m) for m in metrics}
    for event_id, customer_id, at, event_type, properties in events:
        for metric in metrics:
            if not event_matches(metric, event_type, properties):
                continue
            values, digest = _group(keys[metric.pk], properties)
            key = (metric.pk, customer_id, _hour(at), digest)
            cell = cells.get(key)
            if cell is None:
                cell = cells[key] = Cell(values)
            cell.add(metric.aggregation_type, properties.get(metric.aggregation_key), at, event_id)


def _days(cells: dict[CellKey, Cell]) -> dict[CellKey, Cell]:
    """The hourly cells merged per UTC day."""
    days: dict[CellKey, Cell] = {}
    for (metric_id, customer_id, hour, digest), cell in cells.items():
        key = (metric_id, customer_id, _day(hour), digest)
        day = days.get(key)
        if day is None:
            day = days[key] = Cell(cell.group_values)
        day.absorb(cell)
    return days


def _write(cells: dict[CellKey, Cell]) -> None:
    """Merge hourly cells into the hourly and the daily rows (exact Decimal arithmetic in
    Python, under the lock)."""
    _write_span(cells, MetricRollup, "hour")
    _write_span(_days(cells), MetricRollupDay, "day")


def _write_span(cells: dict[CellKey, Cell], model: type[RollupCells], span: str) -> None:
    by_metric: dict[int, list[CellKey]] = {}
    for key in cells:
        by_metric.setdefault(key[0], []).append(key)
    for metric_id, keys in by_metric.items():
        starts = [k[2] for k in keys]
        existing = {
            (r.metric_id, r.customer_id, getattr(r, span), r.group_hash): r
            for r in model.objects.filter(
                metric_id=metric_id,
                customer_id__in={k[1] for k in keys},
                **{f"{span}__gte": min(starts), f"{span}__lte": max(starts)},
            )
        }
        changed, new = [], []
        for key in keys:
            row = existing.get(key)
            if row is None:
                row = model(metric_id=key[0], customer_id=key[1], group_hash=key[3],
                            group_values=cells[key].group_values, **{span: key[2]})  # fmt: skip
                new.append(row)
            else:
                changed.append(row)
            cells[key].merge_into(row)
        model.objects.bulk_create(new, batch_size=1000)
        model.objects.bulk_update(
            changed,
            ["count", "total", "maximum", "latest_at", "latest_event_id", "latest_value"],
            batch_size=1000,
        )


def _lock() -> RollupState:
    RollupState.objects.get_or_create(pk=1)
    return RollupState.objects.select_for_update().get(pk=1)


def _events_by_id(ids: list[int]) -> Iterable[tuple]:
    for start in range(0, len(ids), CHUNK):
        yield from UsageEvent.objects.filter(id__in=ids[start : start + CHUNK]).values_list(
            "id", "customer_id", "timestamp", "event_type", "properties"
        )


def pending_record(event_ids: list[int]) -> None:
    """Called by ingest, inside its transaction."""
    if event_ids:
        PendingRollup.objects.create(event_ids=event_ids)


def rollups_advance(*, max_batches: int = 500) -> int:
    """Roll up the oldest pending batches; returns how many events were processed."""
    with transaction.atomic():
        state = _lock()
        pending = list(PendingRollup.objects.order_by("id")[:max_batches])
        if not pending:
            return 0
        ids = [event_id for batch in pending for event_id in batch.event_ids]
        metrics = [
            m
            for m in BillableMetric.objects.filter(archived_at__isnull=True, rollup_ready=True)
            if rollable(m)
        ]
        cells: dict[CellKey, Cell] = {}
        if metrics:
            _accumulate(metrics, _events_by_id(ids), cells)
            _write(cells)
        PendingRollup.objects.filter(id__in=[batch.id for batch in pending]).delete()
        state.advanced_at = timezone.now()
        state.save(update_fields=["advanced_at"])
        return len(ids)


def rollups_backfill(*, metric: BillableMetric) -> int:
    """Build a metric's rollups from every event already processed, then mark it ready."""
    with transaction.atomic():
        _lock()
        metric = BillableMetric.objects.get(pk=metric.pk)
        if not rollable(metric) or metric.archived_at is not None:
            return 0
        MetricRollup.objects.filter(metric=metric).delete()
        MetricRollupDay.objects.filter(metric=metric).delete()
        pending = {
            event_id for batch in PendingRollup.objects.all() for event_id in batch.event_ids
        }
        events = UsageEvent.objects.all()
        in_values = (metric.event_type_filter or {}).get("in_values")
        if in_values:
            events = events.filter(event_type__in=in_values)
        rows = (
            row
            for row in events.values_list(
                "id", "customer_id", "timestamp", "event_type", "properties"
            ).iterator(chunk_size=CHUNK)
            if row[0] not in pending
        )
        cells: dict[CellKey, Cell] = {}
        _accumulate([metric], rows, cells)
        _write(cells)
        metric.rollup_ready = True
        metric.save(update_fields=["rollup_ready"])
        return sum(cell.count for cell in cells.values())


# -- reading ---------------------------------------------------------------------------------


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
    first_day = _day(first_hour) + (DAY if _day(first_hour) < first_hour else timedelta(0))
    last_day = _day(last_hour)
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


def _pending_ids() -> set[int]:
    batches = PendingRollup.objects.values_list("event_ids", flat=True)
    return {event_id for ids in batches.iterator(chunk_size=2000) for event_id in ids}


def _window(starting_at: datetime, ending_before: datetime) -> tuple[datetime, datetime] | None:
    """The whole hours of [starting_at, ending_before) (None when there are none)."""
    first_hour = _hour(starting_at) + (HOUR if _hour(starting_at) < starting_at else timedelta(0))
    last_hour = _hour(ending_before)
    return (first_hour, last_hour) if first_hour < last_hour else None


def _answerable(metric: BillableMetric, keys: set[str]) -> bool:
    return rollable(metric) and metric.rollup_ready and keys <= set(rollup_keys(metric))


def _consistent_rows(
    read: Callable[[], list[RollupRow]],
) -> tuple[list[RollupRow], set[int]] | None:
    """Rollup rows read while the rollup job did not consume a pending batch we relied on, and
    the pending event ids they lack (None after five unlucky tries)."""
    for _attempt in range(5):
        before = _pending_ids()
        rows = read()
        if not before - _pending_ids():  # the job did not consume anything we relied on
            return rows, before
    return None


def _raw_rows(
    customer_ids: list[str], starting_at: datetime, ending_before: datetime,
    hours: tuple[datetime, datetime], pending: set[int],
) -> list[tuple]:  # fmt: skip
    """(id, timestamp, event_type, properties, customer_id) of the events rollups lack: the
    partial hours at the edges and the batches still pending."""
    first_hour, last_hour = hours
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
            continue
        target.count += cell.count
        target.total += cell.total
        if cell.maximum is not None and (target.maximum is None or cell.maximum > target.maximum):
            target.maximum = cell.maximum
        if cell.latest is not None and (
            target.latest is None or cell.latest[:2] > target.latest[:2]
        ):
            target.latest = cell.latest
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
    read = _consistent_rows(lambda: _rollup_rows(metric, customer_ids, *hours, bucket))
    if read is None:
        return None
    rows, pending = read
    raw = _raw_rows(customer_ids, starting_at, ending_before, hours, pending)
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
    owner = {event_id: key for key, ids in customers.items() for event_id in ids}
    if len(owner) < sum(len(ids) for ids in customers.values()):
        return None  # an id shared by two customers: each asks on its own
    ids = list(owner)
    read = _consistent_rows(lambda: _rollup_rows(metric, ids, *hours, None, by_customer=True))
    if read is None:
        return None
    rows, pending = read
    rows_of: dict[Any, list[RollupRow]] = {key: [] for key in customers}
    for row in rows:
        rows_of[owner[row.customer_id]].append(row)
    raw_of: dict[Any, list[tuple]] = {key: [] for key in customers}
    for row in _raw_rows(ids, starting_at, ending_before, hours, pending):
        raw_of[owner[row[4]]].append(row[:4])
    return {
        key: _values(metric, rows_of[key], raw_of[key], group_by, None, None) for key in customers
    }
