"""The rollup job: ingest records each stored batch as a PendingRollup (pending_record); the
job (rollups_advance, on the beat schedule) adds pending events to the hourly and daily rows
under one lock, and a new metric is built from every processed event (rollups_backfill)."""

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import connection, transaction

from usage.metrics import event_matches, property_text
from usage.models import (
    BillableMetric,
    MetricRollup,
    MetricRollupDay,
    PendingRollup,
    RollupCells,
    RollupState,
    UsageEvent,
)
from usage.rollup_cells import Cell, day_start, hour_start, rollable, rollup_keys
from usage.rollup_upsert import rollups_upsert

CHUNK = 5000
CellKey = tuple[int, str, datetime, str]  # metric id, customer_id, hour, group hash


def _group(keys: list[str], properties: dict[str, Any], seen: dict) -> tuple[dict, str]:
    """The group values of an event and their digest (`seen` remembers the digests computed,
    by the values: a metric's events share a handful of groups)."""
    texts = tuple(property_text(properties.get(k)) for k in keys)
    found = seen.get(texts)
    if found is None:
        values = dict(zip(keys, texts, strict=True))
        digest = hashlib.sha1(
            json.dumps(values, sort_keys=True).encode(), usedforsecurity=False
        ).hexdigest()
        found = seen[texts] = (values, digest)
    return found


def _accumulate(
    metrics: list[BillableMetric], events: Iterable[tuple], cells: dict[CellKey, Cell]
) -> None:
    keys = {m.pk: rollup_keys(m) for m in metrics}
    seen: dict[int, dict] = {m.pk: {} for m in metrics}
    for event_id, customer_id, at, event_type, properties in events:
        hour = hour_start(at)
        for metric in metrics:
            if not event_matches(metric, event_type, properties):
                continue
            values, digest = _group(keys[metric.pk], properties, seen[metric.pk])
            key = (metric.pk, customer_id, hour, digest)
            cell = cells.get(key)
            if cell is None:
                cell = cells[key] = Cell(dict(values))
            cell.add(metric.aggregation_type, properties.get(metric.aggregation_key), at, event_id)


def _days(cells: dict[CellKey, Cell]) -> dict[CellKey, Cell]:
    """The hourly cells merged per UTC day."""
    days: dict[CellKey, Cell] = {}
    for (metric_id, customer_id, hour, digest), cell in cells.items():
        key = (metric_id, customer_id, day_start(hour), digest)
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
    if connection.vendor == "postgresql":
        rollups_upsert(model, span, cells)  # the same merge, in the database
        return
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


def _lock(*, shared: bool = False) -> None:
    """Lock the rollup state row: exclusively for a backfill; `shared` for the rollup job on
    PostgreSQL, so several jobs advance at once (each on pending batches no other holds) while
    none runs beside a backfill. SQLite serializes writers anyway."""
    RollupState.objects.get_or_create(pk=1)
    if shared and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id FROM {RollupState._meta.db_table} WHERE id = 1 FOR SHARE")
    else:
        RollupState.objects.select_for_update().get(pk=1)


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
        _lock(shared=True)
        # Batches another job holds are skipped (PostgreSQL): each batch is added once.
        claim = PendingRollup.objects.select_for_update(skip_locked=True)
        pending = list(claim.order_by("id")[:max_batches])
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
