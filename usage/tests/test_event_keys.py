"""Dedupe keys (usage.event_keys): a digest of the transaction id naming the stored event, the
same whether PostgreSQL's ingest statement or Python computes it; the event search and the
console find events through them."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from usage.console_queries import event_search
from usage.event_keys import KEY_SQL, event_ids_of, key_of
from usage.models import EventKey, UsageEvent
from usage.selectors import events_search
from usage.services import event_keys_prune, usage_ingest

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)
IDS = ["a", "order-42", "ünïcödé ✓", "🧾" * 40, "x" * 128, "tab\there", "0" * 32]


def event(tid: str, customer: str = "acme") -> dict:
    return {"transaction_id": tid, "customer_id": customer, "event_type": "call",
            "timestamp": NOW.isoformat(), "properties": {}}  # fmt: skip


def test_the_digest_is_sixteen_bytes_of_sha256():
    assert str(key_of("a")) == "ca978112-ca1b-bdca-fac2-31b39a23dc4d"  # sha256("a") begins so
    assert key_of("a") != key_of("b")


@pytest.mark.django_db
def test_each_key_names_its_event_on_either_database():
    result = usage_ingest(events=[event(t) for t in IDS], now=NOW)
    assert result.accepted == len(IDS)
    stored = dict(UsageEvent.objects.values_list("transaction_id", "pk"))
    keys = dict(EventKey.objects.values_list("key", "event_id"))
    assert keys == {key_of(t): stored[t] for t in IDS}
    assert event_ids_of(IDS + ["never sent"]) == stored


@pytest.mark.django_db
def test_postgresql_spells_the_digest_as_python_does():
    if connection.vendor != "postgresql":
        pytest.skip("the SQL spelling is PostgreSQL's")
    with connection.cursor() as cursor:
        for tid in IDS:
            cursor.execute(f"SELECT {KEY_SQL.format('%s')}", [tid])
            assert cursor.fetchone()[0] == key_of(tid), tid


@pytest.mark.django_db
def test_event_ids_follow_the_order_of_the_batch():
    usage_ingest(events=[event("zulu"), event("alpha"), event("mike"), event("alpha")], now=NOW)
    in_id_order = list(UsageEvent.objects.order_by("pk").values_list("transaction_id", flat=True))
    assert in_id_order == ["zulu", "alpha", "mike"]


@pytest.mark.django_db
def test_a_retry_after_the_keys_are_pruned_is_a_new_event_and_search_follows_the_keys():
    usage_ingest(events=[event("t1"), event("t2", customer="globex")], now=NOW)
    found = events_search(transaction_ids=["t1", "t2", "nope"])
    assert [e.transaction_id for e in found] == ["t1", "t2"]

    assert event_keys_prune(now=NOW + timedelta(days=36)) == 2
    assert events_search(transaction_ids=["t1"]) == []  # as Metronome: the last 34 days only
    # The console still finds an older event among one customer's events.
    assert event_search(transaction_id="t1").events == []
    assert [
        e.transaction_id for e in event_search(transaction_id="t1", customer_ids=["acme"]).events
    ] == ["t1"]
    assert event_search(transaction_id="t1", customer_ids=["globex"]).events == []


@pytest.mark.django_db
def test_the_console_says_where_a_transaction_id_is_looked_up(client, bob):
    client.force_login(bob)
    page = client.get(reverse("usage:event-list"), {"transaction_id": "missing"})
    assert "received in the last 34 days" in page.content.decode()
    usage_ingest(events=[event("present")], now=NOW)
    found = client.get(reverse("usage:event-list"), {"transaction_id": "present"})
    assert "present" in found.content.decode() and "last 34 days" not in found.content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_migration_carries_keys_to_their_events_and_back():
    before, after = (
        [("usage", "0008_remove_rollupstate_advanced_at")],
        [("usage", "0013_event_key_generations")],  # 0009 carries them; the ingest needs 0013
    )
    MigrationExecutor(connection).migrate(before)
    try:
        old = MigrationExecutor(connection).loader.project_state(before).apps
        events, keys = old.get_model("usage", "UsageEvent"), old.get_model("usage", "EventKey")
        ids = {}
        for tid in ("kept", "ünï"):
            ids[tid] = events.objects.create(
                transaction_id=tid, customer_id="acme", event_type="call", timestamp=NOW,
                properties={}, received_at=NOW,
            ).pk  # fmt: skip
            keys.objects.create(transaction_id=tid, received_at=NOW)
        keys.objects.create(transaction_id="orphan", received_at=NOW)  # its event never stored

        MigrationExecutor(connection).migrate(after)
        assert dict(EventKey.objects.values_list("key", "event_id")) == {
            key_of("kept"): ids["kept"], key_of("ünï"): ids["ünï"], key_of("orphan"): 0,
        }  # fmt: skip
        # and a retry of a carried id is still a duplicate
        assert usage_ingest(events=[event("kept")], now=NOW).duplicates == 1

        MigrationExecutor(connection).migrate(before)
        back = MigrationExecutor(connection).loader.project_state(before).apps
        carried = back.get_model("usage", "EventKey").objects.values_list(
            "transaction_id", flat=True
        )
        assert sorted(carried) == ["kept", "ünï"]
    finally:  # every app at its latest migration again, for the tests after this one
        latest = MigrationExecutor(connection)
        latest.migrate(latest.loader.graph.leaf_nodes())
