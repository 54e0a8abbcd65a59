"""Many usage questions answered together (usage.batch_usage) equal metric_usage's answers one
by one, whatever was rolled up or still pending, in a number of queries that does not grow with
the number of questions."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from customers.services import customer_create
from usage.batch_usage import UsageAsk, metric_usage_many
from usage.rollups import rollups_advance, rollups_backfill
from usage.selectors import metric_usage
from usage.services import billable_metric_create, usage_ingest

START = datetime(2026, 3, 1, tzinfo=UTC)
NOW = START + timedelta(days=4)

event = st.fixed_dictionaries({
    "minute": st.integers(0, 3 * 24 * 60),
    "alias": st.sampled_from(["a1", "a2", "other"]),
    "type": st.sampled_from(["call", "storage"]),
    "region": st.sampled_from(["us", "eu", None]),
    "tier": st.sampled_from(["gold", "free"]),
    "value": st.one_of(st.integers(0, 500), st.decimals("0", "99", places=2).map(str), st.just("n/a")),
})  # fmt: skip
window = st.tuples(st.integers(0, 3 * 24 * 60), st.integers(1, 3 * 24 * 60), st.booleans())
ask = st.tuples(
    st.integers(0, 4),  # metric
    window,
    st.sampled_from([(), ("region",), ("region", "tier"), ("tier",)]),  # group by
    st.sampled_from([None, ("region", ("us",)), ("tier", ("gold", "free"))]),  # usage filter
)


def _metrics():
    common = {"event_type_filter": {"in_values": ["storage"]}, "group_keys": [["region"]]}
    return [
        billable_metric_create(name="count", aggregation_type="COUNT", **common),
        billable_metric_create(name="sum", aggregation_type="SUM", aggregation_key="v", **common),
        billable_metric_create(name="max", aggregation_type="MAX", aggregation_key="v", **common),
        billable_metric_create(
            name="latest", aggregation_type="LATEST", aggregation_key="v", **common
        ),
        billable_metric_create(name="unique", aggregation_type="UNIQUE", aggregation_key="v"),
    ]


def _ingest(events: list[dict], offset: int) -> None:
    payload = []
    for i, e in enumerate(events):
        properties = {"v": e["value"], "tier": e["tier"]}
        if e["region"]:
            properties["region"] = e["region"]
        at = START + timedelta(minutes=e["minute"])
        payload.append({"transaction_id": f"t{offset + i}", "customer_id": e["alias"], "event_type": e["type"],
                        "timestamp": at.isoformat(), "properties": properties})  # fmt: skip
    for start in range(0, len(payload), 7):  # several small batches: several pending rows
        usage_ingest(events=payload[start : start + 7], now=NOW)


def _ask(metrics, spec) -> UsageAsk:
    index, (minute, minutes, midnight), group_by, only = spec
    start = START + timedelta(minutes=minute, seconds=17)
    if midnight:  # windows of whole UTC days: daily rollups answer them
        start = START + timedelta(days=minute % 3)
    return UsageAsk(metrics[index], start, start + timedelta(minutes=minutes), group_by, only)


@pytest.mark.django_db
@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    before=st.lists(event, max_size=30),
    after=st.lists(event, max_size=30),
    advance=st.integers(0, 6),
    specs=st.lists(ask, min_size=1, max_size=8),
)
def test_many_questions_get_the_answers_of_one_at_a_time(before, after, advance, specs):
    with transaction.atomic():
        customer = customer_create(name="A", ingest_aliases=["a1", "a2"])
        metrics = _metrics()
        _ingest(before, 0)  # ingested before the metrics were backfilled
        for metric in metrics[:3]:  # LATEST and UNIQUE stay without rollups
            rollups_backfill(metric=metric)
            metric.refresh_from_db()
        _ingest(after, 1000)  # pending until the job runs
        rollups_advance(max_batches=advance)
        asks = [_ask(metrics, spec) for spec in specs]
        answers = metric_usage_many(customer=customer, asks=asks)
        for one in asks:
            assert answers[one] == metric_usage(
                metric=one.metric, customer=customer, starting_at=one.starting_at,
                ending_before=one.ending_before, group_by=list(one.group_by) or None,
                only=one.only,
            ), one  # fmt: skip
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_the_number_of_queries_does_not_grow_with_the_questions():
    customer = customer_create(name="A", ingest_aliases=["a1"])
    metrics = _metrics()
    _ingest([{"minute": m, "alias": "a1", "type": "storage", "region": "us", "tier": "gold",
              "value": m} for m in range(0, 3 * 24 * 60, 97)], 0)  # fmt: skip
    for metric in metrics[:3]:
        rollups_backfill(metric=metric)
        metric.refresh_from_db()

    def queries(count: int) -> int:
        asks = [
            UsageAsk(metric, START + timedelta(hours=i, minutes=5), NOW - timedelta(hours=i))
            for i in range(count)
            for metric in metrics
        ]
        with CaptureQueriesContext(connection) as captured:
            metric_usage_many(customer=customer, asks=asks)
        return len(captured.captured_queries)

    # aliases, pending twice, days, hours, the archive horizon, raw events
    assert queries(1) == queries(6) <= 7
