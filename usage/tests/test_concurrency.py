"""Two connections ingesting the same transaction ids at the same moment store one copy
(PostgreSQL only: SQLite serializes writers, so there is no race to test)."""

import threading
from datetime import UTC, datetime

import pytest
from django.db import connection, connections

from usage.models import EventKey, UsageEvent
from usage.services import usage_ingest

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs concurrent writers (PostgreSQL)"
    ),
]

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)


def test_racing_ingests_store_each_transaction_id_once():
    events = [
        {"transaction_id": f"race-{i}", "customer_id": "acme", "event_type": "call",
         "timestamp": NOW.isoformat(), "properties": {"n": i}}
        for i in range(50)
    ]  # fmt: skip
    barrier = threading.Barrier(2)
    results, errors = [], []

    def send() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(usage_ingest(events=events, now=NOW))
        except Exception as err:  # surfaced by the assertion below
            errors.append(err)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(results) == 2
    assert sum(r.accepted for r in results) == 50
    assert sum(r.duplicates for r in results) == 50
    assert UsageEvent.objects.count() == 50
    assert EventKey.objects.count() == 50
    assert UsageEvent.objects.values("transaction_id").distinct().count() == 50
