"""Credit grant (Metronome 1.0) alerts through the official metronome-sdk: what remains on the
customer's credit grants in effect, filtered by credit_grant_type_filters. Tasks run inline, so
an ingest evaluates before the SDK call returns."""

from datetime import UTC, datetime
from decimal import Decimal

import metronome
import pytest

from alerts.models import CustomerAlert
from alerts.tests.factories import published, spend_world
from pricing.products import credit_type_get_default

pytestmark = pytest.mark.sdk


@pytest.fixture
def world(transactional_db):
    return spend_world(price=100)  # calls at $1.00 (100 cents) each, a contract from JAN 2026


def _ingest(sdk, count: int, *, prefix: str) -> None:
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    sdk.v1.usage.ingest(usage=[
        {"transaction_id": f"{prefix}-{i}", "customer_id": "acme", "event_type": "call",
         "timestamp": now}
        for i in range(count)
    ])  # fmt: skip


def _grant(sdk, world, grant_type: str, priority: int) -> str:
    usd = str(credit_type_get_default().public_id)
    return sdk.v1.credit_grants.create(
        customer_id=str(world.customer.public_id), name=f"{grant_type} grant",
        grant_amount={"amount": 1000, "credit_type_id": usd},
        paid_amount={"amount": 0, "credit_type_id": usd}, priority=priority,
        credit_grant_type=grant_type, effective_at="2026-01-01T00:00:00Z",
        expires_at="2030-01-01T00:00:00Z",
    ).data.id  # fmt: skip


def _value(alert_id: str) -> Decimal | None:
    return CustomerAlert.objects.get(alert__public_id=alert_id).value


def test_credit_grant_type_filters_pick_the_grants_read(sdk, world):
    customer_id = str(world.customer.public_id)
    _grant(sdk, world, "PAID", priority=1)  # lower priority draws first
    _grant(sdk, world, "PROMO", priority=2)
    promo = sdk.v1.alerts.create(
        alert_type="low_credit_balance_reached", name="Promo under $5", threshold=500,
        customer_id=customer_id, credit_grant_type_filters=["PROMO"],
    ).data.id  # fmt: skip
    every = sdk.v1.alerts.create(
        alert_type="low_credit_balance_reached", name="All grants under $15", threshold=1500,
    ).data.id  # fmt: skip
    percent = sdk.v1.alerts.create(
        alert_type="low_remaining_credit_percentage_reached", name="Promo under half",
        threshold=50, credit_grant_type_filters=["PROMO"],
    ).data.id  # fmt: skip
    got = sdk.v1.customers.alerts.retrieve(alert_id=promo, customer_id=customer_id).data
    assert got.customer_status == "ok" and _value(promo) == 1000
    assert got.alert.type == "low_credit_balance_reached" and got.alert.threshold == 500
    assert got.alert.credit_grant_type_filters == ["PROMO"]
    assert got.alert.credit_type.name == "USD (cents)"

    _ingest(sdk, 6, prefix="paid")  # $6.00 from the PAID grant: 400 cents left there, under 500
    got = sdk.v1.customers.alerts.retrieve(alert_id=promo, customer_id=customer_id).data
    assert got.customer_status == "ok" and _value(promo) == 1000  # PROMO untouched
    assert _value(every) == 1400  # no filter: both grants
    assert not published("alerts.low_credit_balance_reached") or all(
        e.payload["alert_id"] != promo for e in published("alerts.low_credit_balance_reached")
    )

    _ingest(sdk, 10, prefix="promo")  # $4.00 more from PAID, then $6.00 from PROMO: 400 left
    got = sdk.v1.customers.alerts.retrieve(alert_id=promo, customer_id=customer_id).data
    assert (got.customer_status, got.triggered_by) == ("in_alarm", "usage")
    assert _value(promo) == 400 and _value(percent) == 40
    statuses = {
        e.alert.id: (e.customer_status, e.alert.credit_grant_type_filters)
        for e in sdk.v1.customers.alerts.list(customer_id=customer_id)
    }
    assert statuses == {
        promo: ("in_alarm", ["PROMO"]), every: ("in_alarm", None), percent: ("in_alarm", ["PROMO"]),
    }  # fmt: skip
    [event] = [
        e for e in published("alerts.low_credit_balance_reached") if e.payload["alert_id"] == promo
    ]
    assert event.payload["remaining_balance"] == 400 and event.payload["threshold"] == 500
    [pct] = published("alerts.low_remaining_credit_percentage_reached")
    assert pct.payload["remaining_percentage"] == 40


@pytest.mark.parametrize(
    "alert_type",
    ["spend_threshold_reached", "low_remaining_contract_credit_balance_reached"],
)
def test_credit_grant_type_filters_refused_on_other_types(sdk, world, alert_type):
    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.alerts.create(
            alert_type=alert_type, name="x", threshold=1, credit_grant_type_filters=["PROMO"]
        )
    assert err.value.body["message"].startswith(
        "credit_grant_type_filters: only low_credit_balance_reached, "
        "low_remaining_credit_percentage_reached alerts take this field."
    )


def test_custom_field_filters_refused_on_credit_grant_alerts(sdk, world):
    """Grants carry no contract or commit custom fields: a filter would be ignored, so no."""
    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.alerts.create(
            alert_type="low_credit_balance_reached", name="x", threshold=1,
            custom_field_filters=[{"entity": "Contract", "key": "tier", "value": "gold"}],
        )  # fmt: skip
    assert err.value.body["message"].startswith("custom_field_filters[0].entity: credit grant")
