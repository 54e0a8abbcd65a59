"""Dedupe keys in generations (usage.key_generations) and their filter (usage.key_filter): a
transaction id seen in an earlier generation is still a duplicate, whether the process's filter
covers that generation, is older, or is not built; a rotation racing an ingest loses nothing;
generations past the window are dropped whole."""

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection, connections

from usage.event_keys import event_ids_of, kept_keys, key_of
from usage.key_filter import KeyFilter, bits_for, current_filter, digests, forget_filter
from usage.models import EventKey, EventKeyFilter, EventKeyGeneration, FrozenEventKey, UsageEvent
from usage.services import (
    event_keys_filter_build,
    event_keys_prune,
    event_keys_rotate,
    usage_ingest,
)
from usage.tasks import event_keys_prune_task

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)
postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="generations: PostgreSQL")


def event(tid: str, at: datetime = NOW) -> dict:
    return {"transaction_id": tid, "customer_id": "acme", "event_type": "call",
            "timestamp": at.isoformat(), "properties": {}}  # fmt: skip


@pytest.fixture(autouse=True)
def _no_cached_filter():
    forget_filter()
    yield
    forget_filter()


def test_the_filter_flags_every_key_added_and_few_others():
    added = digests(f"seen-{i}" for i in range(20_000))
    others = digests(f"new-{i}" for i in range(20_000))
    key_filter = KeyFilter(7, bits_for([b"".join(added[:5_000]), b"".join(added[5_000:])], 20_000))
    assert all(key_filter.maybe_seen(added))
    assert sum(key_filter.maybe_seen(others)) < 40  # about 1 in 2,000 expected: 10
    assert key_filter.maybe_seen([]) == []
    assert digests(["a"]) == [key_of("a").bytes]


def test_an_empty_filter_flags_nothing():
    assert KeyFilter(1, bits_for([], 0)).maybe_seen(digests(["a", "b"])) == [False, False]


@postgresql
@pytest.mark.django_db
def test_a_rotated_key_is_still_a_duplicate_with_no_filter_a_stale_one_or_a_current_one():
    usage_ingest(events=[event("first"), event("second")], now=NOW)
    first = event_keys_rotate(now=NOW)
    assert first is not None and not EventKey.objects.exists()
    assert FrozenEventKey.objects.filter(generation=first).count() == 2
    assert EventKeyGeneration.objects.get(generation=first).keys == 2

    # no filter yet: every key is looked up in every generation
    assert usage_ingest(events=[event("first"), event("third")], now=NOW).accepted == 1
    built = event_keys_filter_build(now=NOW)
    assert built.covered == first and EventKeyFilter.objects.get().keys == 2
    # the filter covers the generation: "first" is flagged and looked up
    assert current_filter().covered == first
    assert usage_ingest(events=[event("first"), event("fourth")], now=NOW).accepted == 1
    # a newer generation the filter does not cover is looked up key by key
    second = event_keys_rotate(now=NOW)
    assert current_filter().covered == first
    result = usage_ingest(events=[event("third"), event("fourth"), event("fifth")], now=NOW)
    assert (result.accepted, result.duplicates) == (1, 2)
    assert second > first and UsageEvent.objects.count() == 5
    # the search finds events through frozen keys too, and the preview's window check
    assert set(event_ids_of(["first", "third", "fifth", "never"])) == {"first", "third", "fifth"}
    keys = [key_of("first"), key_of("fifth")]
    assert set(kept_keys(keys, since=NOW - timedelta(days=34))) == set(keys)
    assert kept_keys(keys, since=NOW + timedelta(seconds=1)) == {}


@postgresql
@pytest.mark.django_db
def test_a_rotation_with_no_keys_makes_no_generation():
    assert event_keys_rotate(now=NOW) is None
    assert event_keys_filter_build(now=NOW) is None and not EventKeyGeneration.objects.exists()


@postgresql
@pytest.mark.django_db
def test_generations_past_the_window_are_dropped_whole_and_the_filter_rebuilt():
    usage_ingest(events=[event("old-1"), event("old-2")], now=NOW)
    old = event_keys_rotate(now=NOW)
    usage_ingest(events=[event("recent")], now=NOW + timedelta(days=20))
    recent = event_keys_rotate(now=NOW + timedelta(days=20))
    event_keys_filter_build(now=NOW)

    assert event_keys_prune(now=NOW + timedelta(days=34)) == 0  # within the window and a day
    assert event_keys_prune(now=NOW + timedelta(days=36)) == 2
    assert list(EventKeyGeneration.objects.values_list("generation", flat=True)) == [recent]
    assert not FrozenEventKey.objects.filter(generation=old).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [f"usage_frozeneventkey_g{old}"])
        assert cursor.fetchone()[0] is None
    assert event_keys_filter_build(now=NOW).covered == recent
    # the dropped ids are forgotten (past the window), the kept one is still a duplicate
    later = NOW + timedelta(days=36)
    result = usage_ingest(events=[event("old-1", later), event("recent", later)], now=later)
    assert (result.accepted, result.duplicates) == (1, 1)


@postgresql
@pytest.mark.django_db
def test_the_daily_task_rotates_prunes_and_builds_the_filter():
    usage_ingest(events=[event("a"), event("b")], now=NOW)
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        event_keys_prune_task()
    generation = EventKeyGeneration.objects.get()
    assert EventKeyFilter.objects.get().covered == generation.generation
    assert not EventKey.objects.exists() and FrozenEventKey.objects.count() == 2
    assert usage_ingest(events=[event("a")], now=NOW).duplicates == 1


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the embedded database")
@pytest.mark.django_db
def test_without_postgresql_keys_stay_until_the_prune():
    usage_ingest(events=[event("a")], now=NOW)
    assert event_keys_rotate(now=NOW) is None and event_keys_filter_build(now=NOW) is None
    assert EventKey.objects.count() == 1
    assert usage_ingest(events=[event("a")], now=NOW).duplicates == 1


@postgresql
@pytest.mark.django_db(transaction=True)
def test_an_ingest_waiting_on_a_rotation_sees_the_keys_it_froze():
    """The rotation locks today's keys before it reads them; an ingest that starts meanwhile
    waits, and then finds the id in the new generation rather than inserting it again."""
    usage_ingest(events=[event("raced")], now=NOW)
    event_keys_filter_build(now=NOW)  # no generations yet: no filter
    rotation_holds_lock, results, errors = threading.Event(), [], []

    def rotate_slowly() -> None:
        try:
            with connections["default"].cursor() as cursor:
                from usage import key_generations

                cursor.execute("BEGIN")
                key_generations.rotate(cursor, NOW)
                rotation_holds_lock.set()
                time.sleep(1.0)  # the ingest below starts and waits meanwhile
                cursor.execute("COMMIT")
        except Exception as err:  # surfaced by the assertion below
            errors.append(err)
        finally:
            connections.close_all()

    def ingest() -> None:
        try:
            rotation_holds_lock.wait(timeout=10)
            results.append(usage_ingest(events=[event("raced"), event("other")], now=NOW))
        except Exception as err:
            errors.append(err)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=rotate_slowly), threading.Thread(target=ingest)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert time.monotonic() - started >= 1.0  # the ingest did wait
    assert [(r.accepted, r.duplicates) for r in results] == [(1, 1)]
    assert UsageEvent.objects.filter(transaction_id="raced").count() == 1
    assert FrozenEventKey.objects.count() == 1 and EventKey.objects.count() == 1


@postgresql
@pytest.mark.django_db
def test_a_process_reads_a_rebuilt_filter_within_a_minute(monkeypatch):
    from usage import key_filter

    usage_ingest(events=[event("a")], now=NOW)
    event_keys_rotate(now=NOW)
    event_keys_filter_build(now=NOW)
    held = current_filter()
    assert held is not None and current_filter() is held  # read once, then kept
    EventKeyFilter.objects.update(built_at=NOW + timedelta(hours=1), bits=b"\xff" * 8)
    assert current_filter() is held  # not rechecked yet
    clock = time.monotonic() + key_filter.RECHECK_SECONDS + 1
    monkeypatch.setattr(key_filter.time, "monotonic", lambda: clock)
    assert current_filter().bits == b"\xff" * 8  # same generation covered, rebuilt: read again
