"""SQL billable metrics: what the validator refuses, and that a SQL metric counts what the
equivalent structured metric counts (on SQLite and on PostgreSQL)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from billing_console.api import ApplicationError
from customers.services import customer_create
from usage.models import UsageEvent
from usage.selectors import Windows, event_matched_metrics, metric_usage, metric_usage_over
from usage.services import billable_metric_create, usage_ingest
from usage.sql import sql_parse

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)
START = datetime(2026, 3, 1, tzinfo=UTC)
END = datetime(2026, 4, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("sql", "why"),
    [
        ("DROP TABLE usage_usageevent", "SELECT"),
        ("DELETE FROM events", "SELECT"),
        ("UPDATE events SET customer_id = 'x'", "SELECT"),
        ("INSERT INTO events (customer_id) VALUES ('x')", "SELECT"),
        ("SELECT COUNT(*) FROM events; DROP TABLE usage_usageevent", "one statement"),
        ("SELECT COUNT(*) FROM events; SELECT COUNT(*) FROM events", "one statement"),
        ("SELECT COUNT(*) FROM auth_user", "only table"),
        ("SELECT COUNT(*) FROM public.events", "only table"),
        ("SELECT COUNT(*) FROM events JOIN auth_user ON true", "joins"),
        ("SELECT COUNT(*) FROM events UNION SELECT COUNT(*) FROM auth_user", "SELECT"),
        ("WITH e AS (SELECT * FROM events) SELECT COUNT(*) FROM e", "not allowed"),
        ("SELECT customer_id FROM events", "aggregate"),
        ("SELECT properties.tokens FROM events", "aggregate"),
        ("SELECT COUNT(*), SUM(properties.tokens) FROM events", "exactly one value"),
        ("SELECT COUNT(*) FROM events GROUP BY customer_id", "GROUP BY"),
        (
            "SELECT SUM((SELECT COUNT(*) FROM events a WHERE (SELECT COUNT(*) FROM events b "
            "WHERE b.timestamp <= a.timestamp) > 0)) FROM events",
            "level of subquery",
        ),
        ("SELECT pg_sleep(10) + COUNT(*) FROM events", "not allowed"),
        ("SELECT COUNT(*) FROM events WHERE timestamp > now()", "not allowed"),
        ("SELECT SUM(secret) FROM events", "unknown column"),
        ("SELECT COUNT(properties) FROM events", "properties.<name>"),
        ("SELECT COUNT(*) FROM events WHERE customer_id = %s", "placeholder"),
        ("SELECT COUNT(properties['a\"b']) FROM events", "property name"),
        ("SELECT COUNT(*) FROM events LIMIT 1", "LIMIT"),
        ("SELECT COUNT(*) FROM", "parse"),
        ("   ", "SELECT"),
        ("SELECT 1", "FROM events"),
    ],
)
def test_it_refuses_what_is_not_one_aggregate_select_over_events(sql, why):
    with pytest.raises(ApplicationError) as err:
        billable_metric_create(name="bad", sql=sql)
    assert err.value.message.startswith("sql: ")
    assert why.lower() in err.value.message.lower()


def test_sql_excludes_the_structured_fields():
    with pytest.raises(ApplicationError) as err:
        billable_metric_create(
            name="both", sql="SELECT COUNT(*) FROM events", aggregation_type="COUNT"
        )
    assert err.value.message.startswith("sql: cannot be combined with aggregation_type")


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT SUM(properties.tokens) FROM events WHERE event_type = 'completion'",
        "select sum(properties['tokens']) from events where event_type in ('completion')",
        "SELECT SUM(CAST(properties ->> 'tokens' AS DECIMAL)) FROM events e "
        "WHERE e.event_type = 'completion'",
        "SELECT SUM(COALESCE(events.properties.tokens, 0)) FROM events "
        "WHERE event_type = 'completion' AND customer_id IS NOT NULL",
        "SELECT SUM(t) FROM (SELECT CAST(properties.tokens AS NUMERIC) AS t FROM events "
        "WHERE event_type = 'completion') AS s",
    ],
)
def test_sql_metric_equals_the_structured_sum(sql):
    customer = customer_create(name="Acme", ingest_aliases=["acme"])
    events = [
        {"transaction_id": f"t{i}", "customer_id": "acme", "event_type": "completion",
         "timestamp": (NOW - timedelta(hours=i)).isoformat(), "properties": {"tokens": 10 * i + 1}}
        for i in range(5)
    ] + [
        {"transaction_id": "other-type", "customer_id": "acme", "event_type": "embedding",
         "timestamp": NOW.isoformat(), "properties": {"tokens": 1000}},
        {"transaction_id": "not-a-number", "customer_id": "acme", "event_type": "completion",
         "timestamp": NOW.isoformat(), "properties": {"tokens": "lots"}},
        {"transaction_id": "no-tokens", "customer_id": "acme", "event_type": "completion",
         "timestamp": NOW.isoformat(), "properties": {}},
        {"transaction_id": "someone-else", "customer_id": "globex", "event_type": "completion",
         "timestamp": NOW.isoformat(), "properties": {"tokens": 7}},
        {"transaction_id": "last-month", "customer_id": "acme", "event_type": "completion",
         "timestamp": (START - timedelta(hours=1)).isoformat(), "properties": {"tokens": 5}},
    ]  # fmt: skip
    usage_ingest(events=events, now=NOW)
    structured = billable_metric_create(
        name="tokens", event_type_filter={"in_values": ["completion"]},
        aggregation_type="SUM", aggregation_key="tokens",
    )  # fmt: skip
    by_sql = billable_metric_create(name="tokens (sql)", sql=sql)
    assert by_sql.sql == sql.strip() and by_sql.aggregation_type == ""
    args = {"customer": customer, "starting_at": START, "ending_before": END}
    expected = metric_usage(metric=structured, **args)
    assert expected == {(): Decimal(1 + 11 + 21 + 31 + 41)}
    assert metric_usage(metric=by_sql, **args) == expected


def test_sql_metric_by_window_and_count_distinct():
    customer = customer_create(name="Acme", ingest_aliases=["acme"])
    day1, day2 = datetime(2026, 3, 2, 5, tzinfo=UTC), datetime(2026, 3, 4, 9, tzinfo=UTC)
    usage_ingest(
        events=[
            {"transaction_id": f"d{i}", "customer_id": "acme", "event_type": "login",
             "timestamp": (day1 if i < 3 else day2).isoformat(), "properties": {"user": f"u{i % 2}"}}
            for i in range(5)
        ],
        now=NOW,
    )  # fmt: skip
    metric = billable_metric_create(
        name="users", sql="SELECT COUNT(DISTINCT properties.user) FROM events"
    )
    windows = Windows(START, datetime(2026, 3, 8, tzinfo=UTC), "DAY")
    usage = metric_usage(
        metric=metric, customer=customer, starting_at=windows.starting_at,
        ending_before=windows.ending_before, bucket=windows,
    )  # fmt: skip
    assert usage == {
        (datetime(2026, 3, 2, tzinfo=UTC),): Decimal(2),
        (datetime(2026, 3, 4, tzinfo=UTC),): Decimal(2),
    }
    # A period without events: COUNT is 0, not absent.
    empty = metric_usage(
        metric=metric, customer=customer, starting_at=END, ending_before=END + timedelta(days=1)
    )
    assert empty == {(): Decimal(0)}


def test_numeric_comparisons_and_text_properties():
    customer = customer_create(name="Acme", ingest_aliases=["acme"])
    usage_ingest(
        events=[
            {"transaction_id": "a", "customer_id": "acme", "event_type": "req",
             "timestamp": NOW.isoformat(), "properties": {"ms": 120, "region": "eu", "ok": True}},
            {"transaction_id": "b", "customer_id": "acme", "event_type": "req",
             "timestamp": NOW.isoformat(), "properties": {"ms": 80, "region": "us", "ok": False}},
            {"transaction_id": "c", "customer_id": "acme", "event_type": "req",
             "timestamp": NOW.isoformat(), "properties": {"ms": 300, "region": "eu", "ok": True}},
        ],
        now=NOW,
    )  # fmt: skip
    metric = billable_metric_create(
        name="slow eu",
        sql="SELECT COUNT(*) FROM events WHERE properties.ms > 100 AND properties.region = 'eu' "
        "AND properties.ok = 'true'",
    )
    args = {"customer": customer, "starting_at": START, "ending_before": END}
    assert metric_usage(metric=metric, **args) == {(): Decimal(2)}
    average = billable_metric_create(
        name="avg", sql="SELECT MAX(properties.ms) - MIN(properties.ms) FROM events"
    )
    assert metric_usage(metric=average, **args) == {(): Decimal(220)}
    # Event search: a SQL metric matches the events its WHERE lets through.
    events = list(UsageEvent.objects.order_by("transaction_id"))
    matched = event_matched_metrics(events)
    assert [[m.name for m in matched[e.pk]] for e in events] == [
        ["avg", "slow eu"],
        ["avg"],
        ["avg", "slow eu"],
    ]


def test_literals_with_percent_signs_and_quotes_are_not_parameters():
    customer = customer_create(name="Acme", ingest_aliases=["acme"])
    usage_ingest(
        events=[{"transaction_id": "p", "customer_id": "acme", "event_type": "50% off",
                 "timestamp": NOW.isoformat(), "properties": {"it's": "x"}}],
        now=NOW,
    )  # fmt: skip
    metric = billable_metric_create(
        name="pct", sql="SELECT COUNT(*) FROM events WHERE event_type LIKE '%\\%%' ESCAPE '\\'"
    )
    assert metric_usage(metric=metric, customer=customer, starting_at=START, ending_before=END) == {
        (): Decimal(1)
    }
    quoted = billable_metric_create(
        name="quoted", sql="SELECT COUNT(properties['it''s']) FROM events -- a comment"
    )
    assert metric_usage(metric=quoted, customer=customer, starting_at=START, ending_before=END) == {
        (): Decimal(1)
    }
    assert sql_parse("SELECT COUNT(*) FROM events;") is not None


def test_unquoted_names_fold_but_property_keys_keep_their_case():
    customer = customer_create(name="Acme", ingest_aliases=["acme"])
    usage_ingest(
        events=[{"transaction_id": "k", "customer_id": "acme", "event_type": "call",
                 "timestamp": NOW.isoformat(), "properties": {"userTokens": 4, "usertokens": 100}}],
        now=NOW,
    )  # fmt: skip
    metric = billable_metric_create(
        name="camel", sql="SELECT SUM(E.Properties.userTokens) AS Total FROM Events E "
        "WHERE E.Event_Type = 'call'",
    )  # fmt: skip
    assert metric_usage(metric=metric, customer=customer, starting_at=START, ending_before=END) == {
        (): Decimal(4)
    }


def test_sql_metric_over_events_that_are_not_stored():
    metric = billable_metric_create(
        name="tokens", sql="SELECT SUM(properties.tokens) FROM events WHERE event_type = 'c'"
    )
    events = [
        {"transaction_id": "x", "customer_id": "acme", "event_type": "c", "timestamp": NOW,
         "properties": {"tokens": 2}},
        {"transaction_id": "y", "customer_id": "acme", "event_type": "c", "timestamp": NOW,
         "properties": {"tokens": 3, "note": "it's 100%"}},
        {"transaction_id": "z", "customer_id": "acme", "event_type": "d", "timestamp": NOW,
         "properties": {"tokens": 50}},
    ]  # fmt: skip
    assert metric_usage_over(metric=metric, events=events) == {(): Decimal(5)}
    assert metric_usage_over(metric=metric, events=events, group_by=["region"]) == {
        (None,): Decimal(5)
    }
    assert metric_usage_over(metric=metric, events=[]) == {}
    assert not UsageEvent.objects.exists()
