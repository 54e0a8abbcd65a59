"""Reading rollups consistently with the pending batches the rollup job has not yet added.

A reader of rollups also needs the events the rollups lack: those of the PendingRollup batches.
The rollup job deletes a batch in the transaction that adds its events to the rollups, so a
batch that disappears while the rollup rows are read may or may not be in them. consistent_read
notes which batches exist (their ids only), reads the rows, then reads the event ids of every
batch still pending: when all the batches noted first are still there, none was consumed during
the read and the rows plus those events count every event exactly once. Batches ingested
meanwhile are still pending, so their events are read raw, never from the rows.

On PostgreSQL outside a transaction, the rows and the pending batches are read in one
REPEATABLE READ transaction instead: one snapshot, in which the job's commit (rows added and
batches deleted together) is either wholly visible or not at all, so no read is ever repeated
(with the job running every 2 s, repeats were frequent under ingest).
"""

from collections.abc import Callable
from typing import TypeVar

from django.db import connection, transaction

from usage.models import PendingRollup

T = TypeVar("T")
TRIES = 5  # consistent reads attempted before the caller answers from raw events instead


def consistent_read(read: Callable[[], T]) -> tuple[T, set[int]] | None:
    """(what `read` returned, the pending event ids it lacks), or None after TRIES reads that
    each saw the rollup job consume a batch."""
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            result = read()
            return result, _pending_events()[1]
    for _attempt in range(TRIES):
        before = set(PendingRollup.objects.values_list("id", flat=True))
        result = read()
        seen, pending = _pending_events()
        if before <= seen:  # the job consumed nothing the read relied on
            return result, pending
    return None


def _pending_events() -> tuple[set[int], set[int]]:
    """(the pending batches' ids, their event ids)."""
    seen: set[int] = set()
    pending: set[int] = set()
    batches = PendingRollup.objects.values_list("id", "event_ids")
    for batch_id, event_ids in batches.iterator(chunk_size=2000):
        seen.add(batch_id)
        pending.update(event_ids)
    return seen, pending
