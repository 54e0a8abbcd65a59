"""A Bloom filter of the frozen dedupe keys (usage.key_generations): which keys of a batch may
have been seen in an earlier generation, so the ingest statement looks only those up in the
frozen keys' indexes and every other key costs no read of them.

A key is the first 16 bytes of a SHA-256 (usage.event_keys), so its two halves serve as the two
hashes of double hashing: bit i of a key is (h1 + i * h2) mod m, for i < HASHES. With
BITS_PER_KEY 16 and HASHES 11 about 1 key in 2,000 not seen is flagged (the statement then
reads it up, and finds nothing). A key added is always flagged: there are no false negatives,
which is what makes it safe to skip the lookup of a key not flagged.

The filter of a database is built in the background after each rotation (filter_build) and
kept in EventKeyFilter; each process reads it again when it was rebuilt, checking at most every
RECHECK_SECONDS (current_filter). A process with an older filter is still right: the statement
looks every key up in the generations its filter does not cover.

numpy is imported when a filter is built or tested, not with the module: a process that never
holds a filter (SQLite, a database with no generation yet) does not load it."""

import hashlib
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy

BITS_PER_KEY = 16
HASHES = 11
RECHECK_SECONDS = 60.0


@dataclass(frozen=True)
class KeyFilter:
    covered: int  # the newest generation whose every key was added
    bits: bytes

    def maybe_seen(self, keys: list[bytes]) -> list[bool]:
        """For each 16-byte key: whether it may be in the filter (False: certainly not)."""
        if not keys:
            return []
        import numpy as np

        table = np.frombuffer(self.bits, dtype=np.uint8)
        positions = _positions(b"".join(keys), len(self.bits) * 8)
        hit = (table[positions >> np.uint64(3)] >> (positions & np.uint64(7)).astype(np.uint8)) & 1
        return hit.all(axis=1).tolist()


def _positions(joined: bytes, m: int) -> "numpy.ndarray":
    """The HASHES bit positions of each key of `joined` (16 bytes each), as rows."""
    import numpy as np

    halves = np.frombuffer(joined, dtype="<u8").reshape(-1, 2)
    h1, h2 = halves[:, :1], halves[:, 1:] | np.uint64(1)
    with np.errstate(over="ignore"):  # uint64 arithmetic wraps, the same when built and read
        return (h1 + np.arange(HASHES, dtype=np.uint64) * h2) % np.uint64(m)


def bits_for(key_chunks: Iterable[bytes], count: int) -> bytes:
    """The filter bits of `count` keys given as chunks of concatenated 16-byte keys."""
    import numpy as np

    m = max(64, (count * BITS_PER_KEY + 63) // 64 * 64)
    table = np.zeros(m // 8, dtype=np.uint8)
    for chunk in key_chunks:
        if chunk:
            positions = _positions(chunk, m).ravel()
            shifts = (positions & np.uint64(7)).astype(np.uint8)
            np.bitwise_or.at(table, positions >> np.uint64(3), np.left_shift(np.uint8(1), shifts))
    return table.tobytes()


def digests(transaction_ids: Iterable[str]) -> list[bytes]:
    """The 16-byte keys of transaction ids (usage.event_keys.key_of, as bytes)."""
    return [hashlib.sha256(t.encode()).digest()[:16] for t in transaction_ids]


class _Cache:
    """This process's copy of the stored filter, rechecked at most every RECHECK_SECONDS."""

    def __init__(self) -> None:
        self.filter: KeyFilter | None = None
        self.version: tuple | None = None  # (covered, built_at) of the filter held
        self.checked = -RECHECK_SECONDS

    def get(self) -> KeyFilter | None:
        now = time.monotonic()
        if now - self.checked < RECHECK_SECONDS:
            return self.filter
        from usage.models import EventKeyFilter

        self.checked = now
        stored = EventKeyFilter.objects.filter(pk=1).values_list("covered", "built_at").first()
        if stored is None:
            self.filter, self.version = None, None
        elif stored != self.version:  # a rebuild, or a database restored under this process
            row = EventKeyFilter.objects.filter(pk=1).values_list("covered", "built_at", "bits")
            row = row.first()
            self.filter = None if row is None else KeyFilter(row[0], bytes(row[2]))
            self.version = None if row is None else row[:2]
        return self.filter

    def forget(self) -> None:
        self.filter, self.version, self.checked = None, None, -RECHECK_SECONDS


_cache = _Cache()
current_filter = _cache.get
forget_filter = _cache.forget  # tests, and a process that just built the filter
