"""The world of the retention tests (test_retention.py, test_archive_restore.py): one customer
with a rolled-up SUM metric and a SQL metric over three events, two in January, one in March,
each sent when it happened (backdating is limited to 34 days)."""

from datetime import UTC, datetime, timedelta

import pytest

from customers.services import customer_create
from usage.rollups import rollups_advance
from usage.selectors import metric_usage
from usage.services import billable_metric_create, usage_ingest


def event_at(tid: str, at: datetime, value: int) -> dict:
    return {"transaction_id": tid, "customer_id": "acme", "event_type": "call",
            "timestamp": at.isoformat(), "properties": {"v": value}}  # fmt: skip


def send(event: dict) -> None:
    usage_ingest(
        events=[event], now=datetime.fromisoformat(event["timestamp"]) + timedelta(minutes=1)
    )


def usage_of(metric, customer, start, end):
    return metric_usage(metric=metric, customer=customer, starting_at=start, ending_before=end)


@pytest.fixture(name="world")
def archive_world(django_capture_on_commit_callbacks):
    """(customer, the SUM metric 'value' with its rollups built, the SQL metric 'sql value')."""
    customer = customer_create(name="Acme", ingest_aliases=["acme"])
    with django_capture_on_commit_callbacks(execute=True):  # the rollups built
        total = billable_metric_create(
        name="value", event_type_filter={"in_values": ["call"]}, aggregation_type="SUM",
        aggregation_key="v",
    )  # fmt: skip
    by_sql = billable_metric_create(name="sql value", sql="SELECT SUM(properties.v) FROM events")
    send(event_at("j1", datetime(2026, 1, 5, 10, 15, tzinfo=UTC), 7))
    send(event_at("j2", datetime(2026, 1, 20, 12, 30, tzinfo=UTC), 5))
    send(event_at("m1", datetime(2026, 3, 3, 9, tzinfo=UTC), 11))
    rollups_advance()
    total.refresh_from_db()  # ready now
    return customer, total, by_sql
