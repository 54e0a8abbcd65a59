"""The rollup job's grouping done by PostgreSQL: one GROUP BY per metric over the events being
rolled up, where the portable path (usage.rollup_writes) reads every event into Python (that
read and the per-event matching were most of the job's time).

Exact by construction, not by translating the metric into SQL: the database groups the events
by everything that decides whether and where an event counts (customer, UTC hour, event type,
and the JSON text of each filtered, grouped and aggregated property), and Python then applies
the same rules as for single events (event_matches, property_text, number) to each group's
values, decoded from the JSON text the events are stored as. Groups whose values read alike in
Python merge into one cell.

Only the aggregated values are summed in the database, and only those it reads exactly as
`number` does: JSON numbers under the 10^16 limit that are whole or have at most 15
significant digits (Python reads a fraction as a float, and a float of up to 15 digits is the
decimal it was written as). Any other value (a numeric string, a longer fraction, a boolean)
stays part of its group's key and is read in Python.
"""

import json
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import connection

from usage.metrics import NEEDS_KEY, event_matches, number
from usage.models import BillableMetric, UsageEvent
from usage.rollup_cells import Cell, CellKey, GroupMemo, group_of, rollup_keys

# The aggregated value when the database sums it (see the module's docstring), else NULL.
_EXACT = """CASE WHEN jsonb_typeof(v.j) = 'number' THEN
    CASE WHEN (strpos(v.j::text, '.') = 0
               OR length(ltrim(translate(v.j::text, '-.', ''), '0')) <= 15)
              AND abs(v.j::numeric) < 1e16
         THEN v.j::numeric END END"""
_ORDER = "ORDER BY e.timestamp DESC, e.id DESC"
_AGGREGATES = {
    "COUNT": "",
    "SUM": ", sum(x.n)",
    "MAX": ", max(x.n)",
    # The latest value of a group: the one of the latest (timestamp, event id).
    "LATEST": f", max(e.timestamp), (array_agg(e.id {_ORDER}))[1], (array_agg(x.n {_ORDER}))[1]",
}


def _keys(metric: BillableMetric) -> list[str]:
    """The properties, other than the aggregated one, that decide whether and where an event
    counts: the filtered and the grouped ones."""
    return list(
        dict.fromkeys([f["name"] for f in metric.property_filters or []] + rollup_keys(metric))
    )


def _statement(metric: BillableMetric, keys: list[str], where: str) -> str:
    """Columns: customer, hour, event type, the keys' texts, [whether the database read the
    value, the value's text where it did not], the count, the aggregates."""
    texts = "".join(f", (e.properties -> %s)::text AS k{i}" for i in range(len(keys)))
    by = "".join(f", k{i}" for i in range(len(keys)))
    value = lateral = ""
    if metric.aggregation_type in NEEDS_KEY:
        value = ", x.n IS NOT NULL AS exact, CASE WHEN x.n IS NULL THEN v.j::text END AS raw"
        by += ", exact, raw"
        lateral = (
            "CROSS JOIN LATERAL (SELECT e.properties -> %s AS j) v "
            f"CROSS JOIN LATERAL (SELECT {_EXACT} AS n) x "
        )
    return (
        f"SELECT e.customer_id, date_trunc('hour', e.timestamp, 'UTC') AS h, e.event_type"
        f"{texts}{value}, count(*){_AGGREGATES[metric.aggregation_type]} "
        f"FROM {UsageEvent._meta.db_table} e {lateral}"
        f"WHERE {where} GROUP BY e.customer_id, h, e.event_type{by}"
    )


def _decoded(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _cell(kind: str, values: dict, count: int, aggregates: tuple, exact: bool, raw: Any) -> Cell:
    """A group's cell: its aggregates as the database computed them, or, where the database
    did not read the value, the group's one value read as `number` reads it, count times."""
    cell = Cell(values, count)
    if kind == "COUNT":
        return cell
    amount = None if exact else number(raw)
    if kind == "SUM":
        cell.total = aggregates[0] if exact else (amount or Decimal(0)) * count
    elif kind == "MAX":
        cell.maximum = aggregates[0] if exact else amount
    else:
        at, event_id, value = aggregates
        amount = value if exact else amount
        if amount is not None:
            cell.latest = (at, event_id, amount)
    return cell


def grouped_cells(
    metrics: Iterable[BillableMetric], where: str, params: list[Any], cells: dict[CellKey, Cell]
) -> None:
    """Add the events `where` selects (a condition on `e`, the events table, with `params`) to
    `cells`, metric by metric, as the portable path adds them event by event."""
    with connection.cursor() as cursor:
        for metric in metrics:
            kind, keys, needs_key = (
                metric.aggregation_type,
                _keys(metric),
                metric.aggregation_type in NEEDS_KEY,
            )
            group_keys, memo = rollup_keys(metric), GroupMemo()
            args = [*keys, metric.aggregation_key] if needs_key else list(keys)
            cursor.execute(_statement(metric, keys, where), args + params)
            for row in cursor.fetchall():
                customer_id, hour, event_type = row[:3]
                texts, rest = row[3 : 3 + len(keys)], row[3 + len(keys) :]
                properties = {
                    k: _decoded(t) for k, t in zip(keys, texts, strict=True) if t is not None
                }
                exact, raw = True, None
                if needs_key:
                    exact, raw_text, rest = rest[0], rest[1], rest[2:]
                    raw = _decoded(raw_text)
                    if exact:  # a number the database read: the property is present
                        properties.setdefault(metric.aggregation_key, 0)
                    elif raw_text is not None:
                        properties[metric.aggregation_key] = raw
                if not event_matches(metric, event_type, properties):
                    continue
                values, digest = group_of(group_keys, properties, memo)
                key = (metric.pk, customer_id, hour, digest)
                cell = cells.get(key)
                if cell is None:
                    cell = cells[key] = Cell(dict(values))
                cell.absorb(_cell(kind, values, rest[0], tuple(rest[1:]), exact, raw))
