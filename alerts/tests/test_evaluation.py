"""The state machine and what each alert type measures, through the services."""

from datetime import timedelta
from decimal import Decimal

import pytest

from alerts.evaluation import ALARM, RESOLVED, customer_alerts_evaluate, transition
from alerts.models import AlertStatus, CustomerAlert
from alerts.services import alert_create, customer_alert_reset
from alerts.tests.factories import MID_JAN, published, send_calls, spend_world
from billing_console.wire import Reader
from contracts.models import Commit
from contracts.terms.create import commit_create_from_wire
from contracts.terms.ledger import ledger_manual_add
from customers.services import customer_create


@pytest.mark.parametrize(
    ("status", "in_alarm", "resolves", "expected"),
    [
        ("evaluating", True, False, ("in_alarm", ALARM)),
        ("evaluating", False, True, ("ok", None)),
        ("ok", True, False, ("in_alarm", ALARM)),
        ("ok", False, False, ("ok", None)),
        ("in_alarm", True, True, ("in_alarm", None)),
        ("in_alarm", False, False, ("ok", None)),
        ("in_alarm", False, True, ("ok", RESOLVED)),
    ],
)
def test_transitions_notify_only_on_a_change_of_state(status, in_alarm, resolves, expected):
    assert transition(status, in_alarm, resolves=resolves) == expected


def _spend_alert(world, threshold: int, **extra):
    return alert_create(
        data={"alert_type": "spend_threshold_reached", "name": "Spend over budget",
              "threshold": threshold, "customer_id": str(world.customer.public_id), **extra}
    )  # fmt: skip


def _state(alert, customer, scope: str = "") -> CustomerAlert:
    return CustomerAlert.objects.get(alert=alert, customer=customer, scope=scope)


@pytest.mark.django_db
def test_spend_crossing_alarms_once_and_reset_notifies_again():
    world = spend_world(price=100)  # 1 USD per call
    alert = _spend_alert(world, 1000)  # 10 USD
    now = MID_JAN
    send_calls(9, now)
    customer_alerts_evaluate(customer=world.customer, triggered_by="usage", now=now)
    state = _state(alert, world.customer)
    assert (state.status, state.value) == (AlertStatus.OK, Decimal("900"))
    assert published() == []

    send_calls(1, now + timedelta(minutes=1), prefix="cross")
    customer_alerts_evaluate(
        customer=world.customer, triggered_by="usage", now=now + timedelta(minutes=2)
    )
    state.refresh_from_db()
    assert (state.status, state.value, state.triggered_by) == ("in_alarm", Decimal("1000"), "usage")
    [event] = published()
    assert event.type == "alerts.spend_threshold_reached"
    assert event.payload["customer_id"] == str(world.customer.public_id)
    assert event.payload["alert_id"] == str(alert.public_id)
    assert (event.payload["spend"], event.payload["threshold"]) == (1000, 1000)

    # A second crossing (more usage while in alarm) and a rerun publish nothing new.
    send_calls(5, now + timedelta(minutes=3), prefix="more")
    for minute in (4, 5):
        customer_alerts_evaluate(
            customer=world.customer, triggered_by="usage", now=now + timedelta(minutes=minute)
        )
    assert len(published()) == 1

    # Reset forgets the state; evaluated again, the customer alarms and is notified again.
    customer_alert_reset(alert=alert, customer=world.customer)
    assert _state(alert, world.customer).status == AlertStatus.EVALUATING
    customer_alerts_evaluate(
        customer=world.customer, triggered_by="reset", now=now + timedelta(minutes=6)
    )
    events = published()
    assert [e.type for e in events] == ["alerts.spend_threshold_reached"] * 2
    assert events[1].payload["spend"] == 1500 and events[1].payload["triggered_by"] == "reset"
    assert events[0].key != events[1].key


@pytest.mark.django_db
def test_spend_on_every_user_id_alarms_for_user_7_and_not_user_8():
    world = spend_world(price=100)
    alert = _spend_alert(world, 500, group_values=[{"key": "user_id"}])
    send_calls(6, MID_JAN, user_id="7")
    send_calls(2, MID_JAN, user_id="8")
    send_calls(3, MID_JAN)  # no user_id: counts for the customer, not for any user
    customer_alerts_evaluate(
        customer=world.customer, triggered_by="usage", now=MID_JAN + timedelta(hours=1)
    )
    seven, eight = (
        _state(alert, world.customer, "user_id=7"),
        _state(alert, world.customer, "user_id=8"),
    )
    assert (seven.status, seven.value) == ("in_alarm", Decimal("600"))
    assert (eight.status, eight.value) == ("ok", Decimal("200"))
    [event] = published()
    assert event.payload["group_values"] == [{"key": "user_id", "value": "7"}]
    assert event.payload["spend"] == 600


@pytest.mark.django_db
def test_spend_scoped_to_one_group_value():
    world = spend_world(price=100)
    alert = _spend_alert(world, 300, group_values=[{"key": "user_id", "value": "8"}])
    send_calls(6, MID_JAN, user_id="7")
    send_calls(2, MID_JAN, user_id="8")
    customer_alerts_evaluate(customer=world.customer, triggered_by="usage", now=MID_JAN)
    state = _state(alert, world.customer, "user_id=8")
    assert (state.status, state.value) == ("ok", Decimal("200"))
    send_calls(1, MID_JAN, user_id="8", prefix="x")
    customer_alerts_evaluate(
        customer=world.customer, triggered_by="usage", now=MID_JAN + timedelta(seconds=1)
    )
    state.refresh_from_db()
    assert (state.status, state.value) == ("in_alarm", Decimal("300"))


@pytest.mark.django_db
def test_low_balance_alarms_then_resolves_when_topped_up():
    world = spend_world(price=100)
    credit = commit_create_from_wire(
        Reader({"product_id": str(world.product.public_id), "name": "Starter credit", "priority": 1,
                "access_schedule": {"schedule_items": [{"amount": 2000, "starting_at": "2026-01-01T00:00:00Z",
                                                        "ending_before": "2027-01-01T00:00:00Z"}]}}),
        customer=world.customer, contract=world.contract, kind="CREDIT",
    )  # fmt: skip
    alert = alert_create(data={
        "alert_type": "low_remaining_contract_credit_and_commit_balance_reached",
        "name": "Credits running low", "threshold": 500, "customer_id": str(world.customer.public_id),
    })  # fmt: skip
    customer_alerts_evaluate(customer=world.customer, triggered_by="balance", now=MID_JAN)
    assert _state(alert, world.customer).status == "ok"

    # 16 USD of usage, not yet on any stored invoice: the live statement draws it down.
    send_calls(16, MID_JAN, prefix="use")
    customer_alerts_evaluate(
        customer=world.customer, triggered_by="usage", now=MID_JAN + timedelta(minutes=1)
    )
    state = _state(alert, world.customer)
    assert (state.status, state.value) == ("in_alarm", Decimal("400"))
    [alarm] = published()
    assert alarm.type == "alerts.low_remaining_contract_credit_and_commit_balance_reached"
    assert alarm.payload["remaining_balance"] == 400

    # A manual top-up of 10 USD lifts the balance over the threshold: resolved, once.
    segment = credit.segments.get()
    ledger_manual_add(commit=credit, segment=segment, amount=Decimal("1000"), reason="Top-up")
    for minute in (2, 3):
        customer_alerts_evaluate(
            customer=world.customer, triggered_by="balance", now=MID_JAN + timedelta(minutes=minute)
        )
    state.refresh_from_db()
    assert (state.status, state.value) == ("ok", Decimal("1400"))
    events = published()
    assert [e.type for e in events] == [
        "alerts.low_remaining_contract_credit_and_commit_balance_reached",
        "alerts.low_remaining_contract_credit_and_commit_balance_reached.resolved",
    ]
    assert events[1].payload["remaining_balance"] == 1400
    assert Commit.objects.count() == 1


@pytest.mark.django_db
def test_usage_threshold_counts_the_metric_over_the_current_period():
    world = spend_world()
    alert = alert_create(data={
        "alert_type": "usage_threshold_reached", "name": "1,000 calls", "threshold": 10,
        "billable_metric_id": str(world.metric.public_id),
    })  # fmt: skip
    send_calls(10, MID_JAN)
    customer_alerts_evaluate(customer=world.customer, triggered_by="usage", now=MID_JAN)
    assert _state(alert, world.customer).status == "in_alarm"
    # February is a new period: nothing used yet.
    customer_alerts_evaluate(
        customer=world.customer, triggered_by="sweep", now=MID_JAN + timedelta(days=20)
    )
    assert _state(alert, world.customer).status == "ok"
    assert [e.type for e in published()] == ["alerts.usage_threshold_reached"]


@pytest.mark.django_db
def test_invoice_total_respects_the_type_filter_and_contract_custom_fields():
    from billing_console.custom_fields import custom_field_key_add

    custom_field_key_add(entity="contract", key="segment", enforce_uniqueness=False)
    world = spend_world(contract_extra={"custom_fields": {"segment": "enterprise"}})
    usage_alert = alert_create(data={
        "alert_type": "invoice_total_reached", "name": "Big usage invoice", "threshold": 700,
        "invoice_types_filter": ["USAGE"],
        "custom_field_filters": [{"entity": "Contract", "key": "segment", "value": "enterprise"}],
    })  # fmt: skip
    other = alert_create(data={
        "alert_type": "invoice_total_reached", "name": "SMB invoices", "threshold": 1,
        "custom_field_filters": [{"entity": "Contract", "key": "segment", "value": "smb"}],
    })  # fmt: skip
    scheduled_only = alert_create(data={
        "alert_type": "invoice_total_reached", "name": "Scheduled", "threshold": 1,
        "invoice_types_filter": ["SCHEDULED"],
    })  # fmt: skip
    send_calls(7, MID_JAN)
    customer_alerts_evaluate(customer=world.customer, triggered_by="usage", now=MID_JAN)
    assert _state(usage_alert, world.customer).status == "in_alarm"
    assert _state(usage_alert, world.customer).value == Decimal("700")
    assert _state(other, world.customer).status == "ok"  # no smb contract: nothing to total
    assert _state(scheduled_only, world.customer).status == "ok"


@pytest.mark.django_db
def test_customer_custom_field_filter_and_archived_alerts_do_not_evaluate():
    world = spend_world()
    from alerts.services import alert_archive
    from billing_console.custom_fields import custom_field_key_add

    custom_field_key_add(entity="customer", key="tier", enforce_uniqueness=False)
    enterprise = alert_create(data={
        "alert_type": "spend_threshold_reached", "name": "Enterprise spend", "threshold": 1,
        "custom_field_filters": [{"entity": "Customer", "key": "tier", "value": "enterprise"}],
    })  # fmt: skip
    archived = _spend_alert(world, 1)
    alert_archive(alert=archived)
    send_calls(3, MID_JAN)
    customer_alerts_evaluate(customer=world.customer, triggered_by="usage", now=MID_JAN)
    assert not CustomerAlert.objects.exists()
    other = customer_create(
        name="Big Co", ingest_aliases=["bigco"], custom_fields={"tier": "enterprise"}
    )
    customer_alerts_evaluate(customer=other, triggered_by="usage", now=MID_JAN)
    assert _state(enterprise, other).status == "ok"  # no contract, no spend


@pytest.mark.django_db
def test_spend_in_a_custom_pricing_unit_counts_the_usage_priced_in_it():
    # Calls cost 2 GPU credits (1 credit = 30 cents): 30 calls = 60 credits (USD 18.00). An
    # alert at 50 credits is in alarm; one at 5,000 USD cents (USD 50) is not.
    from pricing.models import RateCard
    from pricing.services import credit_type_create, rate_card_update

    world = spend_world(price=100)
    credits = credit_type_create(name="GPU credits")
    card = RateCard.objects.get(pk=world.rate_card.pk)
    rate_card_update(rate_card=card, add_credit_type_conversions=[(credits, Decimal(30))])
    rate = card.rates.get()
    rate.price, rate.credit_type = Decimal(2), credits
    rate.save()
    in_credits = _spend_alert(world, 50, credit_type_id=str(credits.public_id))
    in_dollars = _spend_alert(world, 5000)
    send_calls(30, MID_JAN)
    customer_alerts_evaluate(customer=world.customer, triggered_by="usage", now=MID_JAN)
    assert (_state(in_credits, world.customer).status, _state(in_credits, world.customer).value) == (
        "in_alarm", Decimal(60),
    )  # fmt: skip
    assert (_state(in_dollars, world.customer).status, _state(in_dollars, world.customer).value) == (
        "ok", Decimal(1800),
    )  # fmt: skip


@pytest.mark.django_db
def test_an_alert_that_cannot_be_measured_records_its_error_and_the_others_go_on():
    from unittest import mock

    from usage.sql import SqlMetricFailed

    world = spend_world(price=100)
    failing = _spend_alert(world, 1000)
    other = alert_create(data={"alert_type": "spend_threshold_reached", "name": "Other",
                               "threshold": 500, "customer_id": str(world.customer.public_id)})  # fmt: skip
    send_calls(6, MID_JAN)
    real = __import__("alerts.evaluation", fromlist=["measure"]).measure

    def measure(alert, snapshot):
        if alert.pk == failing.pk:
            raise SqlMetricFailed("numeric field overflow")
        return real(alert, snapshot)

    with mock.patch("alerts.evaluation.measure", side_effect=measure):
        for minute in (1, 2):  # a second failing evaluation publishes nothing new
            customer_alerts_evaluate(
                customer=world.customer,
                triggered_by="usage",
                now=MID_JAN + timedelta(minutes=minute),
            )
    assert _state(failing, world.customer).error.endswith("numeric field overflow")
    assert _state(other, world.customer).status == "in_alarm"  # 600 > 500: still evaluated
    assert [e.type for e in published() if e.type == "alerts.evaluation_failed"] == [
        "alerts.evaluation_failed"
    ]
    customer_alerts_evaluate(
        customer=world.customer, triggered_by="usage", now=MID_JAN + timedelta(minutes=3)
    )
    assert _state(failing, world.customer).error == ""  # measured again: the error is over


@pytest.mark.django_db
def test_low_balance_in_a_custom_pricing_unit_counts_the_commits_in_that_unit():
    # A 100 GPU-credit pack and a 2,000 cent credit; calls cost 2 credits each (1 credit = 30
    # cents). 30 calls draw 60 credits: 40 left, under an alert at 50 credits; a USD alert at
    # 500 cents sees only the untouched 2,000.
    from pricing.models import RateCard
    from pricing.services import credit_type_create, rate_card_update

    world = spend_world(price=100)
    credits = credit_type_create(name="GPU credits")
    card = RateCard.objects.get(pk=world.rate_card.pk)
    rate_card_update(rate_card=card, add_credit_type_conversions=[(credits, Decimal(30))])
    rate = card.rates.get()
    rate.price, rate.credit_type = Decimal(2), credits
    rate.save()
    for name, amount, unit in (("GPU pack", 100, credits), ("Dollar credit", 2000, None)):
        access = {"schedule_items": [{"amount": amount, "starting_at": "2026-01-01T00:00:00Z",
                                      "ending_before": "2027-01-01T00:00:00Z"}]}  # fmt: skip
        if unit is not None:
            access["credit_type_id"] = str(unit.public_id)
        commit_create_from_wire(
            Reader({"product_id": str(world.product.public_id), "name": name, "priority": 1,
                    "access_schedule": access}),
            customer=world.customer, contract=world.contract, kind="CREDIT",
        )  # fmt: skip
    low = {"alert_type": "low_remaining_contract_credit_and_commit_balance_reached",
           "customer_id": str(world.customer.public_id)}  # fmt: skip
    in_credits = alert_create(data={**low, "name": "GPU low", "threshold": 50,
                                    "credit_type_id": str(credits.public_id)})  # fmt: skip
    in_dollars = alert_create(data={**low, "name": "USD low", "threshold": 500})
    send_calls(30, MID_JAN)
    customer_alerts_evaluate(customer=world.customer, triggered_by="usage", now=MID_JAN)
    gpu, usd = _state(in_credits, world.customer), _state(in_dollars, world.customer)
    assert (gpu.status, gpu.value) == ("in_alarm", Decimal(40))
    assert (usd.status, usd.value) == ("ok", Decimal(2000))
