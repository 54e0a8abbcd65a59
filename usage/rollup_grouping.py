"""The rollup job's grouping done by PostgreSQL: one statement reads the events being rolled up
once (a materialized CTE holding the JSON text of every property any metric needs) and groups
them once per metric, where the portable path (usage.rollup_writes) reads every event into
Python (that read and the per-event matching were most of the job's time).

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
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.db import connection

from usage.metrics import NEEDS_KEY, event_matches, number
from usage.models import BillableMetric, UsageEvent
from usage.rollup_cells import Cell, CellKey, GroupMemo, group_of, rollup_keys

# The aggregated value when the database sums it (see the module's docstring), else NULL: from
# the property's JSON type (y) and text (t). The inner CASE casts only numbers' texts.
_EXACT = """CASE WHEN y{i} = 'number' THEN CASE
    WHEN (strpos(t{i}, '.') = 0 OR length(ltrim(translate(t{i}, '-.', ''), '0')) <= 15)
         AND abs(t{i}::numeric) < 1e16 THEN t{i}::numeric END END"""
_ORDER = "ORDER BY timestamp DESC, id DESC"
# The hour as seconds since the epoch: a handful of distinct values, turned into datetimes once
# each in Python (Django's timestamp loader, in Python, took a tenth of the job's time).
_EPOCH = "extract(epoch FROM h)::bigint"
# Every metric's rows have the same columns: metric index, customer, hour, event type, the
# keys' texts (an array), whether the database read the value, the value's text where it did
# not, the count, the sum or maximum, and the latest (timestamp, event id, value).
_AGGREGATES = {
    "COUNT": "NULL::numeric, NULL::timestamptz, NULL::bigint, NULL::numeric",
    "SUM": "sum(n{a}), NULL, NULL, NULL",
    "MAX": "max(n{a}), NULL, NULL, NULL",
    "LATEST": f"NULL, max(timestamp), (array_agg(id {_ORDER}))[1], (array_agg(n{{a}} {_ORDER}))[1]",
}


def _keys(metric: BillableMetric) -> list[str]:
    """The properties, other than the aggregated one, that decide whether and where an event
    counts: the filtered and the grouped ones."""
    return list(
        dict.fromkeys([f["name"] for f in metric.property_filters or []] + rollup_keys(metric))
    )


def _statement(metrics: list[BillableMetric], where: str) -> tuple[str, list[str]]:
    """The statement and its first parameters: the properties whose texts it reads, then those
    whose JSON types it reads (the aggregated ones)."""
    names: list[str] = []  # every property read, once: t<i> its text
    for metric in metrics:
        names += [k for k in _keys(metric) if k not in names]
        if metric.aggregation_type in NEEDS_KEY and metric.aggregation_key not in names:
            names.append(metric.aggregation_key)
    values = sorted(
        {names.index(m.aggregation_key) for m in metrics if m.aggregation_type in NEEDS_KEY}
    )
    texts = "".join(f", (e.properties -> %s)::text AS t{i}" for i in range(len(names)))
    types = "".join(f", jsonb_typeof(e.properties -> %s) AS y{i}" for i in values)
    exact = "".join(f", {_EXACT.format(i=i)} AS n{i}" for i in values)
    branches = []
    for index, metric in enumerate(metrics):
        by = ["customer_id", "h", "event_type", *(f"t{names.index(k)}" for k in _keys(metric))]
        array = f"ARRAY[{', '.join(by[3:])}]::text[]"
        if metric.aggregation_type in NEEDS_KEY:
            a = names.index(metric.aggregation_key)
            value = f"n{a} IS NOT NULL, CASE WHEN n{a} IS NULL THEN t{a} END"
            by += [f"n{a} IS NOT NULL", f"CASE WHEN n{a} IS NULL THEN t{a} END"]
        else:
            a, value = 0, "true, NULL::text"
        aggregates = _AGGREGATES[metric.aggregation_type].format(a=a)
        branches.append(
            f"SELECT {index}, customer_id, {_EPOCH}, event_type, {array}, {value}, count(*), "
            f"{aggregates} FROM ev GROUP BY {', '.join(by)}"
        )
    sql = (
        f"WITH src AS MATERIALIZED (SELECT e.id, e.timestamp, e.customer_id, e.event_type, "
        f"date_trunc('hour', e.timestamp, 'UTC') AS h{texts}{types} "
        f"FROM {UsageEvent._meta.db_table} e WHERE {where}), "
        f"ev AS MATERIALIZED (SELECT *{exact} FROM src) " + " UNION ALL ".join(branches)
    )
    return sql, names + [names[i] for i in values]


def _decoded(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _cell(kind: str, values: dict, count: int, aggregates: tuple, exact: bool, raw: Any) -> Cell:
    """A group's cell: its aggregates as the database computed them, or, where the database
    did not read the value, the group's one value read as `number` reads it, count times."""
    cell = Cell(values, count)
    if kind == "COUNT":
        return cell
    total_or_maximum, at, event_id, value = aggregates
    amount = None if exact else number(raw)
    if kind == "SUM":
        cell.total = total_or_maximum if exact else (amount or Decimal(0)) * count
    elif kind == "MAX":
        cell.maximum = total_or_maximum if exact else amount
    else:
        amount = value if exact else amount
        if amount is not None:
            cell.latest = (at, event_id, amount)
    return cell


def _group(
    metric: BillableMetric, keys: list[str], event_type: str, texts: list[str | None],
    exact: bool, raw_text: str | None, memo: GroupMemo,
) -> tuple[dict[str, str | None], str] | None:  # fmt: skip
    """The group values and digest of the events a row of the statement stands for, read from
    their JSON texts by the per-event rules, or None if the metric does not count them."""
    properties = {k: _decoded(t) for k, t in zip(keys, texts, strict=True) if t is not None}
    if metric.aggregation_type in NEEDS_KEY:
        if exact:  # a number the database read: the property is present
            properties.setdefault(metric.aggregation_key, 0)
        elif raw_text is not None:
            properties[metric.aggregation_key] = _decoded(raw_text)
    if not event_matches(metric, event_type, properties):
        return None
    return group_of(rollup_keys(metric), properties, memo)


def grouped_cells(
    metrics: Iterable[BillableMetric], where: str, params: list[Any], cells: dict[CellKey, Cell]
) -> None:
    """Add the events `where` selects (a condition on `e`, the events table, with `params`) to
    `cells`, metric by metric, as the portable path adds them event by event."""
    metrics = list(metrics)
    if not metrics:
        return
    sql, reads = _statement(metrics, where)
    keys = [_keys(metric) for metric in metrics]
    kinds = [metric.aggregation_type for metric in metrics]
    memos: list[GroupMemo] = [{} for _ in metrics]
    # What decides a row's group (and whether it counts) recurs in most rows: each customer's
    # hours share a handful. Decided once each.
    groups: dict[tuple, tuple[dict[str, str | None], str] | None] = {}
    hours: dict[int, datetime] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, reads + params)
        rows = cursor.fetchall()
    for index, customer_id, epoch, event_type, texts, exact, raw_text, count, *rest in rows:
        decides = (index, event_type, exact, raw_text, *texts)
        try:
            group = groups[decides]
        except KeyError:
            group = groups[decides] = _group(
                metrics[index], keys[index], event_type, texts, exact, raw_text, memos[index]
            )  # fmt: skip
        if group is None:
            continue
        hour = hours.get(epoch)
        if hour is None:
            hour = hours[epoch] = datetime.fromtimestamp(epoch, UTC)
        values, digest = group
        raw = None if exact else _decoded(raw_text)
        cell = _cell(kinds[index], values, count, tuple(rest), exact, raw)
        key = (metrics[index].pk, customer_id, hour, digest)
        found = cells.get(key)
        if found is None:  # the usual case: the statement grouped the cell's events already
            cells[key] = cell
        else:  # groups whose values read alike merge
            found.absorb(cell)
