"""What rollups hold, shared by the rollup job (usage.rollup_writes) and its readers
(usage.rollup_reads): which metrics are rolled up and by which keys, the UTC hour and day a
moment falls in, and the Cell that adds events and merges with other cells and stored rows."""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from usage.metrics import number, property_text
from usage.models import BillableMetric, RollupCells

ROLLED_UP = ("COUNT", "SUM", "MAX", "LATEST")
CellKey = tuple[int, str, datetime, str]  # metric id, customer_id, hour or day, group hash
# A metric's group values already digested, by their texts: its events share a handful.
GroupMemo = dict[tuple, tuple[dict[str, str | None], str]]


def rollable(metric: BillableMetric) -> bool:
    return not metric.sql and metric.aggregation_type in ROLLED_UP


def rollup_keys(metric: BillableMetric) -> list[str]:
    """Rollups keep the finest grouping: every key of every group of the metric."""
    keys: list[str] = []
    for group in metric.group_keys or []:
        keys += [k for k in group if k not in keys]
    return keys


def group_of(
    keys: list[str], properties: dict[str, Any], memo: GroupMemo
) -> tuple[dict[str, str | None], str]:
    """The group values of an event (`keys` as rollup_keys gives them) and their digest, the
    rollup rows' group_hash."""
    texts = tuple(property_text(properties.get(k)) for k in keys)
    found = memo.get(texts)
    if found is None:
        values = dict(zip(keys, texts, strict=True))
        digest = hashlib.sha1(
            json.dumps(values, sort_keys=True).encode(), usedforsecurity=False
        ).hexdigest()
        found = memo[texts] = (values, digest)
    return found


def hour_start(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def day_start(moment: datetime) -> datetime:
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
        """Add this cell to a rollup row, new or as stored, by absorb's rules."""
        stored = None
        if row.latest_at is not None:
            stored = (row.latest_at, row.latest_event_id or 0, row.latest_value)
        merged = Cell(row.group_values, row.count, row.total, row.maximum, stored)
        merged.absorb(self)
        row.count, row.total, row.maximum = merged.count, merged.total, merged.maximum
        if merged.latest is not stored:  # this cell's latest event is the newer one
            row.latest_at, row.latest_event_id, row.latest_value = merged.latest


def days_of(cells: dict[CellKey, Cell]) -> dict[CellKey, Cell]:
    """Hourly cells merged per UTC day."""
    days: dict[CellKey, Cell] = {}
    for (metric_id, customer_id, hour, digest), cell in cells.items():
        key = (metric_id, customer_id, day_start(hour), digest)
        day = days.get(key)
        if day is None:
            day = days[key] = Cell(cell.group_values)
        day.absorb(cell)
    return days
