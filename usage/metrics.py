"""What a billable metric means: validation of its definition, which events it matches, and the
aggregation of matched values. Pure Python over event dicts; no ORM."""

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from billing_console.api import ApplicationError
from billing_console.wire import MAX_NUMBER

AGGREGATIONS = ("COUNT", "SUM", "MAX", "UNIQUE", "LATEST")
NEEDS_KEY = ("SUM", "MAX", "UNIQUE", "LATEST")


def _strings(field_name: str, value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ApplicationError(f"{field_name}: must be a list of strings.")
    return value


def metric_validate(
    *, event_type_filter: Any, property_filters: Any, aggregation_type: Any, aggregation_key: Any,
    group_keys: Any, sql: Any,
) -> dict[str, Any]:  # fmt: skip
    """The cleaned model fields of a metric definition, or a 400 naming the field."""
    if sql is not None and sql != "":
        return _sql_definition(
            sql, event_type_filter=event_type_filter, property_filters=property_filters,
            aggregation_type=aggregation_type, aggregation_key=aggregation_key, group_keys=group_keys,
        )  # fmt: skip
    if aggregation_type is None or aggregation_type == "":
        raise ApplicationError(
            f"aggregation_type: is required unless sql is given (one of {', '.join(AGGREGATIONS)})."
        )
    if aggregation_type not in AGGREGATIONS:
        raise ApplicationError(f"aggregation_type: must be one of {', '.join(AGGREGATIONS)}.")
    key = (aggregation_key or "").strip()
    if aggregation_type in NEEDS_KEY and not key:
        raise ApplicationError(f"aggregation_key: is required for {aggregation_type}.")
    type_filter: dict[str, list[str]] = {}
    if event_type_filter:
        if not isinstance(event_type_filter, dict):
            raise ApplicationError("event_type_filter: must be an object.")
        for name in ("in_values", "not_in_values"):
            values = _strings(f"event_type_filter.{name}", event_type_filter.get(name))
            if values:
                type_filter[name] = values
    filters = []
    for index, raw in enumerate(property_filters or []):
        path = f"property_filters[{index}]"
        if (
            not isinstance(raw, dict)
            or not isinstance(raw.get("name"), str)
            or not raw["name"].strip()
        ):
            raise ApplicationError(f"{path}.name: is required.")
        clean: dict[str, Any] = {"name": raw["name"]}
        if raw.get("exists") is not None:
            if not isinstance(raw["exists"], bool):
                raise ApplicationError(f"{path}.exists: must be a boolean.")
            clean["exists"] = raw["exists"]
        for name in ("in_values", "not_in_values"):
            values = _strings(f"{path}.{name}", raw.get(name))
            if values:
                clean[name] = values
        filters.append(clean)
    if property_filters is not None and not isinstance(property_filters, list):
        raise ApplicationError("property_filters: must be a list.")
    keys: list[list[str]] = []
    for index, group in enumerate(group_keys or []):
        keys.append(_strings(f"group_keys[{index}]", group))
        if not keys[-1]:
            raise ApplicationError(f"group_keys[{index}]: must name at least one property.")
    return {
        "event_type_filter": type_filter, "property_filters": filters, "aggregation_type": aggregation_type,
        "aggregation_key": key, "group_keys": keys, "sql": "",
    }  # fmt: skip


def _sql_definition(sql: Any, **others: Any) -> dict[str, Any]:
    """A SQL metric: `sql` excludes every structured field (Metronome's rule)."""
    given = [name for name, value in others.items() if value not in (None, "", [], {})]
    if given:
        raise ApplicationError(
            f"sql: cannot be combined with {', '.join(given)}; a SQL metric is defined by its "
            "query alone."
        )
    from usage.sql import sql_validate  # the DB-aware half; this module stays ORM-free

    return {
        "event_type_filter": {}, "property_filters": [], "aggregation_type": "",
        "aggregation_key": "", "group_keys": [], "sql": sql_validate(sql),
    }  # fmt: skip


def property_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# A contract's usage filter as metric_usage takes it: (property, the values that count).
Only = tuple[str, Collection[str]]


def only_rows(rows: Iterable[tuple], only: Only | None) -> Iterable[tuple]:
    """The (id, timestamp, event_type, properties) rows whose `only` property, read as a group
    value (the same text as in groups and rollups), is one of the values."""
    if only is None:
        return rows
    key, values = only[0], set(only[1])
    return (row for row in rows if property_text(row[3].get(key)) in values)


def event_matches(definition: Any, event_type: str, properties: dict[str, Any]) -> bool:
    type_filter = definition.event_type_filter or {}
    if "in_values" in type_filter and event_type not in type_filter["in_values"]:
        return False
    if event_type in type_filter.get("not_in_values", []):
        return False
    for flt in definition.property_filters or []:
        present = properties.get(flt["name"]) is not None
        if flt.get("exists") is True and not present:
            return False
        if flt.get("exists") is False and present:
            return False
        value = property_text(properties.get(flt["name"]))
        if "in_values" in flt and value not in flt["in_values"]:
            return False
        if "not_in_values" in flt and value in flt["not_in_values"]:
            return False
    if (
        definition.aggregation_type in NEEDS_KEY
        and properties.get(definition.aggregation_key) is None
    ):
        return False  # Metronome: events without the aggregated property are not counted
    return True


def number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        return None
    # Beyond the database's quantities (10^16) a value is not a usable number.
    return result if result.is_finite() and abs(result) < MAX_NUMBER else None


@dataclass
class Accumulator:
    """Running aggregate of one group."""

    kind: str
    total: Decimal = Decimal(0)
    maximum: Decimal | None = None
    seen: set = field(default_factory=set)
    latest: tuple[datetime, int, Decimal] | None = None

    def add(self, value: Any, at: datetime, order: int) -> None:
        if self.kind == "COUNT":
            self.total += 1
        elif self.kind == "UNIQUE":
            self.seen.add(property_text(value))
        else:
            amount = number(value)
            if amount is None:
                return  # a non-numeric value of the aggregated property is ignored
            if self.kind == "SUM":
                self.total += amount
            elif self.kind == "MAX":
                self.maximum = amount if self.maximum is None else max(self.maximum, amount)
            elif self.latest is None or (at, order) > self.latest[:2]:
                self.latest = (at, order, amount)

    def result(self) -> Decimal:
        if self.kind == "UNIQUE":
            return Decimal(len(self.seen))
        if self.kind == "MAX":
            return self.maximum if self.maximum is not None else Decimal(0)
        if self.kind == "LATEST":
            return self.latest[2] if self.latest else Decimal(0)
        return self.total


def aggregate(
    definition: Any, rows: Iterable[tuple[int, datetime, str, dict[str, Any]]], group_by: list[str] | None,
    bucket: Any = None,
) -> dict[tuple, Decimal]:  # fmt: skip
    """Aggregate (id, timestamp, event_type, properties) rows into {group values (+ bucket): value}.
    `bucket(timestamp)` optionally prefixes each key with a time window."""
    groups: dict[tuple, Accumulator] = {}
    for order, at, event_type, properties in rows:
        if not event_matches(definition, event_type, properties):
            continue
        key = tuple(property_text(properties.get(k)) for k in group_by or [])
        if bucket is not None:
            key = (bucket(at), *key)
        acc = groups.get(key)
        if acc is None:
            acc = groups[key] = Accumulator(definition.aggregation_type)
        acc.add(properties.get(definition.aggregation_key), at, order)
    return {key: acc.result() for key, acc in groups.items()}
