"""Running SQL billable metrics (usage.sql parses, checks and translates them): over stored
events scoped to one customer and window, or over events given in a request (previews), each
run in a savepoint within a time budget, database errors turned into SqlMetricFailed."""

import json
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection, transaction
from django.db.models import QuerySet
from sqlglot import exp

from billing_console.db_budget import time_budget
from usage.sql import (
    COLUMNS,
    EVENTS,
    SqlMetricFailed,
    reading_select_from,
    sql_parse,
)
from usage.sql_translate import compile_metric, dialect

# -- execution --------------------------------------------------------------------------------


def no_events() -> QuerySet:
    from usage.models import UsageEvent

    return UsageEvent.objects.filter(id__lt=0)


def scope_sql(events: QuerySet) -> tuple[str, list[Any]]:
    sql, params = events.values(*COLUMNS).order_by().query.sql_with_params()
    return sql, list(params)


def sql_value(sql: str, events: QuerySet) -> Decimal | None:
    """The metric's value over `events` (a UsageEvent queryset we scoped), or None when the
    aggregate is NULL (e.g. SUM over no matching event)."""
    return _value(*compile_metric(sql, scope_sql(events)))


def _run(query: str, params: list[Any], fetch: Any) -> Any:
    """Execute a compiled metric in a savepoint (a failure leaves the caller's transaction
    usable) within the time budget; the database's errors become SqlMetricFailed."""
    budget = int(getattr(settings, "SQL_METRIC_TIMEOUT_MS", 10_000))
    try:
        with transaction.atomic(), time_budget(budget), connection.cursor() as cursor:
            cursor.execute(query, params)
            return fetch(cursor)
    except DatabaseError as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise SqlMetricFailed(first) from err


def _value(query: str, params: list[Any]) -> Decimal | None:
    row = _run(query, params, lambda cursor: cursor.fetchone())
    value = row[0] if row else None
    if value is None or isinstance(value, bool):
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _given_events_sql(events: list[dict[str, Any]]) -> tuple[str, list[Any]]:
    """A scope of events that are not stored (cost previews): one SELECT of bound values per
    event, UNION ALL, typed like the usage_usageevent columns."""
    if not events:
        return scope_sql(no_events())
    postgres = dialect() == "postgres"
    timestamp = "CAST(%s AS timestamptz)" if postgres else "%s"
    properties = "CAST(%s AS jsonb)" if postgres else "%s"
    row = (
        'SELECT %s AS "transaction_id", %s AS "customer_id", %s AS "event_type", '
        f'{timestamp} AS "timestamp", {properties} AS "properties"'
    )
    params: list[Any] = []
    for event in events:
        params += [
            str(event.get("transaction_id") or ""),
            str(event.get("customer_id") or ""),
            str(event.get("event_type") or ""),
            connection.ops.adapt_datetimefield_value(event["timestamp"]),
            json.dumps(event.get("properties") or {}, cls=DjangoJSONEncoder),
        ]
    return " UNION ALL ".join([row] * len(events)), params


def sql_value_over(sql: str, events: list[dict[str, Any]]) -> Decimal | None:
    """sql_value over events given as dicts (transaction_id, customer_id, event_type, timestamp,
    properties) rather than stored."""
    return _value(*compile_metric(sql, _given_events_sql(events)))


def sql_matching(sql: str, events: QuerySet) -> set[str]:
    """Transaction ids among `events` that the metric's filter (the WHERE of the SELECT reading
    `events`) lets through: what "matched" means for a SQL metric in event search."""
    tree = sql_parse(sql)
    reader = next(
        s for s in tree.find_all(exp.Select) if isinstance(reading_select_from(s), exp.Table)
    )
    table = reading_select_from(reader)
    alias = table.alias or EVENTS
    select = exp.select(exp.column("transaction_id", table=alias)).from_(table.copy())
    where = reader.args.get("where")
    if where is not None:
        select.set("where", where.copy())
    query, params = compile_metric(sql, scope_sql(events), select=select)
    return _run(query, params, lambda cursor: {row[0] for row in cursor.fetchall()})


def sql_values(sql: str, scoped: Iterable[tuple[Any, QuerySet]]) -> dict[Any, Decimal]:
    """sql_value for several scopes (e.g. windows): {key: value}, NULL results left out."""
    out: dict[Any, Decimal] = {}
    for key, events in scoped:
        value = sql_value(sql, events)
        if value is not None:
            out[key] = value
    return out
