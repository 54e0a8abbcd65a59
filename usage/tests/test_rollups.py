"""Rollups answer exactly what raw events answer, whatever was rolled up or still pending, for one
customer or many at once."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from customers.services import customer_create
from usage.metrics import aggregate
from usage.models import MetricRollup, MetricRollupDay, PendingRollup, UsageEvent
from usage.rollups import rollup_usage, rollup_usage_many, rollups_advance, rollups_backfill
from usage.selectors import Windows
from usage.services import billable_metric_create, usage_ingest

START = datetime(2026, 3, 1, tzinfo=UTC)
NOW = START + timedelta(days=4)

event = st.fixed_dictionaries({
    "minute": st.integers(0, 3 * 24 * 60),
    "alias": st.sampled_from(["a1", "a2", "other"]),
    "type": st.sampled_from(["call", "storage"]),
    "region": st.sampled_from(["us", "eu", None]),
    "value": st.one_of(st.integers(0, 500), st.decimals("0", "99", places=2).map(str), st.just("n/a")),
})  # fmt: skip


def _metrics():
    common = {"event_type_filter": {"in_values": ["storage"]}, "group_keys": [["region"]]}
    return [
        billable_metric_create(name="count", aggregation_type="COUNT", **common),
        billable_metric_create(name="sum", aggregation_type="SUM", aggregation_key="v", **common),
        billable_metric_create(name="max", aggregation_type="MAX", aggregation_key="v", **common),
        billable_metric_create(
            name="latest", aggregation_type="LATEST", aggregation_key="v", **common
        ),
    ]


def _ingest(events: list[dict], offset: int) -> None:
    payload = []
    for i, e in enumerate(events):
        properties = {"v": e["value"]}
        if e["region"]:
            properties["region"] = e["region"]
        at = START + timedelta(minutes=e["minute"])
        payload.append({"transaction_id": f"t{offset + i}", "customer_id": e["alias"], "event_type": e["type"],
                        "timestamp": at.isoformat(), "properties": properties})  # fmt: skip
    for start in range(0, len(payload), 7):  # several small batches: several pending rows
        usage_ingest(events=payload[start : start + 7], now=NOW)


def _raw(metric, start, end, group_by, bucket=None):
    rows = UsageEvent.objects.filter(
        customer_id__in=["a1", "a2"], timestamp__gte=start, timestamp__lt=end
    )
    return aggregate(
        metric, rows.values_list("id", "timestamp", "event_type", "properties"), group_by, bucket
    )


@pytest.mark.django_db
@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    before=st.lists(event, max_size=30),
    after=st.lists(event, max_size=30),
    advance=st.integers(0, 6),
    window=st.tuples(st.integers(0, 3 * 24 * 60), st.integers(1, 3 * 24 * 60)),
    grouped=st.booleans(),
    midnight=st.booleans(),
    windows=st.sampled_from(["NONE", "DAY", "HOUR"]),
)
def test_rollups_equal_raw_events(before, after, advance, window, grouped, midnight, windows):
    with transaction.atomic():
        customer_create(name="A", ingest_aliases=["a1", "a2"])
        metrics = _metrics()
        _ingest(before, 0)  # ingested before the metrics were backfilled
        for metric in metrics:
            rollups_backfill(metric=metric)
            metric.refresh_from_db()
        _ingest(after, 1000)  # pending until the job runs
        rollups_advance(max_batches=advance)  # some batches rolled up, others still pending
        start = START + timedelta(minutes=window[0], seconds=17)
        if midnight:  # windows of whole UTC days: daily rollups answer them
            start = START + timedelta(days=window[0] % 3)
        end = start + timedelta(minutes=window[1])
        group_by = ["region"] if grouped else None
        for metric in metrics:
            fast = rollup_usage(metric=metric, customer_ids=["a1", "a2"], starting_at=start, ending_before=end,
                                group_by=group_by)  # fmt: skip
            if fast is None:
                assert end - start < timedelta(hours=2)  # only windows without a whole hour
                continue
            assert fast == _raw(metric, start, end, group_by), metric.name
            bucket = Windows(start, end, windows)
            in_windows = rollup_usage(metric=metric, customer_ids=["a1", "a2"], starting_at=start,
                                      ending_before=end, group_by=group_by, bucket=bucket)  # fmt: skip
            if in_windows is None:  # windows that cut hours are answered from raw events
                assert not bucket.aligned(timedelta(hours=1))
            else:
                assert in_windows == _raw(metric, start, end, group_by, bucket), metric.name
            many = rollup_usage_many(metric=metric, customers={"A": ["a1", "a2"], "B": ["other"]},
                                     starting_at=start, ending_before=end, group_by=group_by)  # fmt: skip
            assert many == {"A": fast, "B": rollup_usage(
                metric=metric, customer_ids=["other"], starting_at=start, ending_before=end,
                group_by=group_by,
            )}  # fmt: skip
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_each_event_is_rolled_up_once():
    customer_create(name="A", ingest_aliases=["a1"])
    metric = billable_metric_create(name="sum", aggregation_type="SUM", aggregation_key="v")
    rollups_backfill(metric=metric)
    usage_ingest(events=[{"transaction_id": "x", "customer_id": "a1", "event_type": "e",
                          "timestamp": (START + timedelta(hours=1)).isoformat(), "properties": {"v": 5}}], now=NOW)  # fmt: skip
    assert PendingRollup.objects.count() == 1
    assert rollups_advance() == 1
    assert rollups_advance() == 0  # nothing left: a second run adds nothing
    assert PendingRollup.objects.count() == 0
    row = MetricRollup.objects.get()
    assert (row.count, row.total) == (1, Decimal("5"))
    metric.refresh_from_db()
    assert rollup_usage(metric=metric, customer_ids=["a1"], starting_at=START, ending_before=START + timedelta(days=1),
                        group_by=None) == {(): Decimal("5")}  # fmt: skip


@pytest.mark.django_db
def test_unique_and_unready_metrics_are_not_answered_from_rollups():
    unique = billable_metric_create(name="u", aggregation_type="UNIQUE", aggregation_key="user")
    fresh = billable_metric_create(name="s", aggregation_type="SUM", aggregation_key="v")
    window = {
        "customer_ids": ["a"],
        "starting_at": START,
        "ending_before": START + timedelta(days=1),
        "group_by": None,
    }
    assert rollup_usage(metric=unique, **window) is None
    assert rollup_usage(metric=fresh, **window) is None  # not backfilled yet


@pytest.mark.django_db
def test_whole_days_are_read_from_daily_rows_and_the_hours_around_them_from_hourly_rows():
    customer_create(name="A", ingest_aliases=["a1"])
    metric = billable_metric_create(name="sum", aggregation_type="SUM", aggregation_key="v")
    rollups_backfill(metric=metric)
    metric.refresh_from_db()
    at = [START + timedelta(hours=h, minutes=5) for h in (1, 2, 23, 25, 30, 49)]  # days 1, 2, 3
    usage_ingest(events=[{"transaction_id": f"t{i}", "customer_id": "a1", "event_type": "e",
                          "timestamp": t.isoformat(), "properties": {"v": i + 1}}
                         for i, t in enumerate(at)], now=NOW)  # fmt: skip
    rollups_advance()
    days = MetricRollupDay.objects.order_by("day").values_list("day", "count", "total")
    assert [(d, c, t) for d, c, t in days] == [
        (START, 3, Decimal("6")),  # 1 + 2 + 3
        (START + timedelta(days=1), 2, Decimal("9")),  # 4 + 5
        (START + timedelta(days=2), 1, Decimal("6")),
    ]

    def usage(start, end):
        return rollup_usage(metric=metric, customer_ids=["a1"], starting_at=start, ending_before=end, group_by=None)  # fmt: skip

    # 02:00 on day 1 to 02:00 on day 3: hours 02-23 of day 1 (2 + 3), day 2 (9), hour 01 of day 3
    assert usage(START + timedelta(hours=2), START + timedelta(hours=50)) == {(): Decimal("20")}
    MetricRollup.objects.filter(hour__gte=START + timedelta(days=1)).delete()
    # day 2 is read from its daily row: the hourly rows just deleted are not needed
    assert usage(START + timedelta(hours=2), START + timedelta(hours=48)) == {(): Decimal("14")}
    # a window inside one day reads hourly rows only (deleted here, so nothing)
    assert usage(START + timedelta(days=1), START + timedelta(days=1, hours=12)) == {}
    day2, day3 = START + timedelta(days=1), START + timedelta(days=2)

    def windows(size):
        return rollup_usage(metric=metric, customer_ids=["a1"], starting_at=day2, ending_before=day3,
                            group_by=None, bucket=Windows(day2, day3, size))  # fmt: skip

    # day windows starting at midnight, and the whole period, are read from daily rows;
    # hourly windows from hourly rows (deleted here, so nothing)
    assert windows("DAY") == windows("NONE") == {(day2,): Decimal("9")}
    assert windows("HOUR") == {}
