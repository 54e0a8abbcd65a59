"""What Metronome accepts with parts left out, through the official metronome-sdk: an empty
ingest, usage/groups over the current billing period (current_period, or no starting_on), and a
billable metric without an aggregation (the error names what is missing)."""

from datetime import UTC, timedelta

import httpx
import metronome
import pytest
from django.utils import timezone

from contracts.services import contract_create
from customers.services import customer_create
from pricing.services import rate_card_create
from usage.models import BillableMetric, UsageEvent

pytestmark = pytest.mark.sdk

TODAY = timezone.now().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
DAY1 = TODAY - timedelta(days=3)  # events must be within the last 34 days
DAY2 = TODAY - timedelta(days=2)


def _z(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _ev(tid: str, at, **props) -> dict:
    return {"transaction_id": tid, "customer_id": "acme", "event_type": "completion",
            "timestamp": _z(at), "properties": props}  # fmt: skip


@pytest.fixture
def acme(db):
    return customer_create(name="Acme", ingest_aliases=["acme"])


@pytest.fixture
def tokens(sdk) -> str:
    return sdk.v1.billable_metrics.create(
        name="Tokens", event_type_filter={"in_values": ["completion"]}, aggregation_type="SUM",
        aggregation_key="tokens", group_keys=[["region"]],
    ).data.id  # fmt: skip


def test_empty_ingest_is_acknowledged_and_stores_nothing(sdk, live_server, api_token):
    assert sdk.v1.usage.ingest() is None  # the SDK sends no body
    raw = sdk.v1.usage.with_raw_response.ingest(usage=[])
    assert raw.status_code == 200 and raw.http_response.content == b""
    auth = {"Authorization": f"Bearer {api_token}"}
    bare = httpx.post(f"{live_server.url}/v1/ingest", headers=auth)  # no body, no content type
    assert (bare.status_code, bare.content) == (200, b"")
    assert not UsageEvent.objects.exists()
    anonymous = httpx.post(f"{live_server.url}/v1/ingest", json=[])
    assert anonymous.status_code == 401  # still a token first


def test_metric_without_aggregation_says_it_is_required_unless_sql(sdk):
    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.billable_metrics.create(name="Name only")
    assert err.value.body["message"] == (
        "aggregation_type: is required unless sql is given (one of COUNT, SUM, MAX, UNIQUE, "
        "LATEST)."
    )
    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.billable_metrics.create(name="Odd", aggregation_type="AVG")  # type: ignore[arg-type]
    assert err.value.body["message"] == 'aggregation_type: "AVG" is not a valid choice.'
    assert not BillableMetric.objects.exists()


def test_usage_groups_over_the_current_billing_period(sdk, acme, tokens):
    customer_id = str(acme.public_id)
    common = {"billable_metric_id": tokens, "customer_id": customer_id}
    with pytest.raises(metronome.BadRequestError) as err:  # no contract: no billing period
        sdk.v1.usage.list_with_groups(window_size="NONE", current_period=True, **common)
    assert err.value.body["message"].startswith(
        f"current_period: customer {customer_id} has no contract in force"
    )
    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.usage.list_with_groups(window_size="NONE", **common)
    assert err.value.body["message"].startswith("starting_on: customer")

    contract_create(customer=acme, data={
        "starting_at": _z(DAY1), "rate_card_id": str(rate_card_create(name="Card").public_id),
        "usage_statement_schedule": {"frequency": "WEEKLY"},
    })  # fmt: skip
    sdk.v1.usage.ingest(usage=[
        _ev("before", DAY1 - timedelta(hours=1), tokens=100, region="eu"),  # last period
        _ev("a", DAY1 + timedelta(hours=1), tokens=10, region="eu"),
        _ev("b", DAY2 + timedelta(hours=3), tokens=5, region="us"),
    ])  # fmt: skip
    week = DAY1 + timedelta(days=7)  # the current period: [DAY1, DAY1 + 7 days)
    rows = list(sdk.v1.usage.list_with_groups(window_size="NONE", current_period=True, **common))
    assert [(r.starting_on, r.ending_before, r.value) for r in rows] == [(DAY1, week, 15)]
    grouped = list(sdk.v1.usage.list_with_groups(
        window_size="DAY", current_period=True, group_key=["region"], **common,
    ))  # fmt: skip
    assert [(r.starting_on, r.group_value, r.value) for r in grouped] == [
        (DAY1, "eu", 10), (DAY2, "us", 5),
    ]  # fmt: skip
    no_start = list(sdk.v1.usage.list_with_groups(window_size="NONE", **common))
    assert [(r.starting_on, r.ending_before, r.value) for r in no_start] == [(DAY1, week, 15)]
    until = list(sdk.v1.usage.list_with_groups(window_size="NONE", ending_before=DAY2, **common))
    assert [(r.starting_on, r.ending_before, r.value) for r in until] == [(DAY1, DAY2, 10)]
    with pytest.raises(metronome.BadRequestError) as err:  # Metronome: one or the other
        sdk.v1.usage.list_with_groups(
            window_size="NONE", current_period=True, starting_on=DAY1, **common
        )
    assert err.value.body["message"] == "starting_on: cannot be combined with current_period."
