"""seat_filter on balance alerts: the balance read is that seat's own commits and credits (an
INDIVIDUAL seat allocation), one balance per seat with a key alone; the customer-alert get
picks a seat's state. And what the API refuses on create: credit_grant_type_filters (credit
grant alerts' only) and a filter entity outside the SDK's enum."""

from datetime import timedelta
from decimal import Decimal

import metronome
import pytest
import time_machine

from alerts.measure import measure
from alerts.models import Alert
from alerts.services import alert_create
from alerts.snapshot import CustomerSnapshot
from alerts.tests.factories import published
from contracts.terms.ledger import ledger_manual_add
from contracts.tests.seat_world import JAN, seat_world

LOW_CREDIT = "low_remaining_contract_credit_balance_reached"
NOW = JAN + timedelta(days=10)


def _draw(world, seat: str, amount: int) -> None:
    commit = world.seats[seat]
    ledger_manual_add(
        commit=commit, segment=commit.segments.get(), amount=Decimal(amount), reason="used"
    )


def _alert(world, **fields) -> Alert:
    return alert_create(data={
        "alert_type": LOW_CREDIT, "name": "Seat credit low", "threshold": 500,
        "customer_id": str(world.customer.public_id), "evaluate_on_create": False, **fields,
    })  # fmt: skip


def _measured(alert: Alert, world) -> list[tuple[str, Decimal, bool]]:
    snapshot = CustomerSnapshot(world.customer, NOW)
    return [(m.scope, m.value, m.in_alarm) for m in measure(alert, snapshot)]


@pytest.mark.django_db
def test_a_seat_filter_reads_that_seats_balance_only():
    world = seat_world()
    _draw(world, "u1", -600)  # u1: 1000 - 600 = 400 left, under 500; u2 untouched
    one_seat = _alert(world, seat_filter={"seat_group_key": "user_id", "seat_group_value": "u1"})
    other_seat = _alert(world, seat_filter={"seat_group_key": "user_id", "seat_group_value": "u2"})
    each_seat = _alert(world, seat_filter={"seat_group_key": "user_id"})
    whole = _alert(world)
    assert _measured(one_seat, world) == [("user_id=u1", Decimal(400), True)]
    assert _measured(other_seat, world) == [("user_id=u2", Decimal(1000), False)]
    assert _measured(each_seat, world) == [
        ("user_id=u1", Decimal(400), True), ("user_id=u2", Decimal(1000), False)
    ]  # fmt: skip
    assert _measured(whole, world) == [("", Decimal(1400), False)]  # pooled view: no alarm
    unknown = _alert(world, seat_filter={"seat_group_key": "team_id"})
    assert _measured(unknown, world) == []  # no commit is a seat of that key


@pytest.mark.sdk
def test_seat_filter_through_the_sdk(sdk):
    with time_machine.travel(NOW):
        world = seat_world()
        customer_id = str(world.customer.public_id)
        _draw(world, "u1", -600)
        seat = {"seat_group_key": "user_id", "seat_group_value": "u1"}
        alert_id = sdk.v1.alerts.create(
            alert_type=LOW_CREDIT, name="u1 credit low", threshold=500, customer_id=customer_id,
            seat_filter=seat,
        ).data.id  # fmt: skip
        got = sdk.v1.customers.alerts.retrieve(alert_id=alert_id, customer_id=customer_id).data
        assert got.customer_status == "in_alarm"
        assert got.alert.seat_filter.model_dump() == seat
        assert len(published(f"alerts.{LOW_CREDIT}")) == 1

        per_seat = sdk.v1.alerts.create(
            alert_type=LOW_CREDIT, name="Any seat low", threshold=500, customer_id=customer_id,
            seat_filter={"seat_group_key": "user_id"},
        ).data.id  # fmt: skip
        states = {}
        for seat_id in ("u1", "u2"):
            state = sdk.v1.customers.alerts.retrieve(
                alert_id=per_seat, customer_id=customer_id,
                seat_filter={"seat_group_key": "user_id", "seat_group_value": seat_id},
            ).data  # fmt: skip
            states[seat_id] = (state.customer_status, state.alert.seat_filter.seat_group_value)
        assert states == {"u1": ("in_alarm", "u1"), "u2": ("ok", "u2")}
        listed = list(sdk.v1.customers.alerts.list(customer_id=customer_id))
        assert sorted(
            (e.alert.id == per_seat, e.alert.seat_filter.seat_group_value, e.customer_status)
            for e in listed
        ) == [(False, "u1", "in_alarm"), (True, "u1", "in_alarm"), (True, "u2", "ok")]

        with pytest.raises(metronome.BadRequestError) as err:
            sdk.v1.customers.alerts.retrieve(
                alert_id=per_seat, customer_id=customer_id, seat_filter={"seat_group_key": "x"}
            )
        assert err.value.body["message"] == (
            "seat_filter.seat_group_key: the alert is scoped to seat group key 'user_id'."
        )
        whole = sdk.v1.alerts.create(
            alert_type=LOW_CREDIT, name="All credit", threshold=1, customer_id=customer_id
        ).data.id
        with pytest.raises(metronome.BadRequestError) as err:
            sdk.v1.customers.alerts.retrieve(
                alert_id=whole, customer_id=customer_id, seat_filter={"seat_group_key": "user_id"}
            )
        assert err.value.body["message"].startswith("seat_filter: the alert is not scoped")


@pytest.mark.sdk
@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"alert_type": "spend_threshold_reached", "seat_filter": {"seat_group_key": "user_id"}},
         "seat_filter: only low_remaining_"),
        ({"alert_type": LOW_CREDIT, "seat_filter": {"seat_group_value": "u1"}},
         "seat_filter.seat_group_key: is required."),
        ({"alert_type": LOW_CREDIT, "credit_grant_type_filters": ["promo"]},
         "credit_grant_type_filters: only low_credit_balance_reached, "
         "low_remaining_credit_percentage_reached alerts take this field."),
        ({"alert_type": "spend_threshold_reached",
          "custom_field_filters": [{"entity": "Customer", "key": "tier", "value": "gold"}]},
         "custom_field_filters[0].entity: must be one of Contract, Commit, ContractCredit, "
         "ContractCreditOrCommit."),
    ],
)  # fmt: skip
def test_create_refuses_naming_the_field(sdk, db, fields, message):
    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.alerts.create(name="x", threshold=1, **fields)
    assert err.value.body["message"].startswith(message)
    assert not Alert.objects.exists()
