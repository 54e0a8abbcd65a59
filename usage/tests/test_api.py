"""Usage endpoints through the official metronome-sdk against a live server."""

from datetime import UTC, datetime, timedelta

import metronome
import pytest
from django.utils import timezone

from contracts.services import contract_create
from customers.services import customer_create
from pricing.services import product_create, rate_add, rate_card_create
from usage.models import BillableMetric, UsageEvent

pytestmark = pytest.mark.sdk

# Events must be within the last 34 days: work three days back from today's UTC midnight.
TODAY = timezone.now().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
DAY1 = TODAY - timedelta(days=3)
DAY2 = TODAY - timedelta(days=2)


def ev(tid: str, at: datetime, customer: str = "acme", event_type: str = "call", **props) -> dict:
    return {"transaction_id": tid, "customer_id": customer, "event_type": event_type,
            "timestamp": at.isoformat().replace("+00:00", "Z"), "properties": props}  # fmt: skip


@pytest.fixture
def acme(db):
    return customer_create(name="Acme", ingest_aliases=["acme"])


@pytest.fixture
def tokens(sdk) -> str:
    return sdk.v1.billable_metrics.create(
        name="Tokens",
        event_type_filter={"in_values": ["completion"]},
        aggregation_type="SUM",
        aggregation_key="tokens",
        property_filters=[{"name": "region", "exists": True}],
        group_keys=[["region"], ["region", "model"]],
    ).data.id


def test_ingest_is_accepted_with_an_empty_body_and_stored_once(sdk, acme):
    events = [ev("t1", DAY1 + timedelta(hours=1)), ev("t2", DAY1 + timedelta(hours=2))]
    assert sdk.v1.usage.ingest(usage=events) is None
    assert sdk.v1.usage.ingest(usage=[events[0], ev("t3", DAY2)]) is None  # t1 again
    assert sorted(UsageEvent.objects.values_list("transaction_id", flat=True)) == [
        "t1",
        "t2",
        "t3",
    ]
    raw = sdk.v1.usage.with_raw_response.ingest(usage=[events[1]])
    assert raw.status_code == 200 and raw.http_response.content == b""


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"customer_id": None}, "usage[1].customer_id"),
        ({"timestamp": "not a time"}, "usage[1].timestamp"),
        ({"timestamp": "2020-01-01T00:00:00Z"}, "usage[1].timestamp"),
    ],
)
def test_ingest_rejects_the_whole_request_naming_the_event(sdk, change, field):
    bad = {k: v for k, v in {**ev("b", DAY1), **change}.items() if v is not None}
    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.usage.ingest(usage=[ev("good", DAY1), bad])
    assert err.value.body["message"].startswith(f"{field}:")
    assert not UsageEvent.objects.exists()


def test_ingest_refuses_more_than_100_events(sdk):
    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.usage.ingest(usage=[ev(f"e{i}", DAY1) for i in range(101)])
    assert err.value.body["message"].startswith("usage: send between 1 and 100 events")
    assert not UsageEvent.objects.exists()


def test_billable_metric_crud_round_trip(sdk, tokens):
    metric = sdk.v1.billable_metrics.retrieve(billable_metric_id=tokens).data
    assert metric.name == "Tokens"
    assert metric.aggregation_type == "SUM" and metric.aggregation_key == "tokens"
    assert metric.event_type_filter.in_values == ["completion"]
    assert metric.property_filters[0].name == "region" and metric.property_filters[0].exists
    assert metric.group_keys == [["region"], ["region", "model"]]
    assert metric.archived_at is None and metric.sql is None

    sql_id = sdk.v1.billable_metrics.create(
        name="SQL tokens", sql="SELECT SUM(properties.tokens) FROM events"
    ).data.id
    sql_metric = sdk.v1.billable_metrics.retrieve(billable_metric_id=sql_id).data
    assert sql_metric.sql == "SELECT SUM(properties.tokens) FROM events"
    assert sql_metric.aggregation_type is None

    assert sdk.v1.billable_metrics.update(billable_metric_id=tokens, name="LLM tokens").data.id == (
        tokens
    )
    listed = {m.id: m.name for m in sdk.v1.billable_metrics.list(limit=1)}  # auto-paginates
    assert listed == {tokens: "LLM tokens", sql_id: "SQL tokens"}

    assert sdk.v1.billable_metrics.archive(id=sql_id).data.id == sql_id
    assert [m.id for m in sdk.v1.billable_metrics.list()] == [tokens]
    archived = [m for m in sdk.v1.billable_metrics.list(include_archived=True) if m.id == sql_id]
    assert archived[0].archived_at is not None

    with pytest.raises(metronome.NotFoundError):
        sdk.v1.billable_metrics.retrieve(billable_metric_id="6f1c4a0e-0000-4000-8000-000000000000")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"sql": "DROP TABLE usage_usageevent"}, "sql: must be a SELECT statement"),
        ({"sql": "SELECT COUNT(*) FROM auth_user"}, "sql: the only table is 'events'"),
        ({"sql": "SELECT customer_id FROM events"}, "sql: must aggregate"),
        ({"sql": "SELECT COUNT(*) FROM events; SELECT 1"}, "sql: must be exactly one statement"),
        ({"aggregation_type": "SUM"}, "aggregation_key: is required for SUM"),
        ({"aggregation_type": "COUNT", "property_filters": [{}]}, "property_filters[0].name"),
    ],
)
def test_invalid_metric_is_bad_request_naming_the_field(sdk, fields, message):
    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.billable_metrics.create(name="bad", **fields)
    assert err.value.body["message"].startswith(message)
    assert not BillableMetric.objects.exists()


def test_usage_list_sums_per_day_window_and_per_group(sdk, acme, tokens):
    other = customer_create(name="Globex", ingest_aliases=["globex"])
    sdk.v1.usage.ingest(
        usage=[
            ev("a", DAY1 + timedelta(hours=1), event_type="completion", tokens=10, region="eu"),
            ev("b", DAY1 + timedelta(hours=5), event_type="completion", tokens=5, region="us"),
            ev("a", DAY1 + timedelta(hours=6), event_type="completion", tokens=99, region="us"),
            ev("c", DAY2 + timedelta(hours=3), event_type="completion", tokens=7, region="eu"),
            ev("d", DAY2, event_type="completion", tokens=1000),  # no region: filtered out
            ev("e", DAY2, customer="globex", event_type="completion", tokens=1, region="eu"),
        ]
    )
    rows = list(
        sdk.v1.usage.list(
            starting_on=DAY1, ending_before=TODAY, window_size="DAY",
            customer_ids=[str(acme.public_id)], billable_metrics=[{"id": tokens}],
        )
    )  # fmt: skip
    assert [(r.start_timestamp, r.end_timestamp, r.value) for r in rows] == [
        (DAY1, DAY2, 15),
        (DAY2, DAY2 + timedelta(days=1), 7),
        (DAY2 + timedelta(days=1), TODAY, 0),
    ]
    assert {(r.customer_id, r.billable_metric_id, r.billable_metric_name) for r in rows} == {
        (str(acme.public_id), tokens, "Tokens")
    }

    grouped = list(
        sdk.v1.usage.list(
            starting_on=DAY1, ending_before=TODAY, window_size="NONE",
            billable_metrics=[{"id": tokens, "group_by": {"key": "region"}}],
        )
    )  # fmt: skip
    by_customer = {r.customer_id: (r.value, r.groups) for r in grouped}
    assert by_customer == {
        str(acme.public_id): (22, {"eu": 17, "us": 5}),
        str(other.public_id): (1, {"eu": 1}),
    }
    chosen = list(
        sdk.v1.usage.list(
            starting_on=DAY1, ending_before=TODAY, window_size="NONE",
            customer_ids=[str(acme.public_id)],
            billable_metrics=[{"id": tokens, "group_by": {"key": "region", "values": ["us", "apac"]}}],
        )
    )  # fmt: skip
    assert chosen[0].groups == {"us": 5, "apac": None}

    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.usage.list(
            starting_on=DAY1 + timedelta(hours=1), ending_before=TODAY, window_size="DAY"
        )
    assert err.value.body["message"].startswith("starting_on: must fall on UTC midnight")
    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.usage.list(
            starting_on=DAY1, ending_before=TODAY, window_size="DAY",
            billable_metrics=[{"id": tokens, "group_by": {"key": "color"}}],
        )  # fmt: skip
    assert err.value.body["message"].startswith("billable_metrics[0].group_by.key:")


def test_usage_list_pages_through_customers_and_metrics(sdk, tokens):
    customers = [customer_create(name=f"C{i}", ingest_aliases=[f"c{i}"]) for i in range(3)]
    page = sdk.v1.usage.list(
        starting_on=TODAY - timedelta(days=20), ending_before=TODAY, window_size="HOUR"
    )
    assert len(page.data) == 960 and page.next_page  # 2 series of 480 hours per page
    rows = list(
        sdk.v1.usage.list(
            starting_on=TODAY - timedelta(days=20), ending_before=TODAY, window_size="HOUR"
        )
    )
    assert len(rows) == 3 * 480
    assert [rows[i * 480].customer_id for i in range(3)] == [str(c.public_id) for c in customers]


def test_usage_list_with_groups(sdk, acme, tokens):
    sdk.v1.usage.ingest(
        usage=[
            ev("a", DAY1, event_type="completion", tokens=10, region="eu", model="small"),
            ev("b", DAY1, event_type="completion", tokens=5, region="us", model="small"),
            ev("c", DAY2, event_type="completion", tokens=7, region="eu", model="large"),
            ev("d", DAY2, event_type="completion", tokens=1, region="eu", model="small"),
        ]
    )
    common = {
        "billable_metric_id": tokens, "customer_id": str(acme.public_id),
        "starting_on": DAY1, "ending_before": DAY2 + timedelta(days=1),
    }  # fmt: skip
    rows = list(sdk.v1.usage.list_with_groups(window_size="DAY", group_key=["region"], **common))
    assert [(r.starting_on, r.group, r.group_key, r.group_value, r.value) for r in rows] == [
        (DAY1, {"region": "eu"}, "region", "eu", 10),
        (DAY1, {"region": "us"}, "region", "us", 5),
        (DAY2, {"region": "eu"}, "region", "eu", 8),
    ]
    compound = list(
        sdk.v1.usage.list_with_groups(
            window_size="NONE", group_key=["region", "model"],
            group_filters={"region": ["eu"]}, limit=1, **common,
        )
    )  # fmt: skip
    assert [(r.group, r.value) for r in compound] == [
        ({"region": "eu", "model": "large"}, 7),
        ({"region": "eu", "model": "small"}, 11),
    ]
    legacy = list(
        sdk.v1.usage.list_with_groups(
            window_size="NONE", group_by={"key": "region", "values": ["us", "apac"]}, **common
        )
    )
    assert [(r.group_value, r.value) for r in legacy] == [("apac", None), ("us", 5)]
    total = list(sdk.v1.usage.list_with_groups(window_size="NONE", **common))
    assert [(r.group, r.value) for r in total] == [(None, 23)]

    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.usage.list_with_groups(window_size="NONE", group_key=["model"], **common)
    assert err.value.body["message"].startswith("group_key: model is not a group key")


def test_events_search_shows_customer_and_matched_metrics(sdk, acme, tokens):
    calls = sdk.v1.billable_metrics.create(
        name="Calls", event_type_filter={"in_values": ["call"]}, aggregation_type="COUNT"
    ).data.id
    sql_id = sdk.v1.billable_metrics.create(
        name="EU (sql)", sql="SELECT COUNT(*) FROM events WHERE properties.region = 'eu'"
    ).data.id
    sdk.v1.usage.ingest(
        usage=[
            ev("s1", DAY1, event_type="completion", tokens=3, region="eu"),
            ev("s2", DAY2, customer="stranger"),
        ]
    )
    found = sdk.v1.usage.search(transaction_ids=["s1", "s2", "missing"])
    assert [e.transaction_id for e in found] == ["s1", "s2"]
    first, second = found
    assert first.customer_id == "acme" and first.event_type == "completion"
    assert first.timestamp == DAY1 and first.properties == {"tokens": 3, "region": "eu"}
    assert first.matched_customer.id == str(acme.public_id)
    assert first.matched_customer.name == "Acme"
    assert {(m.id, m.aggregation_type) for m in first.matched_billable_metrics} == {
        (tokens, "SUM"),
        (sql_id, "custom_sql"),
    }
    assert first.is_duplicate is False and first.processed_at is not None and first.id
    assert second.matched_customer is None
    assert [m.id for m in second.matched_billable_metrics] == [calls]


def test_customer_billable_metrics_are_those_priced_on_its_contracts(sdk, acme, tokens):
    calls = BillableMetric.objects.create(name="Calls", aggregation_type="COUNT")
    product = product_create(
        name="Tokens", type="USAGE", billable_metric=BillableMetric.objects.get(name="Tokens")
    )
    product_create(name="Calls", type="USAGE", billable_metric=calls)  # not on the rate card
    card = rate_card_create(name="Standard")
    rate_add(rate_card=card, product=product, starting_at=TODAY - timedelta(days=30),
             rate_type="FLAT", price=2)  # fmt: skip
    assert list(sdk.v1.customers.list_billable_metrics(customer_id=str(acme.public_id))) == []
    contract_create(
        customer=acme,
        data={
            "starting_at": (TODAY - timedelta(days=30)).isoformat().replace("+00:00", "Z"),
            "rate_card_id": str(card.public_id),
            "usage_statement_schedule": {"frequency": "MONTHLY"},
        },
    )
    listed = list(
        sdk.v1.customers.list_billable_metrics(
            customer_id=str(acme.public_id), on_current_plan=True
        )
    )
    assert [(m.id, m.name, m.aggregation_type) for m in listed] == [(tokens, "Tokens", "SUM")]
    with pytest.raises(metronome.NotFoundError):
        sdk.v1.customers.list_billable_metrics(customer_id="6f1c4a0e-0000-4000-8000-000000000000")


def test_ingest_body_must_be_an_array_and_search_skips_events_older_than_34_days(api, acme):
    response = api.post("/v1/ingest", {"usage": [ev("x", DAY1)]}, format="json")
    assert response.status_code == 400
    assert response.json() == {"message": "usage: must be a list of events."}
    assert (
        api.post("/v1/ingest", [ev("old", DAY1), ev("new", DAY2)], format="json").status_code == 200
    )
    UsageEvent.objects.filter(transaction_id="old").update(timestamp=TODAY - timedelta(days=40))
    response = api.post("/v1/events/search", {"transactionIds": ["old", "new"]}, format="json")
    assert [e["transaction_id"] for e in response.json()] == ["new"]
    response = api.post("/v1/events/search", {"transaction_ids": ["new"]}, format="json")
    assert response.status_code == 200 and len(response.json()) == 1
