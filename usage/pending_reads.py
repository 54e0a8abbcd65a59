"""Reading rollups consistently with the pending batches the rollup job has not yet added.

A reader of rollups also needs the events the rollups lack: those of the PendingRollup batches.
The rollup job deletes a batch in the transaction that adds its events to the rollups, so a
batch that disappears while the rollup rows are read may or may not be in them. consistent_read
notes which batches exist (their ids only), reads the rows, then reads the event ids of every
batch still pending: when all the batches noted first are still there, none was consumed during
the read and the rows plus those events count every event exactly once. Batches ingested
meanwhile are still pending, so their events are read raw, never from the rows.
"""

from collections.abc import Callable
from typing import TypeVar

from usage.models import PendingRollup

T = TypeVar("T")
TRIES = 5  # consistent reads attempted before the caller answers from raw events instead


def consistent_read(read: Callable[[], T]) -> tuple[T, set[int]] | None:
    """(what `read` returned, the pending event ids it lacks), or None after TRIES reads that
    each saw the rollup job consume a batch."""
    for _attempt in range(TRIES):
        before = set(PendingRollup.objects.values_list("id", flat=True))
        result = read()
        pending: set[int] = set()
        seen: set[int] = set()
        batches = PendingRollup.objects.values_list("id", "event_ids")
        for batch_id, event_ids in batches.iterator(chunk_size=2000):
            seen.add(batch_id)
            pending.update(event_ids)
        if before <= seen:  # the job consumed nothing the read relied on
            return result, pending
    return None
