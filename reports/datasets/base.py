"""What a dataset is: named columns with a kind, a progress total, and rows in batches.

A dataset never materialises its rows: querysets are read with `.iterator(chunk_size=...)` and
handed on one batch at a time, so a report of any size is built in bounded memory.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Model, Q, QuerySet

# Column kinds: how a value is written to CSV and typed in Parquet (reports.writers).
STR, DECIMAL, DATETIME, INT, BOOL, JSON = "str", "decimal", "datetime", "int", "bool", "json"
KINDS = frozenset({STR, DECIMAL, DATETIME, INT, BOOL, JSON})


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = STR


def columns(spec: str) -> tuple[Column, ...]:
    """Columns from "name name:kind ...": a bare name is a string column."""
    out = []
    for item in spec.split():
        name, _, kind = item.partition(":")
        if kind and kind not in KINDS:
            raise ValueError(f"column {name}: unknown kind {kind!r}")
        out.append(Column(name, kind or STR))
    return tuple(out)


@dataclass(frozen=True)
class Filters:
    starting_on: datetime | None = None  # inclusive
    ending_before: datetime | None = None  # exclusive
    customer_pk: int | None = None
    window_size: str = "DAY"  # invoice breakdowns only: DAY | HOUR
    # Incremental exports: rows created or changed in (changed_after, changed_through].
    changed_after: datetime | None = None
    changed_through: datetime | None = None
    as_of: datetime | None = None  # balances are computed at this moment
    # Void invoices (and their lines): exports keep them (a void is a change to send); a report
    # leaves them out unless asked (reports.params).
    include_void: bool = True

    @property
    def incremental(self) -> bool:
        return self.changed_through is not None


@dataclass
class Batch:
    rows: list[tuple]
    units: int  # progress units this batch completes (rows, or breakdown windows)


@dataclass(frozen=True)
class Dataset:
    name: str
    label: str
    description: str
    columns: tuple[Column, ...]
    total: Callable[[Filters], int]  # progress units, counted before the build
    batches: Callable[[Filters, int], Iterator[Batch]]  # (filters, chunk_size)
    requires_range: bool = False
    voidable: bool = False  # its rows are of invoices, which may be void (Filters.include_void)

    @property
    def header(self) -> list[str]:
        return [column.name for column in self.columns]


def overlapping(qs: QuerySet, filters: Filters, start_field: str, end_field: str) -> QuerySet:
    """Rows whose [start, end) overlaps the filter range; a null end is open-ended."""
    if filters.ending_before is not None:
        qs = qs.filter(**{f"{start_field}__lt": filters.ending_before})
    if filters.starting_on is not None:
        qs = qs.filter(
            Q(**{f"{end_field}__gt": filters.starting_on}) | Q(**{f"{end_field}__isnull": True})
        )
    return qs


def changed(filters: Filters, *fields: str) -> Q:
    """Rows any of whose `fields` (timestamps) fall in the export window (after, through]."""
    condition = Q()
    for field in fields:
        window = Q(**{f"{field}__lte": filters.changed_through})
        if filters.changed_after is not None:
            window &= Q(**{f"{field}__gt": filters.changed_after})
        condition |= window
    return condition


def scoped(
    qs: QuerySet,
    filters: Filters,
    *,
    period: tuple[str, str],
    customer: str = "customer_id",
    stamps: tuple[str, ...] = ("created_at", "updated_at"),
) -> QuerySet:
    """The rows a report or export covers: overlapping its date range (`period`: the start and
    end fields), of its customer if it names one, and for an incremental export only those whose
    `stamps` changed in its window."""
    qs = overlapping(qs, filters, *period)
    if filters.customer_pk is not None:
        qs = qs.filter(**{customer: filters.customer_pk})
    if filters.incremental:
        qs = qs.filter(changed(filters, *stamps))
    return qs


def queryset_dataset(
    *,
    name: str,
    label: str,
    description: str,
    columns: tuple[Column, ...],
    queryset: Callable[[Filters], QuerySet],
    row: Callable[[Any, Filters], tuple],
    requires_range: bool = False,
    voidable: bool = False,
) -> Dataset:
    """A dataset of one row per object of a queryset, read in primary-key order."""

    def total(filters: Filters) -> int:
        return queryset(filters).order_by().count()

    def batches(filters: Filters, chunk_size: int) -> Iterator[Batch]:
        rows: list[tuple] = []
        objects: Iterator[Model] = queryset(filters).order_by("pk").iterator(chunk_size=chunk_size)
        for obj in objects:
            rows.append(row(obj, filters))
            if len(rows) >= chunk_size:
                yield Batch(rows, len(rows))
                rows = []
        if rows:
            yield Batch(rows, len(rows))

    return Dataset(name, label, description, columns, total, batches, requires_range, voidable)


def public_id(obj: Any) -> str | None:
    return str(obj.public_id) if obj is not None else None
