"""The rollup job groups events in the database on PostgreSQL (usage.rollup_grouping) and reads
them one by one on SQLite: both store exactly the rows that the per-event rules (event_matches,
property_text, number, Cell.add) give, whatever the values' JSON types."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from unittest.mock import patch

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from customers.services import customer_create
from usage.metrics import event_matches
from usage.models import MetricRollup, MetricRollupDay, UsageEvent
from usage.rollup_cells import Cell, day_start, group_of, hour_start, rollup_keys
from usage.rollups import rollups_advance, rollups_backfill
from usage.services import billable_metric_create, usage_ingest

START = datetime(2026, 3, 1, 22, tzinfo=UTC)
NOW = START + timedelta(days=3)

# Values that read differently as JSON, as a group text and as a number. On SQLite their sums
# stay within 15 significant digits, which it stores exactly (40 whole numbers under 10^9 and
# fractions of at most 4 places: 11 + 4 digits); on PostgreSQL whole numbers go to 10^12 and
# 1e-7 is among the values, and longer numbers are in test_long_numbers. (SQLite read back
# 100000000000.1875 as 100000000000.188, and 100000000.0000001 as 100000000.)
ON_POSTGRESQL = connection.vendor == "postgresql"
WHOLE = 10**12 if ON_POSTGRESQL else 10**9
TINY = [1e-7] if ON_POSTGRESQL else []
VALUE = st.one_of(
    st.integers(-WHOLE, WHOLE),
    st.sampled_from([0, 1, -1, 2, 10**16, -(10**17), 3.0, 1.0, 0.1, 2.5, -7.25, *TINY, 1e22]),
    st.floats(-1e8, 1e8).map(lambda x: round(x, 4)),
    st.decimals("-1000", "1000", places=4).map(str),
    st.sampled_from(["12.5", " 7 ", "1_000", "NaN", "Infinity", "abc", "", "1e3", "true", "1"]),
    st.booleans(),
    st.none(),
)
event = st.fixed_dictionaries({
    "minute": st.integers(0, 2 * 24 * 60),
    "alias": st.sampled_from(["a1", "a2"]),
    "type": st.sampled_from(["call", "storage"]),
    "region": st.one_of(st.just("missing"), st.sampled_from(["us", "eu", 1, 1.0, "1", True, "true", None])),
    "v": st.one_of(st.just("missing"), VALUE),
    "same_time": st.booleans(),
})  # fmt: skip


def _metrics():
    storage = {"event_type_filter": {"in_values": ["storage"]}}
    regions = {"property_filters": [{"name": "region", "in_values": ["us", "1", "true"]}]}
    return [
        billable_metric_create(name="count", aggregation_type="COUNT", **storage),
        billable_metric_create(
            name="count us", aggregation_type="COUNT", **regions, group_keys=[["region"]]
        ),  # fmt: skip
        billable_metric_create(
            name="sum", aggregation_type="SUM", aggregation_key="v", group_keys=[["region"]]
        ),  # fmt: skip
        billable_metric_create(
            name="sum not eu",
            aggregation_type="SUM",
            aggregation_key="v",
            property_filters=[{"name": "region", "not_in_values": ["eu"]}],
            event_type_filter={"not_in_values": ["call"]},
        ),  # fmt: skip
        billable_metric_create(
            name="max",
            aggregation_type="MAX",
            aggregation_key="v",
            property_filters=[{"name": "region", "exists": True}],
        ),  # fmt: skip
        billable_metric_create(
            name="latest",
            aggregation_type="LATEST",
            aggregation_key="v",
            group_keys=[["region", "v"]],
        ),  # fmt: skip
        billable_metric_create(
            name="latest not 1",
            aggregation_type="LATEST",
            aggregation_key="v",
            property_filters=[{"name": "v", "not_in_values": ["1"]}],
        ),  # fmt: skip
    ]


def _ingest(events: list[dict]) -> None:
    payload = []
    for i, e in enumerate(events):
        properties = {k: e[k] for k in ("region", "v") if e[k] != "missing"}
        at = START + timedelta(minutes=0 if e["same_time"] else e["minute"])
        payload.append({"transaction_id": f"t{i}", "customer_id": e["alias"], "event_type": e["type"],
                        "timestamp": at.isoformat(), "properties": properties})  # fmt: skip
    for start in range(0, len(payload), 9):
        usage_ingest(events=payload[start : start + 9], now=NOW)


def _expected(metric, span):
    """The rows the per-event rules give, from the events as stored."""
    cells, memo = {}, {}
    rows = UsageEvent.objects.order_by("id").values_list(
        "id", "customer_id", "timestamp", "event_type", "properties"
    )
    for event_id, customer_id, at, event_type, properties in rows:
        if not event_matches(metric, event_type, properties):
            continue
        values, digest = group_of(rollup_keys(metric), properties, memo)
        start = hour_start(at) if span == "hour" else day_start(at)
        cell = cells.setdefault((customer_id, start, digest), Cell(dict(values)))
        cell.add(metric.aggregation_type, properties.get(metric.aggregation_key), at, event_id)
    return {
        key: (c.count, c.total, c.maximum, c.latest and (c.latest[1], c.latest[2]), c.group_values)
        for key, c in cells.items()
    }


def _stored(model, metric, span):
    rows = model.objects.filter(metric=metric)
    return {
        (r.customer_id, getattr(r, span), r.group_hash): (
            r.count, r.total, r.maximum,
            r.latest_event_id and (r.latest_event_id, r.latest_value), r.group_values,
        )
        for r in rows
    }  # fmt: skip


def _rounded(expected):
    """Values as the rollup fields store them (12 places)."""
    places = Decimal("1e-12")

    def q(value):
        return value.quantize(places) if isinstance(value, Decimal) else value

    return {
        key: (n, q(total), q(maximum), latest and (latest[0], q(latest[1])), values)
        for key, (n, total, maximum, latest, values) in expected.items()
    }


@pytest.mark.django_db
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    events=st.lists(event, max_size=40), backfill=st.booleans(), by_range=st.booleans(),
    chunk=st.sampled_from([1, 3, 5000]),
)  # fmt: skip
def test_rollup_rows_equal_per_event_rules(events, backfill, by_range, chunk):
    # PostgreSQL reads the claimed events as one range of ids or one by one (RANGE_SPAN), and
    # merges the cells in statements of about `chunk` cells (whole customers).
    with (
        transaction.atomic(),
        patch("usage.rollup_writes.RANGE_SPAN", 10**9 if by_range else 0),
        patch("usage.rollup_upsert.CHUNK", chunk),
    ):
        customer_create(name="A", ingest_aliases=["a1", "a2"])
        metrics = _metrics()
        if not backfill:
            for metric in metrics:  # ready before any event: the job adds them all
                rollups_backfill(metric=metric)
        _ingest(events)
        if backfill:  # some batches rolled up by no job yet: the backfill reads the others
            rollups_advance(max_batches=1)  # (by no metric: none is ready)
            with patch("usage.rollup_writes.BACKFILL_SPAN", 7):  # in steps of 7 event ids
                for metric in metrics:
                    rollups_backfill(metric=metric)
        while rollups_advance(max_batches=2):
            pass
        for metric in metrics:
            metric.refresh_from_db()
            for model, span in ((MetricRollup, "hour"), (MetricRollupDay, "day")):
                assert _stored(model, metric, span) == _rounded(_expected(metric, span)), (
                    metric.name,
                    span,
                )
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_long_numbers_read_as_python_reads_them():
    """Events stored as sent can hold numbers Python reads as floats with fewer digits: the
    database leaves them to Python (PostgreSQL keeps every digit; SQLite keeps 15)."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite stores decimals in 15 significant digits")
    customer_create(name="A", ingest_aliases=["a1"])
    metrics = _metrics()
    for metric in metrics:
        rollups_backfill(metric=metric)
    texts = [
        '{"v": 1234567.1234567890123456, "region": 1.50}',
        '{"v": 123456789012345.678901, "region": 1.5}',
        '{"v": 1234567.891, "region": 1}',
        '{"v": 1.0, "region": "1"}',
        '{"v": 12345678901234567, "region": "us"}',
        '{"v": 9999999999999, "region": "us"}',
        '{"v": 1e2, "region": true}',
        '{"v": "5", "region": "true"}',
        '{"v": -0.000000000000123456789, "region": "us"}',
    ]
    _ingest([{"minute": i, "alias": "a1", "type": "storage", "region": "us", "v": 0,
              "same_time": False} for i in range(len(texts))])  # fmt: skip
    with connection.cursor() as cursor:
        for event_id, text in zip(
            UsageEvent.objects.order_by("id").values_list("id", flat=True), texts, strict=True
        ):
            cursor.execute(
                f"UPDATE {UsageEvent._meta.db_table} SET properties = %s::jsonb WHERE id = %s",
                [text, event_id],
            )
    while rollups_advance():
        pass
    for metric in metrics:
        metric.refresh_from_db()
        for model, span in ((MetricRollup, "hour"), (MetricRollupDay, "day")):
            assert _stored(model, metric, span) == _rounded(_expected(metric, span)), metric.name
    total = MetricRollupDay.objects.get(metric=metrics[2], group_values={"region": "us"}).total
    assert total == Decimal("9999999999999.000000000000")  # 10^16 and more: not a number


@pytest.mark.django_db
@pytest.mark.parametrize("value", [5e-13, "0.0000000000005", 0.25])
def test_a_days_total_is_its_hours_exact_sum_rounded_once(value):
    """Two hours of one day whose totals each have a place more than the rows keep: each hour
    is rounded half-even (to 0), the day is the rounded sum (1e-12), not the sum of the
    rounded hours; with values the rows keep, the day is the hours' sum."""
    customer_create(name="A", ingest_aliases=["a1"])
    metric = billable_metric_create(name="sum", aggregation_type="SUM", aggregation_key="v")
    rollups_backfill(metric=metric)
    usage_ingest(events=[
        {"transaction_id": f"t{i}", "customer_id": "a1", "event_type": "call",
         "timestamp": (START - timedelta(hours=i)).isoformat(), "properties": {"v": value}}
        for i in range(2)
    ], now=NOW)  # fmt: skip
    while rollups_advance():
        pass
    hours = sorted(MetricRollup.objects.filter(metric=metric).values_list("total", flat=True))
    day = MetricRollupDay.objects.get(metric=metric).total
    if value == 0.25:
        assert (hours, day) == ([Decimal("0.25")] * 2, Decimal("0.5"))
    else:
        assert (hours, day) == ([Decimal(0)] * 2, Decimal("1e-12"))


@pytest.mark.django_db
def test_customer_ids_of_any_text_are_rolled_up_as_sent():
    """A customer_id is what the sender wrote: quotes, backslashes, commas, braces, spaces, the
    word NULL and letters beyond ASCII reach the rollup rows as they were sent."""
    metrics = _metrics()
    for metric in metrics:
        rollups_backfill(metric=metric)
    aliases = ['a"b', "c\\d", "{x,y}", " spaced ", "NULL", "é-ß", "Z", "a"]
    usage_ingest(events=[
        {"transaction_id": f"t{i}", "customer_id": alias, "event_type": "storage",
         "timestamp": (START + timedelta(minutes=37 * i)).isoformat(),
         "properties": {"region": "us", "v": i + 1}}
        for i, alias in enumerate(aliases * 2)
    ], now=NOW)  # fmt: skip
    while rollups_advance():
        pass
    for metric in metrics:
        for model, span in ((MetricRollup, "hour"), (MetricRollupDay, "day")):
            stored = _stored(model, metric, span)
            assert stored == _rounded(_expected(metric, span)), (metric.name, span)
    customers = set(MetricRollupDay.objects.values_list("customer_id", flat=True))
    assert customers == set(aliases)
