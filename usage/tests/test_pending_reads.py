"""A rollup read that the rollup job overtakes still counts every event exactly once: the read is
retried when a batch it relied on was consumed, and batches ingested meanwhile are read raw."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from customers.services import customer_create
from usage.models import PendingRollup
from usage.pending_reads import TRIES, consistent_read
from usage.rollups import rollup_usage, rollups_advance, rollups_backfill
from usage.services import billable_metric_create, usage_ingest

START = datetime(2026, 3, 1, tzinfo=UTC)
NOW = START + timedelta(days=2)


def _ingest(first: int, count: int) -> None:
    usage_ingest(
        events=[
            {"transaction_id": f"t{first + i}", "customer_id": "a1", "event_type": "call",
             "timestamp": (START + timedelta(hours=1, minutes=i)).isoformat(),
             "properties": {"v": 2}}
            for i in range(count)
        ],
        now=NOW,
    )  # fmt: skip


@pytest.fixture
def metric():
    customer_create(name="A", ingest_aliases=["a1"])
    metric = billable_metric_create(name="sum", aggregation_type="SUM", aggregation_key="v")
    rollups_backfill(metric=metric)
    metric.refresh_from_db()
    return metric


def _total(metric) -> Decimal:
    values = rollup_usage(
        metric=metric, customer_ids=["a1"], starting_at=START, ending_before=NOW, group_by=None
    )
    assert values is not None
    return sum(values.values(), Decimal(0))


@pytest.mark.django_db
def test_a_batch_consumed_during_the_read_makes_it_read_again(metric, monkeypatch):
    _ingest(0, 5)
    rollups_advance()
    _ingest(5, 3)  # pending
    reads = []

    import usage.rollup_reads as rollup_reads

    original = rollup_reads._rollup_rows

    def overtaken(*args, **kwargs):
        rows = original(*args, **kwargs)
        reads.append(len(rows))
        if len(reads) == 1:
            rollups_advance()  # the job adds the pending batch after the rows were read
        return rows

    monkeypatch.setattr(rollup_reads, "_rollup_rows", overtaken)
    assert _total(metric) == Decimal(16)  # 8 events of 2, none lost, none twice
    assert len(reads) == 2


@pytest.mark.django_db
def test_a_batch_ingested_during_the_read_is_counted_once(metric, monkeypatch):
    _ingest(0, 5)
    rollups_advance()
    import usage.rollup_reads as rollup_reads

    original = rollup_reads._rollup_rows

    def with_ingest(*args, **kwargs):
        rows = original(*args, **kwargs)
        if not PendingRollup.objects.exists():
            _ingest(5, 3)  # arrives after the rows were read: pending, read raw
        return rows

    monkeypatch.setattr(rollup_reads, "_rollup_rows", with_ingest)
    assert _total(metric) == Decimal(16)


@pytest.mark.django_db
def test_a_job_that_keeps_overtaking_gives_none(metric):
    _ingest(0, 2)
    assert PendingRollup.objects.count() == 1

    ingested = []

    def read():
        rollups_advance()  # consumes every batch noted before the read...
        ingested.append(1)
        _ingest(100 * len(ingested), 1)  # ...and a new one is pending when the read ends
        return "rows"

    assert consistent_read(read) is None
    assert len(ingested) == TRIES
