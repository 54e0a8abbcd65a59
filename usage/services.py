"""Usage writes: event ingestion (validated whole, deduplicated, atomic) and billable metrics."""

import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg
from django.db import connection, transaction
from django.utils import timezone

from billing_console.api import ApplicationError
from billing_console.custom_fields import custom_fields_validate
from billing_console.wire import Reader
from usage import rollups
from usage.metrics import metric_validate
from usage.models import AggregationType, BillableMetric, EventKey, UsageEvent

MAX_EVENTS = 100
DEDUPE_WINDOW = timedelta(days=34)
MAX_FUTURE = timedelta(days=1)


@dataclass(frozen=True)
class IngestResult:
    accepted: int
    duplicates: int


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
            if not math.isfinite(value) or abs(value) >= MAX_PROPERTY_NUMBER:
                raise reader.fail(path, "is out of range (numbers must be below 10^30).")


def _read_event(index: int, raw: Any, now: datetime) -> dict[str, Any]:
    """The event as stored. The common case (flat properties, every field well-formed) is
    checked inline, at a fraction of the cost of the field-by-field reading below; anything
    else takes that reading, which accepts the same events and names what is wrong."""
    if type(raw) is dict:
        transaction_id, customer_id = raw.get("transaction_id"), raw.get("customer_id")
        event_type, stamp = raw.get("event_type"), raw.get("timestamp")
        properties = raw.get("properties")
        if properties is None:
            properties = {}
        if (
            type(transaction_id) is str and 0 < len(transaction_id) <= 128
            and type(customer_id) is str and 0 < len(customer_id) <= 255
            and type(event_type) is str and 0 < len(event_type) <= 255
            and not (transaction_id.isspace() or customer_id.isspace() or event_type.isspace())
            and type(stamp) is str and type(properties) is dict and _flat_properties_ok(properties)
        ):  # fmt: skip
            try:
                timestamp = datetime.fromisoformat(stamp)  # what parse_datetime tries first
            except ValueError:
                timestamp = None
            if (
                timestamp is not None and timestamp.tzinfo is not None
                and now - DEDUPE_WINDOW <= timestamp <= now + MAX_FUTURE
            ):  # fmt: skip
                return {
                    "transaction_id": transaction_id, "customer_id": customer_id,
                    "event_type": event_type, "timestamp": timestamp, "properties": properties,
                }  # fmt: skip
    return _read_event_field_by_field(index, raw, now)


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


def _read_event_field_by_field(index: int, raw: Any, now: datetime) -> dict[str, Any]:
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


def _claim_keys(transaction_ids: list[str], now: datetime) -> set[str]:
    """Insert the dedupe keys; the ones this call inserted are returned (others were seen)."""
    table = EventKey._meta.db_table
    placeholders = ", ".join(["(%s, %s)"] * len(transaction_ids))
    params: list[Any] = []
    for transaction_id in transaction_ids:
        params += [transaction_id, now]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (transaction_id, received_at) VALUES {placeholders} "
            "ON CONFLICT (transaction_id) DO NOTHING RETURNING transaction_id",
            params,
        )
        return {row[0] for row in cursor.fetchall()}


def usage_ingest(*, events: Any, now: datetime | None = None) -> IngestResult:
    """Store 1-100 events. Any invalid event rejects the whole request before anything is
    written; an already-seen transaction id (in this batch or the last 34 days) is acknowledged
    and ignored."""
    now = now or timezone.now()
    if not isinstance(events, list):
        raise ApplicationError("usage: must be a list of events.")
    if not 1 <= len(events) <= MAX_EVENTS:
        raise ApplicationError(
            f"usage: send between 1 and {MAX_EVENTS} events per request (got {len(events)})."
        )
    parsed = [_read_event(i, raw, now) for i, raw in enumerate(events)]
    unique: dict[str, dict[str, Any]] = {}
    for event in parsed:
        unique.setdefault(event["transaction_id"], event)
    if connection.vendor == "postgresql":  # one statement: atomic without a transaction block
        accepted = _store_postgresql(list(unique.values()), now)
    else:
        with transaction.atomic():
            accepted = _store_portable(list(unique.values()), now)
    _announce({e["customer_id"] for e in parsed})
    return IngestResult(accepted=accepted, duplicates=len(parsed) - accepted)


class _Announcement:
    """The customers named by the ingests of one transaction, announced once when it commits
    (events_ingested): a caller that ingests many batches in one transaction (an import, the
    demo) triggers one evaluation, not one per batch."""

    def __init__(self) -> None:
        self.customer_refs: set[str] = set()
        self.sent = False

    def __call__(self) -> None:
        from usage.signals import events_ingested

        self.sent = True
        events_ingested.send(sender=UsageEvent, customer_ids=self.customer_refs)


def _announce(customer_refs: set[str]) -> None:
    pending = getattr(connection, "_usage_pending_announcement", None)
    if pending is not None and not pending.sent and connection.in_atomic_block:
        if any(func is pending for _sids, func, *_ in connection.run_on_commit):
            pending.customer_refs |= customer_refs
            return
    announcement = _Announcement()
    announcement.customer_refs = set(customer_refs)
    connection._usage_pending_announcement = announcement
    transaction.on_commit(announcement)  # outside a transaction this runs at once


def _store_portable(events: list[dict[str, Any]], now: datetime) -> int:
    """Claim the keys, store the events whose key was new, queue them for rollup."""
    claimed = _claim_keys([e["transaction_id"] for e in events], now)
    stored = UsageEvent.objects.bulk_create(
        [UsageEvent(received_at=now, **e) for e in events if e["transaction_id"] in claimed]
    )
    rollups.pending_record([event.pk for event in stored])
    return len(stored)


# One round trip with one parameter for the whole batch: keys claimed, events stored and queued
# for rollup in a single statement (the same effect as _store_portable, several times faster).
# A single statement is atomic by itself, so outside a transaction it runs in autocommit: no
# BEGIN and COMMIT round trips on the hot path; inside one it is part of the caller's.
_INGEST_SQL = """
WITH input AS (
    SELECT * FROM jsonb_to_recordset(%(events)s::jsonb) AS x(
        transaction_id text, customer_id text, event_type text, "timestamp" timestamptz, properties jsonb)
), keys AS (
    INSERT INTO usage_eventkey (transaction_id, received_at)
    SELECT transaction_id, %(now)s FROM input
    ON CONFLICT (transaction_id) DO NOTHING
    RETURNING transaction_id
), stored AS (
    INSERT INTO usage_usageevent (transaction_id, customer_id, event_type, "timestamp", properties, received_at)
    SELECT i.transaction_id, i.customer_id, i.event_type, i."timestamp", i.properties, %(now)s
    FROM input i JOIN keys k USING (transaction_id)
    RETURNING id
)
INSERT INTO usage_pendingrollup (event_ids, created_at)
SELECT jsonb_agg(id), %(now)s FROM stored HAVING count(*) > 0
RETURNING jsonb_array_length(event_ids)
"""


def _store_postgresql(events: list[dict[str, Any]], now: datetime) -> int:
    payload = json.dumps(
        [{**e, "timestamp": e["timestamp"].isoformat()} for e in events], separators=(",", ":")
    )
    if "\\u0000" in payload:  # jsonb cannot hold NUL characters
        index = next(i for i, e in enumerate(events) if "\\u0000" in json.dumps(e["properties"]))
        raise ApplicationError(
            f"usage[{index}].properties: must not contain NUL (\\u0000) characters."
        )
    connection.ensure_connection()
    # Django's cursors bind parameters client-side, so PostgreSQL would parse and plan this
    # statement again on every request; a prepared statement with server-side binding skips
    # both (about a fifth of the database's work per batch). Errors still reach Django as its
    # own (a broken connection is then discarded at the end of the request).
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(_INGEST_SQL, {"events": payload, "now": now}, prepare=True)
        row = cursor.fetchone()
    return row[0] if row else 0


def event_keys_prune(*, now: datetime | None = None) -> int:
    """Forget dedupe keys older than the window (run daily by the schedule)."""
    cutoff = (now or timezone.now()) - DEDUPE_WINDOW - timedelta(days=1)
    deleted, _ = EventKey.objects.filter(received_at__lt=cutoff).delete()
    return deleted


# -- billable metrics -------------------------------------------------------------------------


@transaction.atomic
def billable_metric_create(
    *,
    name: str,
    event_type_filter: dict[str, Any] | None = None,
    property_filters: list[dict[str, Any]] | None = None,
    aggregation_type: str | None = None,
    aggregation_key: str | None = None,
    group_keys: list[list[str]] | None = None,
    sql: str | None = None,
    custom_fields: dict[str, str] | None = None,
) -> BillableMetric:
    name = (name or "").strip()
    if not name:
        raise ApplicationError("name: a billable metric needs a name.")
    cleaned = metric_validate(
        event_type_filter=event_type_filter, property_filters=property_filters, aggregation_type=aggregation_type,
        aggregation_key=aggregation_key, group_keys=group_keys, sql=sql,
    )  # fmt: skip
    custom_fields = custom_fields or {}
    custom_fields_validate(entity="billable_metric", values=custom_fields)
    metric = BillableMetric.objects.create(name=name[:200], custom_fields=custom_fields, **cleaned)
    if rollups.rollable(metric):
        from usage.tasks import metric_backfill

        transaction.on_commit(lambda: metric_backfill.delay(metric.pk))
    return metric


@transaction.atomic
def billable_metric_archive(*, metric: BillableMetric) -> BillableMetric:
    from pricing.models import ProductVersion

    in_use = ProductVersion.objects.filter(
        billable_metric=metric, product__archived_at__isnull=True
    ).first()
    if in_use is not None:
        raise ApplicationError(
            f"id: the billable metric is used by product '{in_use.name}'; archive the product first."
        )
    if metric.archived_at is None:
        metric.archived_at = timezone.now()
        metric.save(update_fields=["archived_at", "updated_at"])
    return metric


@transaction.atomic
def billable_metric_set_name(*, metric: BillableMetric, name: str) -> BillableMetric:
    name = (name or "").strip()
    if not name:
        raise ApplicationError("name: a billable metric needs a name.")
    metric.name = name[:200]
    metric.save(update_fields=["name", "updated_at"])
    return metric


__all__ = ["AggregationType", "IngestResult", "billable_metric_create", "usage_ingest"]
