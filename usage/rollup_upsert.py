"""Merging the rollup job's cells into the stored rollup rows on PostgreSQL: one INSERT ... ON
CONFLICT DO UPDATE per chunk of cells, the rows passed as one JSON document, where
Django's bulk_update builds a CASE per row and field (the rollup job then spent most of its time
building those expressions, about 700 events a second).

The database applies Cell.merge_into's rules: counts and totals add, the maximum is the larger,
the latest value is the one of the later (timestamp, event id). Each value is sent as Django
would save it (the field's rounding), so the rows equal what the portable path
(usage.rollup_writes) stores; SQLite keeps that path, where Decimal arithmetic stays in Python.
"""

import json
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from django.db import connection

from usage.models import RollupCells
from usage.rollup_cells import Cell, CellKey

CHUNK = 5000

_UPSERT = """
INSERT INTO {table} AS t (metric_id, customer_id, {span}, group_hash, group_values, count,
                          total, maximum, latest_at, latest_event_id, latest_value)
SELECT m, c, s, h, g, n, tot, mx, la, le, lv FROM jsonb_to_recordset(%s::jsonb) AS x(
    m bigint, c text, s timestamptz, h text, g jsonb, n bigint, tot numeric, mx numeric,
    la timestamptz, le bigint, lv numeric)
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


def _saved(value: Decimal | None) -> str | None:
    """The value as Django saves it in the rollup fields (rounded half-even to their places)."""
    if value is None:
        return None
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < PLACES.as_tuple().exponent:
        value = value.quantize(PLACES, rounding=ROUND_HALF_EVEN)
    return str(value)


def _row(key: CellKey, cell: Cell) -> dict[str, Any]:
    metric_id, customer_id, start, digest = key
    at, event_id, value = cell.latest or (None, None, None)
    return {
        "m": metric_id, "c": customer_id, "s": start.isoformat(), "h": digest,
        "g": cell.group_values, "n": cell.count, "tot": _saved(cell.total),
        "mx": _saved(cell.maximum), "la": at.isoformat() if at else None, "le": event_id,
        "lv": _saved(value),
    }  # fmt: skip


def rollups_upsert(model: type[RollupCells], span: str, cells: dict[CellKey, Cell]) -> None:
    """Add `cells` ({(metric id, customer_id, hour or day, group hash): cell}) to `model`'s rows,
    in key order: jobs running at once lock the rows they share in the same order."""
    sql = _UPSERT.format(table=model._meta.db_table, span=span, newer=_NEWER)
    items = sorted(cells.items(), key=lambda item: item[0])
    with connection.cursor() as cursor:
        for start in range(0, len(items), CHUNK):
            rows = [_row(key, cell) for key, cell in items[start : start + CHUNK]]
            cursor.execute(sql, [json.dumps(rows)])
