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


def test_rollup_jobs_running_at_once_add_each_event_once():
    """Several rollup jobs at once, each claiming pending batches no other holds: every event
    is in the hourly and the daily rollups exactly once."""
    from decimal import Decimal

    from usage.models import MetricRollup, MetricRollupDay, PendingRollup
    from usage.rollups import rollups_advance, rollups_backfill
    from usage.services import billable_metric_create

    metric = billable_metric_create(name="n", aggregation_type="SUM", aggregation_key="n")
    rollups_backfill(metric=metric)
    for batch in range(40):  # 40 pending batches over 3 customers and 2 hours
        usage_ingest(
            events=[
                {"transaction_id": f"r-{batch}-{i}", "customer_id": f"c{i % 3}",
                 "event_type": "call", "timestamp": NOW.replace(hour=10 + i % 2).isoformat(),
                 "properties": {"n": i}}
                for i in range(10)
            ],
            now=NOW,
        )  # fmt: skip
    barrier = threading.Barrier(3)
    errors = []

    def advance() -> None:
        try:
            barrier.wait(timeout=10)
            while rollups_advance(max_batches=3):
                pass
        except Exception as err:  # surfaced by the assertion below
            errors.append(err)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=advance) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert PendingRollup.objects.count() == 0
    for model in (MetricRollup, MetricRollupDay):
        rows = model.objects.filter(metric=metric)
        assert sum(r.count for r in rows) == 400
        assert sum((r.total for r in rows), Decimal(0)) == Decimal(40 * 45)


def test_a_rollup_read_is_one_snapshot_while_the_job_commits():
    """Outside a transaction a rollup read on PostgreSQL sees the rows and the pending batches
    of one snapshot: the job committing in the middle (rows added, batches deleted) changes
    nothing for it, and it reads once."""
    from decimal import Decimal

    import usage.rollup_reads as rollup_reads
    from usage.rollups import rollup_usage, rollups_advance, rollups_backfill
    from usage.services import billable_metric_create

    metric = billable_metric_create(name="n", aggregation_type="SUM", aggregation_key="n")
    rollups_backfill(metric=metric)
    metric.refresh_from_db()
    for batch in range(4):
        usage_ingest(
            events=[
                {"transaction_id": f"s-{batch}-{i}", "customer_id": "acme", "event_type": "call",
                 "timestamp": NOW.replace(hour=10).isoformat(), "properties": {"n": 1}}
                for i in range(5)
            ],
            now=NOW,
        )  # fmt: skip
    rollups_advance(max_batches=2)  # 10 events in the rows, 10 pending
    original, reads = rollup_reads._rollup_rows, []

    def job_commits_meanwhile(*args, **kwargs):
        rows = original(*args, **kwargs)
        reads.append(1)
        worker = threading.Thread(target=lambda: (rollups_advance(), connections.close_all()))
        worker.start()
        worker.join(timeout=30)  # committed on its own connection before the pending read
        return rows

    rollup_reads._rollup_rows = job_commits_meanwhile
    try:
        values = rollup_usage(
            metric=metric, customer_ids=["acme"], starting_at=NOW.replace(hour=0),
            ending_before=NOW.replace(hour=23), group_by=None,
        )  # fmt: skip
    finally:
        rollup_reads._rollup_rows = original
    assert values == {(): Decimal(20)}
    assert reads == [1]


def test_a_range_read_leaves_out_the_batch_another_job_holds():
    """The job reads the claimed events as one range of ids where they lie close together
    (usage.rollup_writes._IN_RANGE): a batch inside that range held by another job is not
    read, and is added once, by the job that then claims it."""
    import psycopg
    from django.conf import settings

    from usage.models import MetricRollupDay, PendingRollup
    from usage.rollups import rollups_advance, rollups_backfill
    from usage.services import billable_metric_create

    metric = billable_metric_create(name="calls", aggregation_type="COUNT")
    rollups_backfill(metric=metric)
    for batch in range(3):
        usage_ingest(
            events=[{"transaction_id": f"b{batch}-{i}", "customer_id": "c", "event_type": "call",
                     "timestamp": NOW.isoformat(), "properties": {}} for i in range(batch + 2)],
            now=NOW,
        )  # fmt: skip
    first, held, last = PendingRollup.objects.order_by("id")
    assert min(first.event_ids) < min(held.event_ids) and max(held.event_ids) < max(last.event_ids)
    db = settings.DATABASES["default"]
    with psycopg.connect(
        dbname=connection.settings_dict["NAME"], host=db["HOST"], port=db["PORT"],
        user=db["USER"], password=db["PASSWORD"],
    ) as other:  # fmt: skip
        other.execute("SELECT id FROM usage_pendingrollup WHERE id = %s FOR UPDATE", [held.id])
        assert rollups_advance() == 2 + 4  # the first and the last batch, around the held one
        assert MetricRollupDay.objects.get(metric=metric).count == 6
    assert rollups_advance() == 3  # released: the held batch, once
    assert MetricRollupDay.objects.get(metric=metric).count == 9
