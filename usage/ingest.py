"""Event ingestion: a batch validated whole (usage.event_reading), deduplicated by transaction
id, stored atomically and queued for rollup; the customers it names announced once the
transaction commits."""

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import DataError, connection, transaction
from django.utils import timezone

from billing_console.api import ApplicationError
from billing_console.lib.pg import server_bound_cursor
from billing_console.models import ApiToken
from usage import key_generations
from usage.event_keys import KEY_SQL, key_of
from usage.event_reading import (
    DEDUPE_WINDOW,
    CommonEvent,
    read_event_field_by_field,
    read_event_inline,
)
from usage.key_filter import KeyFilter, current_filter, digests, forget_filter
from usage.models import EventKey, UsageEvent
from usage.rollup_writes import pending_record

MAX_EVENTS = 100


@dataclass(frozen=True)
class IngestResult:
    accepted: int
    duplicates: int
    # With api_token_hash: the token's id and last use as read by the ingest statement.
    api_token: tuple[int, datetime | None] | None = None


class NotCommonForm(Exception):
    """A CommonEvent failed the inline check: nothing was stored."""


class TokenNotLive(Exception):
    """usage_ingest(api_token_hash=...) named no live full-access token (none, revoked, or
    read-only): nothing was stored."""


def _claim_keys(transaction_ids: list[str], now: datetime) -> set[str]:
    """Insert the dedupe keys (naming no event yet); the ids whose key this call inserted are
    returned (the others were seen)."""
    table = EventKey._meta.db_table
    by_key = {key_of(t).hex: t for t in transaction_ids}
    placeholders = ", ".join(["(%s, 0, %s)"] * len(by_key))
    params: list[Any] = []
    for key in sorted(by_key):
        params += [key, now]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, event_id, received_at) VALUES {placeholders} "
            "ON CONFLICT (key) DO NOTHING RETURNING key",
            params,
        )
        return {by_key[uuid.UUID(str(row[0])).hex] for row in cursor.fetchall()}


def usage_ingest(
    *, events: Any, now: datetime | None = None, body: str | None = None,
    api_token_hash: str | None = None,
) -> IngestResult:  # fmt: skip
    """Store 1-100 events. Any invalid event rejects the whole request before anything is
    written; an already-seen transaction id (in this batch or the last 34 days) is acknowledged
    and ignored.

    `body`: the JSON text `events` was parsed from, if its numbers read back as written (see
    usage/ingest_front.py). When every event is in the common form it goes to the database as
    sent, which saves encoding it again; otherwise the events are encoded as read.

    `api_token_hash` (PostgreSQL; the ingest front): store only if the API token with this hash
    is live and not read-only, checked in the statement that stores, which saves the front a
    round trip; raises TokenNotLive, with nothing stored, if it is not."""
    if api_token_hash is not None and connection.vendor != "postgresql":
        raise NotImplementedError("api_token_hash: PostgreSQL only")
    now = now or timezone.now()
    if not isinstance(events, list):
        raise ApplicationError("usage: must be a list of events.")
    if not 1 <= len(events) <= MAX_EVENTS:
        raise ApplicationError(
            f"usage: send between 1 and {MAX_EVENTS} events per request (got {len(events)})."
        )
    parsed = []
    for index, raw in enumerate(events):
        event = read_event_inline(raw, now)
        if event is None:
            if type(raw) is CommonEvent:
                raise NotCommonForm
            body = None
            event = read_event_field_by_field(index, raw, now)
        parsed.append(event)
    api_token = None
    if connection.vendor == "postgresql":  # one statement: atomic without a transaction block
        accepted, api_token = _store_postgresql(parsed, now, body, api_token_hash)
    else:
        _check_storable(parsed)  # what PostgreSQL's jsonb refuses, refused alike
        unique: dict[str, dict[str, Any]] = {}
        for event in parsed:
            unique.setdefault(event["transaction_id"], event)
        with transaction.atomic():
            accepted = _store_portable(list(unique.values()), now)
    _announce({e["customer_id"] for e in parsed})
    return IngestResult(accepted=accepted, duplicates=len(parsed) - accepted, api_token=api_token)


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
    """Claim the keys, store the events whose key was new, name each event in its key, queue
    the events for rollup."""
    claimed = _claim_keys([e["transaction_id"] for e in events], now)
    stored = UsageEvent.objects.bulk_create(
        [UsageEvent(received_at=now, **e) for e in events if e["transaction_id"] in claimed]
    )
    keys = [EventKey(key=key_of(e.transaction_id), event_id=e.pk, received_at=now) for e in stored]
    EventKey.objects.bulk_update(keys, ["event_id"])
    pending_record([event.pk for event in stored])
    return len(stored)


# One round trip with one parameter for the whole batch: keys claimed, events stored and queued
# for rollup in a single statement (the same effect as _store_portable, several times faster).
# A single statement is atomic by itself, so outside a transaction it runs in autocommit: no
# BEGIN and COMMIT round trips on the hot path; inside one it is part of the caller's.
# The first of a batch's events with one transaction id counts. Each gets its event id first,
# in the batch's order, so its key can name it; keys are claimed in key order, so concurrent
# batches sharing ids wait on each other in one order.
# Keys of earlier days are frozen in generations (usage.key_generations): a key is looked up in
# those the process's key filter does not cover (generation > covered), and in the others only
# if the filter flags it (maybe).
# The guarded form is the ingest front's, which authenticates in the same statement (usage_ingest):
# a revoked or read-only token stores nothing, and the front hands the request to the view.
_INGEST_SQL = """
WITH {token}input AS (
    SELECT f.*, nextval('usage_usageevent_id_seq'::regclass) AS event_id,
           {key} AS key
    FROM (
        SELECT * FROM (
            SELECT DISTINCT ON (transaction_id) *
            FROM ROWS FROM (jsonb_to_recordset(%(events)s::jsonb) AS (
                transaction_id text, customer_id text, event_type text, "timestamp" timestamptz, properties jsonb
            )) WITH ORDINALITY AS x(transaction_id, customer_id, event_type, "timestamp", properties, position)
            {guard}ORDER BY transaction_id, position
        ) d ORDER BY position
    ) f
), fresh AS (
    SELECT * FROM input i
    WHERE NOT EXISTS (
        SELECT FROM usage_frozeneventkey z WHERE z.key = i.key AND z.generation >= %(covered)s + 1
    ) AND NOT (
        i.key = ANY(%(maybe)s::uuid[])
        AND EXISTS (SELECT FROM usage_frozeneventkey z WHERE z.key = i.key)
    )
), keys AS (
    INSERT INTO usage_eventkey (key, event_id, received_at)
    SELECT key, event_id, %(now)s FROM fresh ORDER BY key
    ON CONFLICT (key) DO NOTHING
    RETURNING event_id
), stored AS (
    INSERT INTO usage_usageevent (id, transaction_id, customer_id, event_type, "timestamp", properties, received_at)
    SELECT i.event_id, i.transaction_id, i.customer_id, i.event_type, i."timestamp",
           coalesce(nullif(i.properties, 'null'::jsonb), '{{}}'::jsonb), %(now)s
    FROM input i JOIN keys k USING (event_id)
    RETURNING id
), pending AS (
    INSERT INTO usage_pendingrollup (event_ids, created_at)
    SELECT jsonb_agg(id), %(now)s FROM stored HAVING count(*) > 0
    RETURNING jsonb_array_length(event_ids) AS accepted
)
SELECT coalesce((SELECT accepted FROM pending), 0){result}
"""
_KEY = KEY_SQL.format("f.transaction_id")
INGEST_OPEN_SQL = _INGEST_SQL.format(token="", guard="", result="", key=_KEY)
_INGEST_GUARDED_SQL = _INGEST_SQL.format(
    key=_KEY,
    token=f"""token AS (
    SELECT id, last_used_at FROM {ApiToken._meta.db_table}
    WHERE token_hash = %(token_hash)s AND revoked_at IS NULL AND NOT read_only
), """,
    guard="WHERE EXISTS (SELECT FROM token)\n    ",
    result=", t.id, t.last_used_at FROM token t",
)


def _store_postgresql(
    parsed: list[dict[str, Any]], now: datetime, body: str | None, token_hash: str | None
) -> tuple[int, tuple[int, datetime | None] | None]:
    """Accepted events, and the token (id, last use) when `token_hash` names a live one."""
    if body is None:
        body = json.dumps(
            [{**e, "timestamp": e["timestamp"].isoformat()} for e in parsed], separators=(",", ":")
        )
    if "\\u" in body and ("\\u0000" in body or "\\ud" in body.lower()):  # NUL, surrogates
        _check_storable(parsed)
    covered, maybe = _frozen_lookups(parsed)
    params: dict[str, Any] = {"events": body, "now": now, "covered": covered, "maybe": maybe}
    if token_hash is not None:
        params["token_hash"] = token_hash
    try:
        with server_bound_cursor() as cursor:  # prepared once per connection
            sql = INGEST_OPEN_SQL if token_hash is None else _INGEST_GUARDED_SQL
            cursor.execute(sql, params, prepare=True)
            row = cursor.fetchone()
    except DataError as error:  # anything else jsonb or timestamptz would refuse
        raise ApplicationError(f"usage: cannot be stored ({str(error).splitlines()[0]}).") from None
    if token_hash is None:
        return row[0], None
    if row is None:
        raise TokenNotLive
    return row[0], (row[1], row[2])


def _frozen_lookups(parsed: list[dict[str, Any]]) -> tuple[int, list[str]]:
    """The newest generation this process's key filter covers (0: none), and the keys of the
    batch it flags as maybe frozen."""
    key_filter = current_filter()
    if key_filter is None:
        return 0, []
    keys = digests(e["transaction_id"] for e in parsed)
    flags = key_filter.maybe_seen(keys)
    return key_filter.covered, [key.hex() for key, flag in zip(keys, flags, strict=True) if flag]


def _unstorable_text(value: Any) -> str | None:
    """What in `value`'s strings (keys included) a database cannot store as text, if any."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return "NUL (\\u0000) characters"
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    return "unpaired surrogates (such as \\ud800)"
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def _check_storable(parsed: list[dict[str, Any]]) -> None:
    """What a request's events would store (unknown fields are not stored, so not checked)."""
    for index, event in enumerate(parsed):
        problem = _unstorable_text(event)
        if problem:
            raise ApplicationError(f"usage[{index}]: must not contain {problem}.")


def event_keys_prune(*, now: datetime | None = None) -> int:
    """Forget dedupe keys older than the window: today's one by one, frozen generations whole
    once their newest key is past it (run daily by the schedule). How many were forgotten."""
    cutoff = (now or timezone.now()) - DEDUPE_WINDOW - timedelta(days=1)
    deleted, _ = EventKey.objects.filter(received_at__lt=cutoff).delete()
    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            deleted += key_generations.drop_expired(cursor, cutoff)
    return deleted


def event_keys_rotate(*, now: datetime | None = None) -> int | None:
    """PostgreSQL: freeze the keys received since the last rotation into a new generation
    (usage.key_generations; ingest waits for it); its number, or None (no keys, or a database
    without generations, where the keys stay in EventKey until the prune)."""
    if connection.vendor != "postgresql":
        return None
    with transaction.atomic(), connection.cursor() as cursor:
        return key_generations.rotate(cursor, now or timezone.now())


def event_keys_filter_build(*, now: datetime | None = None) -> KeyFilter | None:
    """PostgreSQL: rebuild the key filter of the frozen generations; processes read it within
    a minute (usage.key_filter)."""
    if connection.vendor != "postgresql":
        return None
    with transaction.atomic(), connection.cursor() as cursor:
        built = key_generations.filter_build(cursor, now or timezone.now())
    forget_filter()
    return built
