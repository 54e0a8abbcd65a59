"""The commit and credit alert types beyond the balance ones: what remains as a percentage of
the access in force, the days left in the segment in force, and the seat balance (which needs a
seat_filter). Hand-worked on the seat world: two seats, each with a $10.00 credit for January."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine

from alerts.measure import measure
from alerts.models import Alert
from alerts.services import alert_create
from alerts.snapshot import CustomerSnapshot
from alerts.tests.factories import published
from billing_console.api import ApplicationError
from contracts.terms.ledger import ledger_manual_add
from contracts.tests.seat_world import JAN, seat_world

NOW = JAN + timedelta(days=10)  # Jan 11: 21 days before the credits' segment ends on Feb 1
CREDIT_PERCENT = "low_remaining_contract_credit_percentage_reached"
BOTH_PERCENT = "low_remaining_contract_credit_and_commit_percentage_reached"
COMMIT_PERCENT = "low_remaining_commit_percentage_reached"
CREDIT_DAYS = "low_remaining_days_for_contract_credit_segment_reached"
COMMIT_DAYS = "low_remaining_days_for_commit_segment_reached"
SEAT = "low_remaining_seat_balance_reached"


def _draw(world, seat: str, amount: int) -> None:
    commit = world.seats[seat]
    ledger_manual_add(
        commit=commit, segment=commit.segments.get(), amount=Decimal(amount), reason="used"
    )


def _alert(world, alert_type: str, threshold, **fields) -> Alert:
    return alert_create(data={
        "alert_type": alert_type, "name": "Low", "threshold": threshold,
        "customer_id": str(world.customer.public_id), "evaluate_on_create": False, **fields,
    })  # fmt: skip


def _measured(alert: Alert, world) -> list[tuple[str, Decimal, bool]]:
    return [
        (m.scope, m.value, m.in_alarm)
        for m in measure(alert, CustomerSnapshot(world.customer, NOW))
    ]


@pytest.mark.django_db
def test_percentage_is_what_remains_over_the_access_in_force():
    world = seat_world()
    _draw(world, "u1", -750)  # u1: $2.50 of $10.00 left; u2: $10.00 of $10.00
    whole = _alert(world, CREDIT_PERCENT, 70)
    # ($2.50 + $10.00) / ($10.00 + $10.00) = 62.5% <= 70: in alarm
    assert _measured(whole, world) == [("", Decimal("62.5000"), True)]
    per_seat = _alert(world, BOTH_PERCENT, 30, seat_filter={"seat_group_key": "user_id"})
    assert _measured(per_seat, world) == [
        ("user_id=u1", Decimal("25.0000"), True), ("user_id=u2", Decimal("100.0000"), False),
    ]  # fmt: skip
    # No prepaid commit is in force: nothing to be a percentage of, no measurement (no alarm).
    assert _measured(_alert(world, COMMIT_PERCENT, 50), world) == []


@pytest.mark.django_db
def test_days_left_in_the_segment_in_force():
    world = seat_world()
    days = _alert(world, CREDIT_DAYS, 21)
    assert _measured(days, world) == [("", Decimal("21.00"), True)]  # Jan 11 -> Feb 1
    not_yet = _alert(world, CREDIT_DAYS, 20)
    assert _measured(not_yet, world) == [("", Decimal("21.00"), False)]
    assert _measured(_alert(world, COMMIT_DAYS, 30), world) == []  # no commit in force


@pytest.mark.django_db
def test_seat_balance_needs_a_seat_filter_and_reads_that_seat():
    world = seat_world()
    _draw(world, "u2", -900)
    with pytest.raises(ApplicationError, match="seat_filter: is required"):
        _alert(world, SEAT, 200)
    seat = _alert(
        world, SEAT, 200, seat_filter={"seat_group_key": "user_id", "seat_group_value": "u2"}
    )
    assert _measured(seat, world) == [("user_id=u2", Decimal(100), True)]


@pytest.mark.django_db
def test_fields_only_some_types_take_are_refused_elsewhere():
    world = seat_world()
    with pytest.raises(ApplicationError, match="alert_specifiers"):
        _alert(world, CREDIT_PERCENT, 10, alert_specifiers=[{"custom_field_filters": []}])
    with pytest.raises(ApplicationError, match="access_type"):
        _alert(world, CREDIT_DAYS, 10, access_type="SPEND")
    both = _alert(world, BOTH_PERCENT, 10, access_type="SPEND", alert_specifiers=[
        {"custom_field_filters": [{"entity": "ContractCredit", "key": "pool"}]}
    ])  # fmt: skip
    assert both.access_type == "SPEND"


@pytest.mark.sdk
def test_percentage_and_days_alerts_through_the_sdk(sdk):
    with time_machine.travel(NOW):
        world = seat_world()
        customer_id = str(world.customer.public_id)
        _draw(world, "u1", -750)
        percent = sdk.v1.alerts.create(
            alert_type=CREDIT_PERCENT, name="Credit 70%", threshold=70, customer_id=customer_id,
        ).data.id  # fmt: skip
        days = sdk.v1.alerts.create(
            alert_type=CREDIT_DAYS, name="Credit ends", threshold=7, customer_id=customer_id,
        ).data.id  # fmt: skip
        got = sdk.v1.customers.alerts.retrieve(alert_id=percent, customer_id=customer_id).data
        assert (got.alert.type, got.customer_status) == (CREDIT_PERCENT, "in_alarm")
        got = sdk.v1.customers.alerts.retrieve(alert_id=days, customer_id=customer_id).data
        assert (got.alert.type, got.customer_status) == (CREDIT_DAYS, "ok")
        [event] = published(f"alerts.{CREDIT_PERCENT}")
        assert event.payload["remaining_percentage"] == 62.5
