"""Ingest rules and billable metric services against the database."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from billing_console.api import ApplicationError
from customers.services import customer_create, customer_set_ingest_aliases
from pricing.services import product_create
from usage.models import BillableMetric, EventKey, UsageEvent
from usage.selectors import customers_by_event_id, metric_usage
from usage.services import (
    billable_metric_archive,
    billable_metric_create,
    billable_metric_set_name,
    event_keys_prune,
    usage_ingest,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)


def event(tid: str, *, at: datetime = NOW, customer: str = "acme", **extra) -> dict:
    return {"transaction_id": tid, "customer_id": customer, "event_type": "call",
            "timestamp": at.isoformat(), "properties": {}, **extra}  # fmt: skip


def calls() -> BillableMetric:
    return billable_metric_create(
        name="calls", event_type_filter={"in_values": ["call"]}, aggregation_type="COUNT"
    )


def test_ingest_stores_each_transaction_id_once():
    result = usage_ingest(events=[event("a"), event("b"), event("a")], now=NOW)
    assert (result.accepted, result.duplicates) == (2, 1)
    again = usage_ingest(events=[event("b"), event("c")], now=NOW + timedelta(days=3))
    assert (again.accepted, again.duplicates) == (1, 1)
    assert sorted(UsageEvent.objects.values_list("transaction_id", flat=True)) == ["a", "b", "c"]
    assert EventKey.objects.count() == 3


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"customer_id": None}, "usage[1].customer_id: is required."),
        ({"timestamp": "yesterday"}, "usage[1].timestamp: must be an RFC 3339 timestamp."),
        ({"timestamp": "2026-03-10T12:00:00"}, "usage[1].timestamp: must include a time zone"),
        ({"event_type": ""}, "usage[1].event_type: may not be blank."),
        ({"properties": [1]}, "usage[1].properties: must be an object."),
        ({"transaction_id": 5}, "usage[1].transaction_id: must be a string."),
    ],
)
def test_one_invalid_event_rejects_the_whole_request(bad, message):
    with pytest.raises(ApplicationError) as err:
        usage_ingest(events=[event("ok"), {**event("bad"), **bad}], now=NOW)
    assert err.value.message.startswith(message)
    assert not UsageEvent.objects.exists() and not EventKey.objects.exists()


@pytest.mark.parametrize("count", [0, 101])
def test_between_1_and_100_events(count):
    with pytest.raises(ApplicationError) as err:
        usage_ingest(events=[event(f"e{i}") for i in range(count)], now=NOW)
    assert err.value.message.startswith("usage: send between 1 and 100 events")
    assert not UsageEvent.objects.exists()


def test_body_must_be_a_list():
    with pytest.raises(ApplicationError) as err:
        usage_ingest(events=event("a"), now=NOW)
    assert err.value.message == "usage: must be a list of events."


def test_backdating_is_limited_to_34_days_and_the_future_to_one_day():
    usage_ingest(events=[event("old-ok", at=NOW - timedelta(days=33, hours=23))], now=NOW)
    with pytest.raises(ApplicationError) as err:
        usage_ingest(events=[event("too-old", at=NOW - timedelta(days=34, seconds=1))], now=NOW)
    assert err.value.message.startswith("usage[0].timestamp: is more than 34 days in the past")
    with pytest.raises(ApplicationError) as err:
        usage_ingest(events=[event("future", at=NOW + timedelta(days=1, seconds=1))], now=NOW)
    assert err.value.message.startswith("usage[0].timestamp: is more than 1 day in the future")
    assert list(UsageEvent.objects.values_list("transaction_id", flat=True)) == ["old-ok"]


def test_events_of_an_unknown_customer_count_once_an_alias_names_it():
    metric = calls()
    customer = customer_create(name="Acme", ingest_aliases=["acme"])
    usage_ingest(events=[event("x1", customer="acme-eu"), event("x2", customer="acme")], now=NOW)
    period = {"starting_at": NOW - timedelta(days=1), "ending_before": NOW + timedelta(days=1)}
    assert metric_usage(metric=metric, customer=customer, **period) == {(): Decimal(1)}
    customer_set_ingest_aliases(customer=customer, ingest_aliases=["acme", "acme-eu"])
    assert metric_usage(metric=metric, customer=customer, **period) == {(): Decimal(2)}
    # The customer's own id works as well as an alias.
    usage_ingest(events=[event("x3", customer=str(customer.public_id))], now=NOW)
    assert metric_usage(metric=metric, customer=customer, **period) == {(): Decimal(3)}
    assert customers_by_event_id(["acme-eu", str(customer.public_id), "nobody"]) == {
        "acme-eu": customer,
        str(customer.public_id): customer,
    }


def test_old_dedupe_keys_are_pruned():
    usage_ingest(events=[event("a")], now=NOW)
    assert event_keys_prune(now=NOW + timedelta(days=30)) == 0
    assert event_keys_prune(now=NOW + timedelta(days=36)) == 1
    assert not EventKey.objects.exists() and UsageEvent.objects.count() == 1


def test_metric_validation_names_the_field():
    with pytest.raises(ApplicationError, match=r"^name: "):
        billable_metric_create(name=" ", aggregation_type="COUNT")
    with pytest.raises(ApplicationError, match=r"^aggregation_type: "):
        billable_metric_create(name="x", aggregation_type="MEDIAN")
    with pytest.raises(ApplicationError, match=r"^aggregation_key: is required for SUM"):
        billable_metric_create(name="x", aggregation_type="SUM")
    with pytest.raises(ApplicationError, match=r"^property_filters\[0\]\.name: "):
        billable_metric_create(name="x", aggregation_type="COUNT", property_filters=[{}])
    with pytest.raises(ApplicationError, match=r"^group_keys\[0\]: "):
        billable_metric_create(name="x", aggregation_type="COUNT", group_keys=[[]])


def test_archive_refuses_a_metric_in_use_and_rename():
    metric = calls()
    product = product_create(name="Calls", type="USAGE", billable_metric=metric)
    with pytest.raises(ApplicationError, match="used by product 'Calls'"):
        billable_metric_archive(metric=metric)
    product.archived_at = NOW
    product.save(update_fields=["archived_at"])
    assert billable_metric_archive(metric=metric).archived_at is not None
    assert billable_metric_set_name(metric=metric, name=" API calls ").name == "API calls"


def test_ingests_in_one_transaction_are_announced_once_on_commit(
    django_capture_on_commit_callbacks,
):
    """An import (or the demo) ingesting many batches in one transaction triggers one
    evaluation of the customers it named, not one per batch."""
    from django.db import transaction

    from usage.signals import events_ingested

    customer_create(name="Acme", ingest_aliases=["acme"])
    customer_create(name="Globex", ingest_aliases=["globex"])
    received: list[set[str]] = []

    def listener(sender, customer_ids, **kwargs):
        received.append(set(customer_ids))

    events_ingested.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            with transaction.atomic():
                usage_ingest(events=[event("a1")], now=NOW)
                usage_ingest(events=[event("g1", customer="globex")], now=NOW)
                usage_ingest(events=[event("a2")], now=NOW)
        assert len(callbacks) == 1
        assert received == [{"acme", "globex"}]
        with django_capture_on_commit_callbacks(execute=True):  # a later transaction: anew
            usage_ingest(events=[event("a3")], now=NOW)
        assert received == [{"acme", "globex"}, {"acme"}]
    finally:
        events_ingested.disconnect(listener)
