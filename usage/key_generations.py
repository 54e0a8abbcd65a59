"""Dedupe keys in generations (PostgreSQL): the keys received since the last rotation stay in
EventKey, whose unique index every ingested event inserts into; once a day the rotation moves
them whole into a new partition of FrozenEventKey, never written again, and the prune drops a
generation once its newest key is past the window.

Why: clients' transaction ids are random, so with one index over the window's keys each new key
lands on a random page of it, and once the window holds more keys than PostgreSQL's buffers
(10 M keys are about 400 MB) nearly every ingested event reads a page from outside them and
dirties it, evicting the pages ingest needs next (bench/scale_history.py). With generations the
index written stays one day's size, and the frozen ones are read only for the keys the key
filter (usage.key_filter) flags, about 1 in 2,000 new keys, plus every key of a generation the
process's filter does not cover yet.

Why it is exact: the rotation holds an ACCESS EXCLUSIVE lock on EventKey from before it reads
it until it commits. An ingest statement in flight holds a lock on EventKey until it commits,
so the rotation waits for it; a statement that starts meanwhile waits for the rotation and
takes its snapshot after it, so it sees the new generation and looks its keys up. A key is in
EventKey or in a committed generation, never in neither. (This rests on READ COMMITTED,
Django's isolation level, where each statement takes a new snapshot: an ingest in a REPEATABLE
READ transaction could keep a snapshot from before a rotation.)

The functions take a DB-API cursor (Django's, or psycopg's in the benches) and write plain SQL;
the caller holds the transaction."""

from collections.abc import Iterator
from datetime import datetime

from usage.key_filter import KeyFilter, bits_for

HOT = "usage_eventkey"
FROZEN = "usage_frozeneventkey"


def partition_name(generation: int) -> str:
    return f"{FROZEN}_g{int(generation)}"


def rotate(cursor, now: datetime) -> int | None:
    """Move every key of EventKey into a new generation; its number, or None if there were no
    keys. Run inside a transaction: ingest waits for it (1.6 s for 908,000 keys on the
    development machine, in bench/scale_history.py's database of 10 M events)."""
    cursor.execute(f"LOCK TABLE {HOT} IN ACCESS EXCLUSIVE MODE")
    cursor.execute(f"SELECT count(*), max(received_at) FROM {HOT}")
    count, newest = cursor.fetchone()
    if not count:
        return None
    cursor.execute(
        "INSERT INTO usage_eventkeygeneration (frozen_at, keys, newest_received_at) "
        "VALUES (%s, %s, %s) RETURNING generation",
        [now, count, newest],
    )
    generation = cursor.fetchone()[0]
    part = partition_name(generation)
    cursor.execute(f"DROP TABLE IF EXISTS {part}")  # an orphan (no row names this number)
    cursor.execute(f"CREATE TABLE {part} (LIKE {FROZEN})")
    cursor.execute(
        f"INSERT INTO {part} (key, generation, event_id, received_at) "
        f"SELECT key, %s, event_id, received_at FROM {HOT} ORDER BY key",
        [generation],
    )
    # The check lets ATTACH skip its scan; the primary key becomes a partition of the parent's.
    cursor.execute(
        f"ALTER TABLE {part} ADD PRIMARY KEY (key, generation), "
        f"ADD CHECK (generation = {generation})"
    )
    cursor.execute(
        f"ALTER TABLE {FROZEN} ATTACH PARTITION {part} "
        f"FOR VALUES FROM ({generation}) TO ({generation + 1})"
    )
    cursor.execute(f"TRUNCATE {HOT}")
    return generation


def drop_expired(cursor, cutoff: datetime) -> int:
    """Drop the generations whose newest key was received before `cutoff`; the keys dropped."""
    cursor.execute(
        "DELETE FROM usage_eventkeygeneration WHERE newest_received_at < %s "
        "RETURNING generation, keys",
        [cutoff],
    )
    dropped = cursor.fetchall()
    for generation, _keys in dropped:
        cursor.execute(f"DROP TABLE IF EXISTS {partition_name(generation)}")
    return sum(keys for _generation, keys in dropped)


def _key_chunks(cursor, generations: list[int]) -> Iterator[bytes]:
    for generation in generations:  # one generation is one day's keys: 16 bytes each
        cursor.execute(
            f"SELECT string_agg(uuid_send(key), ''::bytea) FROM {FROZEN} WHERE generation = %s",
            [generation],
        )
        yield bytes(cursor.fetchone()[0] or b"")


def filter_build(cursor, now: datetime) -> KeyFilter | None:
    """Build and store the key filter of every generation kept (None, and nothing stored, when
    there is none). Generations are never written after their rotation, so the filter of those
    listed here stays exact whatever rotates meanwhile."""
    cursor.execute("SELECT generation, keys FROM usage_eventkeygeneration ORDER BY generation")
    generations = cursor.fetchall()
    if not generations:
        cursor.execute("DELETE FROM usage_eventkeyfilter")
        return None
    covered, count = generations[-1][0], sum(keys for _generation, keys in generations)
    bits = bits_for(_key_chunks(cursor, [g for g, _keys in generations]), count)
    cursor.execute(
        "INSERT INTO usage_eventkeyfilter (id, covered, bits, keys, built_at) "
        "VALUES (1, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET covered = excluded.covered, "
        "bits = excluded.bits, keys = excluded.keys, built_at = excluded.built_at",
        [covered, bits, count, now],
    )
    return KeyFilter(covered, bits)
