"""Merging the rollup job's cells into the stored rollup rows on PostgreSQL: one INSERT ... ON
CONFLICT DO UPDATE per chunk of cells, the cells passed as one array per column (unnest), where
Django's bulk_update builds a CASE per row and field (the rollup job then spent most of its time
building those expressions, about 700 events a second).

The database applies Cell.merge_into's rules: counts and totals add, the maximum is the larger,
the latest value is the one of the later (timestamp, event id). Each value is sent as Django
would save it (the field's rounding), so the rows equal what the portable path
(usage.rollup_writes) stores; SQLite keeps that path, where Decimal arithmetic stays in Python.

The daily rows are merged from the same arrays as the hourly ones, their hours added up per UTC
day by the database (Cell.absorb's rules), so Python builds and sends each cell once. Where a
cell's total has more places than the fields keep, the day's total is the rounded sum of its
hours, not the sum of their rounded totals: the days of such a run are then merged in Python
first (days_of) and sent as cells of their own.
"""

import json
from collections.abc import Iterator
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from billing_console.lib.pg import server_bound_cursor
from usage.models import MetricRollup, MetricRollupDay, RollupCells
from usage.rollup_cells import Cell, CellKey, days_of

CHUNK = 5000  # cells per statement, whole (metric, customer) pairs

_COLUMNS = "metric_id, customer_id, {span}, group_hash, group_values, count, total, maximum, " \
    "latest_at, latest_event_id, latest_value"  # fmt: skip
# The cells, one array literal per column (_Columns). The hour or day as
# seconds since the epoch; the group hash and values as positions in two short arrays of the
# distinct ones (a run's cells share a handful), so each is parsed once, not once per cell.
_CELLS = (
    "unnest(%s::bigint[], %s::text[], %s::bigint[], %s::int[], %s::bigint[], %s::numeric[], "
    "%s::numeric[], %s::timestamptz[], %s::bigint[], %s::numeric[]) "
    "AS x(m, c, e, i, n, tot, mx, la, le, lv)"
)
_CELL = "m, c, to_timestamp(e) AS s, (%s::text[])[i] AS h, (%s::jsonb[])[i] AS g"
_VALUES = "n, tot, mx, la, le, lv"
# The cells as they are (sorted by their key), or added up per UTC day, in the days' key order:
# Python's order (customer ids by code point, as the "C" collation orders them in UTF-8), so that
# the rows are locked in one order whatever the chunks of the jobs running at once.
_AS_SENT = f"SELECT {_CELL}, {_VALUES} FROM {_CELLS}"
_LATEST = "ORDER BY la DESC NULLS LAST, le DESC"
_BY_DAY = (
    "SELECT m, c, date_trunc('day', s, 'UTC'), h, (array_agg(g))[1], sum(n), sum(tot), max(mx), "
    f"max(la), (array_agg(le {_LATEST}))[1], (array_agg(lv {_LATEST}))[1] "
    f"FROM (SELECT {_CELL}, {_VALUES} FROM {_CELLS}) x "
    'GROUP BY 1, 2, 3, 4 ORDER BY m, c COLLATE "C", 3, 4'
)
_UPSERT = """
INSERT INTO {table} AS t ({columns}) {select}
ON CONFLICT (metric_id, customer_id, {span}, group_hash) DO UPDATE SET
    count = t.count + excluded.count,
    total = t.total + excluded.total,
    maximum = CASE WHEN t.maximum IS NULL OR excluded.maximum > t.maximum
                   THEN excluded.maximum ELSE t.maximum END,
    latest_at = CASE WHEN {newer} THEN excluded.latest_at ELSE t.latest_at END,
    latest_event_id = CASE WHEN {newer} THEN excluded.latest_event_id ELSE t.latest_event_id END,
    latest_value = CASE WHEN {newer} THEN excluded.latest_value ELSE t.latest_value END
"""
# The cell's latest event is the later one (a stored row without an event id counts as id 0).
_NEWER = (
    "excluded.latest_at IS NOT NULL AND (t.latest_at IS NULL OR (excluded.latest_at, "
    "excluded.latest_event_id) > (t.latest_at, coalesce(t.latest_event_id, 0)))"
)
PLACES = Decimal(1).scaleb(-RollupCells._meta.get_field("total").decimal_places)
_LAST_PLACE = PLACES.as_tuple().exponent


def _upsert(model: type[RollupCells], span: str, select: str) -> str:
    return _UPSERT.format(
        table=model._meta.db_table, columns=_COLUMNS.format(span=span), select=select, span=span,
        newer=_NEWER,
    )  # fmt: skip


_HOURS = _upsert(MetricRollup, "hour", _AS_SENT)
_DAYS = _upsert(MetricRollupDay, "day", _AS_SENT)
_DAYS_OF_HOURS = _upsert(MetricRollupDay, "day", _BY_DAY)


def _saved(value: Decimal | None) -> tuple[str, bool]:
    """The value as Django saves it in the rollup fields (rounded half-even to their places),
    as an array element, and whether that rounded it."""
    if value is None:
        return "NULL", False
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < _LAST_PLACE:
        return str(value.quantize(PLACES, rounding=ROUND_HALF_EVEN)), True
    return str(value), False


def _quoted(text: str) -> str:
    """A text as an element of an array literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _array(elements: list[str]) -> str:
    return "{" + ",".join(elements) + "}"


def _chunks(cells: dict[CellKey, Cell]) -> Iterator[list[tuple[CellKey, Cell]]]:
    """The cells in key order, in chunks of about CHUNK that never split a (metric, customer):
    a day's hours are in one chunk, and each table's rows are locked in key order across
    chunks (jobs running at once lock the rows they share in the same order)."""
    items = sorted(cells.items(), key=lambda item: item[0])
    start = 0
    while start < len(items):
        end = min(start + CHUNK, len(items))
        while end < len(items) and items[end][0][:2] == items[end - 1][0][:2]:
            end += 1
        yield items[start:end]
        start = end


class _Columns:
    """Cells as the parameters of _CELL and _CELLS: the distinct group hashes and values, then
    one array literal per column. Texts met before (customers, hours, groups) are kept."""

    def __init__(self) -> None:
        self.groups: dict[str, int] = {}  # group hash: its position (1-based)
        self.values: list[str] = []  # their JSON texts, quoted
        self.customers: dict[str, str] = {}
        self.epochs: dict[datetime, str] = {}
        self.rounded = False  # a total had more places than the fields keep

    def __call__(self, chunk: list[tuple[CellKey, Cell]]) -> list[Any]:
        m, c, e, i, n, tot, mx, la, le, lv = columns = [[] for _ in range(10)]
        for (metric_id, customer_id, start, digest), cell in chunk:
            position = self.groups.get(digest)
            if position is None:
                position = self.groups[digest] = len(self.groups) + 1
                self.values.append(_quoted(json.dumps(cell.group_values)))
            customer = self.customers.get(customer_id)
            if customer is None:
                customer = self.customers[customer_id] = _quoted(customer_id)
            epoch = self.epochs.get(start)
            if epoch is None:
                epoch = self.epochs[start] = str(int(start.timestamp()))
            total, cut = _saved(cell.total)
            self.rounded = self.rounded or cut
            at, event_id, value = cell.latest or (None, None, None)
            m.append(str(metric_id))
            c.append(customer)
            e.append(epoch)
            i.append(str(position))
            n.append(str(cell.count))
            tot.append(total)
            mx.append(_saved(cell.maximum)[0])
            la.append("NULL" if at is None else at.isoformat())
            le.append("NULL" if event_id is None else str(event_id))
            lv.append(_saved(value)[0])
        return [*self.distinct(), *(_array(column) for column in columns)]

    def distinct(self) -> list[str]:
        """The distinct group hashes and values, as array literals."""
        return [_array([f'"{digest}"' for digest in self.groups]), _array(self.values)]


def rollups_upsert(cells: dict[CellKey, Cell]) -> None:
    """Add hourly `cells` ({(metric id, customer_id, hour, group hash): cell}) to the hourly
    rows, then their days to the daily rows."""
    columns = _Columns()
    sent = []
    with server_bound_cursor() as cursor:
        for chunk in _chunks(cells):
            params = columns(chunk)
            cursor.execute(_HOURS, params)
            sent.append(params[2:])
        if columns.rounded:  # a day's total is its hours' exact sum, rounded once
            days = _Columns()
            for chunk in _chunks(days_of(cells)):
                cursor.execute(_DAYS, days(chunk))
            return
        for arrays in sent:  # every group hash and value is known by now
            cursor.execute(_DAYS_OF_HOURS, [*columns.distinct(), *arrays])
