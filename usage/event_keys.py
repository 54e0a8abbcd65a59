"""Dedupe keys: the first 16 bytes of the SHA-256 of a transaction id, as a UUID.

A key is a fixed 16 bytes whatever the id's length, so the unique index every ingested event
inserts into stays about half the size of one over the ids' text, and more of it stays in the
database's memory as it grows (bench/scale.py). Each key names the event stored with it: the
event search and the invoice preview find events received in the dedupe window through the keys,
and the events table needs no index on transaction ids of its own.

PostgreSQL computes the same key in the ingest statement (KEY_SQL); both spellings are checked
against each other by the tests."""

import hashlib
import uuid
from collections.abc import Iterable
from datetime import datetime

# The key of the SQL text expression `{}`, on PostgreSQL.
KEY_SQL = "encode(substr(sha256(convert_to({}, 'UTF8')), 1, 16), 'hex')::uuid"


def key_of(transaction_id: str) -> uuid.UUID:
    return uuid.UUID(bytes=hashlib.sha256(transaction_id.encode()).digest()[:16])


def kept_keys(keys: list[uuid.UUID], since: datetime | None = None) -> dict[uuid.UUID, int]:
    """The event named by each of `keys` still kept, today's or frozen in a generation
    (usage.key_generations), optionally only those received since `since`."""
    from usage.models import EventKey, FrozenEventKey

    found: dict[uuid.UUID, int] = {}
    for model in (FrozenEventKey, EventKey):
        rows = model.objects.filter(key__in=keys)
        if since is not None:
            rows = rows.filter(received_at__gte=since)
        found.update(rows.values_list("key", "event_id"))
    return found


def event_ids_of(transaction_ids: Iterable[str]) -> dict[str, int]:
    """The stored event of each transaction id whose key is still kept (received in the dedupe
    window: usage.ingest.event_keys_prune forgets older ones)."""
    ids_by_key = {key_of(t): t for t in transaction_ids}
    if not ids_by_key:
        return {}
    return {ids_by_key[key]: event_id for key, event_id in kept_keys(list(ids_by_key)).items()}
