"""Reading one ingested event: the checks every event passes before anything is stored, and
the event as stored, or an error naming the event index and field. The common case takes an
inline check; anything else the field-by-field reading, which accepts it or says what is wrong."""

import math
import re
from datetime import datetime, timedelta
from typing import Any

import msgspec

from billing_console.wire import Reader, text_problem

# Backdating limit, and how long ingest remembers a transaction id (usage.ingest)
DEDUPE_WINDOW = timedelta(days=34)
MAX_FUTURE = timedelta(days=1)

MAX_PROPERTIES = 256
MAX_PROPERTY_KEY = 256
MAX_PROPERTY_TEXT = 8192
# Property numbers beyond this are refused (nanosecond timestamps, ~1e18, are fine); metrics
# aggregate values below 10^16 only, the range of the database's quantities.
MAX_PROPERTY_NUMBER = 10**30


def _check_properties(reader: Reader, properties: dict[str, Any]) -> None:
    """Bounded properties: a metric reads them, a rollup sums them (its numbers must fit
    the database's), and every event is stored for 34 days at least."""
    if len(properties) > MAX_PROPERTIES:
        raise reader.fail("properties", f"may have at most {MAX_PROPERTIES} keys.")
    stack: list[tuple[str, Any]] = [("properties", properties)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                if len(key) > MAX_PROPERTY_KEY:
                    raise reader.fail(path, f"keys must be at most {MAX_PROPERTY_KEY} characters.")
                stack.append((f"{path}.{key}", item))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", item) for i, item in enumerate(value))
        elif isinstance(value, str) and len(value) > MAX_PROPERTY_TEXT:
            raise reader.fail(path, f"must be at most {MAX_PROPERTY_TEXT} characters.")
        elif isinstance(value, int | float) and not isinstance(value, bool):
            # isfinite() of a 401-digit int would raise OverflowError (it converts to float)
            infinite = isinstance(value, float) and not math.isfinite(value)
            if infinite or abs(value) >= MAX_PROPERTY_NUMBER:
                raise reader.fail(path, "is out of range (numbers must be below 10^30).")


# RFC 3339 as SDKs send it, on which Python and PostgreSQL read the same instant (fractions to
# the microsecond). Other forms datetime.fromisoformat accepts ("20261120T110000Z", week
# dates, nanoseconds) take the field-by-field reading, which normalises them.
_RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|[+-]\d\d:\d\d)")


def _read_event(index: int, raw: Any, now: datetime) -> dict[str, Any]:
    """The event as stored, or an error naming the event index and field."""
    return read_event_inline(raw, now) or read_event_field_by_field(index, raw, now)


class CommonEvent(msgspec.Struct, forbid_unknown_fields=True):
    """An event as the ingest front decodes it (usage/ingest_front.py): the five fields, typed,
    and nothing else. Decoding into it checks the JSON and the field types in C; the checks of
    read_event_inline still apply, and usage_ingest raises NotCommonForm for an event that
    fails them (the front then reads the body as the view does: its depth limit, its error
    messages)."""

    transaction_id: str
    customer_id: str
    event_type: str
    timestamp: str
    properties: dict[str, Any] | None = None


def read_event_inline(raw: Any, now: datetime) -> dict[str, Any] | None:
    """The common case (flat properties, every field well-formed, an RFC 3339 timestamp),
    checked at a fraction of the cost of the field-by-field reading; None for anything else,
    which that reading then accepts or names what is wrong with."""
    if type(raw) is CommonEvent:
        return _inline_event(
            raw.transaction_id, raw.customer_id, raw.event_type, raw.timestamp, raw.properties, now
        )
    if type(raw) is dict:
        return _inline_event(
            raw.get("transaction_id"), raw.get("customer_id"), raw.get("event_type"),
            raw.get("timestamp"), raw.get("properties"), now,
        )  # fmt: skip
    return None


def _inline_event(
    transaction_id: Any,
    customer_id: Any,
    event_type: Any,
    stamp: Any,
    properties: Any,
    now: datetime,
) -> dict[str, Any] | None:
    if properties is None:
        properties = {}
    if (
        type(transaction_id) is str and 0 < len(transaction_id) <= 128
        and type(customer_id) is str and 0 < len(customer_id) <= 255
        and type(event_type) is str and 0 < len(event_type) <= 255
        and not (transaction_id.isspace() or customer_id.isspace() or event_type.isspace())
        and not (text_problem(transaction_id) or text_problem(customer_id)
                 or text_problem(event_type))  # NUL, a lone surrogate: the reading names it
        and type(stamp) is str and _RFC3339.fullmatch(stamp)
        and type(properties) is dict and _flat_properties_ok(properties)
    ):  # fmt: skip
        try:
            timestamp = datetime.fromisoformat(stamp)
        except ValueError:  # 2026-02-30, an offset of +25:00
            return None
        if now - DEDUPE_WINDOW <= timestamp <= now + MAX_FUTURE:
            return {
                "transaction_id": transaction_id, "customer_id": customer_id,
                "event_type": event_type, "timestamp": timestamp, "properties": properties,
            }  # fmt: skip
    return None


def _flat_properties_ok(properties: dict[str, Any]) -> bool:
    """Whether properties hold only bounded scalars (nested values take the full check)."""
    if len(properties) > MAX_PROPERTIES:
        return False
    for key, value in properties.items():
        kind = type(value)
        if len(key) > MAX_PROPERTY_KEY:
            return False
        if kind is str:
            if len(value) > MAX_PROPERTY_TEXT:
                return False
        elif kind is int or kind is float:
            if not -MAX_PROPERTY_NUMBER < value < MAX_PROPERTY_NUMBER:  # NaN fails too
                return False
        elif not (kind is bool or value is None):
            return False
    return True


def read_event_field_by_field(index: int, raw: Any, now: datetime) -> dict[str, Any]:
    reader = Reader(raw, f"usage[{index}]")
    timestamp = reader.datetime("timestamp", required=True)
    if timestamp < now - DEDUPE_WINDOW:
        raise reader.fail(
            "timestamp", "is more than 34 days in the past; backdating is limited to 34 days."
        )
    if timestamp > now + MAX_FUTURE:
        raise reader.fail("timestamp", "is more than 1 day in the future.")
    properties = reader.raw("properties", {})
    if not isinstance(properties, dict):
        raise reader.fail("properties", "must be an object.")
    _check_properties(reader, properties)
    return {
        "transaction_id": reader.str("transaction_id", required=True, max_length=128),
        "customer_id": reader.str("customer_id", required=True, max_length=255),
        "event_type": reader.str("event_type", required=True, max_length=255),
        "timestamp": timestamp,
        "properties": properties,
    }
