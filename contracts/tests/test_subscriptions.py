"""Seat subscriptions through the official metronome-sdk: create, read back, change quantity,
histories, and the invoice lines they produce (literal cents)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import metronome
import pytest
import time_machine

from billing_console.lib.periods import Period
from contracts.models import Commit, Contract, LedgerEntryType, Subscription
from contracts.terms.issuance import contract_recurring_issue
from invoicing.models import InvoiceType
from invoicing.services import contract_scheduled_invoices_sync, invoice_compute_usage
from invoicing.tests.factories import FEB, JAN, MAR, priced_world
from pricing.services import product_create, rate_add

pytestmark = pytest.mark.sdk

JAN16 = datetime(2026, 1, 16, tzinfo=UTC)


@pytest.fixture
def seats(db):
    world = priced_world(price=5)
    product = product_create(name="Seats", type="SUBSCRIPTION")
    rate_add(
        rate_card=world.rate_card, product=product, starting_at=JAN, rate_type="SUBSCRIPTION",
        price=2500, billing_frequency="MONTHLY", is_prorated=True,
    )  # fmt: skip
    return {
        "world": world,
        "customer_id": str(world.customer.public_id),
        "card": str(world.rate_card.public_id),
        "seats": str(product.public_id),
        "credit": str(product_create(name="Seat credit", type="FIXED").public_id),
    }


def _subscription(c: dict, **changes) -> dict:
    sub = {
        "collection_schedule": "ARREARS",
        "proration": {"invoice_behavior": "BILL_ON_NEXT_COLLECTION_DATE", "is_prorated": True},
        "subscription_rate": {"billing_frequency": "MONTHLY", "product_id": c["seats"]},
        "initial_quantity": 10,
        "name": "Team seats",
        "description": "Per-seat licence",
        "custom_fields": {},
    }
    sub.update(changes)
    return sub


def _create(sdk, c: dict, *subs: dict, **extra) -> dict:
    body = {
        "customer_id": c["customer_id"],
        "starting_at": "2026-01-01T00:00:00Z",
        "ending_before": "2027-01-01T00:00:00Z",
        "rate_card_id": c["card"],
        "subscriptions": list(subs),
        **extra,
    }
    contract_id = sdk.v1.contracts.create(**body).data.id
    return {"customer_id": c["customer_id"], "contract_id": contract_id}


def _contract(ids: dict) -> Contract:
    return Contract.objects.get(public_id=ids["contract_id"])


def test_create_with_a_subscription_reads_back_as_sent(sdk, seats):
    ids = _create(sdk, seats, _subscription(seats))
    got = sdk.v2.contracts.retrieve(**ids).data
    [sub] = got.subscriptions
    assert (sub.collection_schedule, sub.quantity_management_mode) == ("ARREARS", "QUANTITY_ONLY")
    assert (sub.proration.invoice_behavior, sub.proration.is_prorated) == (
        "BILL_ON_NEXT_COLLECTION_DATE", True
    )  # fmt: skip
    assert sub.subscription_rate.billing_frequency == "MONTHLY"
    assert (sub.subscription_rate.product.id, sub.subscription_rate.product.name) == (
        seats["seats"], "Seats"
    )  # fmt: skip
    assert (sub.name, sub.description) == ("Team seats", "Per-seat licence")
    assert sub.starting_at == JAN and sub.ending_before is None  # inherits the contract's end
    assert sub.billing_cycle_config.anchor_date == JAN
    assert sub.billing_cycle_config.invoice_placement == "ON_USAGE_INVOICE"
    # The contract ended in the past for "now" (Nov 2026 or later): the last quantity applies.
    assert [q.quantity for q in sub.quantity_schedule] in ([10], [])
    v1 = sdk.v1.contracts.retrieve(**ids).data
    assert v1.current.model_extra.get("subscriptions") or v1.current.subscriptions  # type: ignore[attr-defined]


def test_quantity_update_mid_month_and_history(sdk, seats):
    ids = _create(sdk, seats, _subscription(seats))
    sub_id = sdk.v2.contracts.retrieve(**ids).data.subscriptions[0].id
    edit = sdk.v2.contracts.edit(
        **ids,
        update_subscriptions=[{
            "subscription_id": sub_id,
            "quantity_updates": [{"starting_at": "2026-01-16T00:00:00Z", "quantity_delta": 5}],
        }],
    ).data  # fmt: skip
    assert edit.id
    history = sdk.v1.contracts.retrieve_subscription_quantity_history(
        **ids, subscription_id=sub_id
    ).data
    assert history.subscription_id == sub_id
    assert [(h.starting_at, h.data[0].quantity, h.data[0].unit_price, h.data[0].total)
            for h in history.history] == [
        (JAN, 10, 2500, 25_000),
        (JAN16, 15, 2500, 37_500),
    ]  # fmt: skip
    edits = sdk.v2.contracts.get_edit_history(**ids).data
    assert edits[-1].update_subscriptions[0].id == sub_id


def test_arrears_invoice_charges_the_period_and_prorates_added_seats(sdk, seats):
    ids = _create(sdk, seats, _subscription(seats))
    sub_id = sdk.v2.contracts.retrieve(**ids).data.subscriptions[0].id
    sdk.v2.contracts.edit(**ids, update_subscriptions=[{
        "subscription_id": sub_id,
        "quantity_updates": [{"starting_at": "2026-01-16T00:00:00Z", "quantity": 15}],
    }])  # fmt: skip
    invoice = invoice_compute_usage(contract=_contract(ids), period=Period(JAN, FEB))
    lines = [
        (line.type, line.quantity, line.unit_price, line.total) for line in invoice.lines.all()
    ]
    # 10 seats x 2500 for January; +5 seats from Jan 16: 5 x 2500 x 16/31 = 6451.6129 -> 6452.
    assert ("SUBSCRIPTION", 10, 2500, 25_000) in lines
    assert ("SUBSCRIPTION", 5, 2500, 6_452) in lines
    assert invoice.total == 31_452
    feb = invoice_compute_usage(contract=_contract(ids), period=Period(FEB, MAR))
    assert [(line.quantity, line.total) for line in feb.lines.filter(type="SUBSCRIPTION")] == [
        (15, 37_500)
    ]
    fetched = sdk.v1.customers.invoices.retrieve(
        customer_id=ids["customer_id"], invoice_id=str(invoice.public_id)
    ).data
    assert sorted(i.total for i in fetched.line_items if i.type == "subscription") == [6452, 25_000]


def test_removing_seats_credits_only_when_prorated(sdk, seats):
    prorated = _create(sdk, seats, _subscription(seats))
    flat = _create(sdk, seats, _subscription(
        seats, proration={"invoice_behavior": "BILL_ON_NEXT_COLLECTION_DATE", "is_prorated": False}
    ))  # fmt: skip
    for ids in (prorated, flat):
        sub_id = sdk.v2.contracts.retrieve(**ids).data.subscriptions[0].id
        sdk.v2.contracts.edit(**ids, update_subscriptions=[{
            "subscription_id": sub_id,
            "quantity_updates": [{"starting_at": "2026-01-16T00:00:00Z", "quantity_delta": -4}],
        }])  # fmt: skip
    totals = {
        name: [
            line.total
            for line in invoice_compute_usage(
                contract=_contract(ids), period=Period(JAN, FEB)
            ).lines.filter(type="SUBSCRIPTION")
        ]
        for name, ids in (("prorated", prorated), ("flat", flat))
    }
    # -4 x 2500 x 16/31 = -5161.29 -> -5161 credited; without proration nothing is given back.
    assert totals == {"prorated": [25_000, -5_161], "flat": [25_000]}


def test_advance_bills_at_the_period_start_and_increases_immediately(sdk, seats):
    ids = _create(sdk, seats, _subscription(
        seats, collection_schedule="ADVANCE",
        proration={"invoice_behavior": "BILL_IMMEDIATELY", "is_prorated": True},
    ))  # fmt: skip
    sub_id = sdk.v2.contracts.retrieve(**ids).data.subscriptions[0].id
    sdk.v2.contracts.edit(**ids, update_subscriptions=[{
        "subscription_id": sub_id,
        "quantity_updates": [{"starting_at": "2026-01-16T00:00:00Z", "quantity_delta": 5}],
    }])  # fmt: skip
    contract = _contract(ids)
    through = FEB + timedelta(hours=1)
    first = contract_scheduled_invoices_sync(contract=contract, through=through)
    again = contract_scheduled_invoices_sync(contract=contract, through=through)
    assert [i.pk for i in first] == [i.pk for i in again]  # idempotent
    billed = {
        i.period_start: [line.total for line in i.lines.all()]
        for i in first
        if i.type == InvoiceType.SCHEDULED
    }
    assert billed == {JAN: [25_000], JAN16: [6_452], FEB: [37_500]}
    usage = invoice_compute_usage(contract=contract, period=Period(JAN, FEB))
    assert not usage.lines.filter(type="SUBSCRIPTION").exists()


def test_subscription_input_is_validated_by_path(sdk, seats):
    cases = [
        (_subscription(seats, subscription_rate={"billing_frequency": "MONTHLY",
                                                 "product_id": seats["credit"]}),
         "subscriptions[0].subscription_rate.product_id: must be a SUBSCRIPTION product."),
        (_subscription(seats, subscription_rate={"billing_frequency": "ANNUAL",
                                                 "product_id": seats["seats"]}),
         "subscriptions[0].subscription_rate: the rate card has no ANNUAL SUBSCRIPTION rate"),
        (_subscription(seats, initial_quantity=None), "subscriptions[0].initial_quantity: is required."),
        (_subscription(seats, proration={"invoice_behavior": "BILL_IMMEDIATELY", "is_prorated": True}),
         "subscriptions[0].proration.invoice_behavior: BILL_IMMEDIATELY needs an ADVANCE"),
        (_subscription(seats, quantity_management_mode="SEAT_BASED"),
         "subscriptions[0].seat_config: is required."),
    ]  # fmt: skip
    before = Subscription.objects.count()
    for sub, message in cases:
        with pytest.raises(metronome.BadRequestError) as err:
            _create(sdk, seats, {k: v for k, v in sub.items() if v is not None})
        assert message in str(err.value)
    assert Subscription.objects.count() == before


def test_quantity_updates_are_validated_by_path(sdk, seats):
    ids = _create(sdk, seats, _subscription(seats))
    sub_id = sdk.v2.contracts.retrieve(**ids).data.subscriptions[0].id
    bad = [
        ({"starting_at": "2026-01-16T00:00:00Z", "quantity_delta": -11},
         "update_subscriptions[0].quantity_updates[0].quantity_delta: would make the quantity negative (-1)"),
        ({"starting_at": "2026-01-16T00:00:00Z"},
         "update_subscriptions[0].quantity_updates[0].quantity: give either quantity or quantity_delta."),
        ({"starting_at": "2025-12-01T00:00:00Z", "quantity": 3},
         "update_subscriptions[0].quantity_updates[0].starting_at: may not be before"),
    ]  # fmt: skip
    for update, message in bad:
        with pytest.raises(metronome.BadRequestError) as err:
            sdk.v2.contracts.edit(**ids, update_subscriptions=[
                {"subscription_id": sub_id, "quantity_updates": [update]}
            ])  # fmt: skip
        assert message in str(err.value)
    assert _contract(ids).subscriptions.get().quantity_changes.count() == 1  # nothing written


def test_add_subscription_by_edit_and_set_then_delta_order(sdk, seats):
    ids = _create(sdk, seats)
    added = sdk.v2.contracts.edit(**ids, add_subscriptions=[
        _subscription(seats, starting_at="2026-02-01T00:00:00Z", initial_quantity=2)
    ]).data  # fmt: skip
    sub_id = sdk.v2.contracts.retrieve(**ids).data.subscriptions[0].id
    assert added.edit  # type: ignore[attr-defined]
    # Sent in this order for the same day: set to 12, then -1: 11 from that day.
    sdk.v2.contracts.edit(**ids, update_subscriptions=[{
        "subscription_id": sub_id,
        "quantity_updates": [{"starting_at": "2026-03-01T00:00:00Z", "quantity": 12},
                             {"starting_at": "2026-03-01T00:00:00Z", "quantity_delta": -1}],
    }])  # fmt: skip
    history = sdk.v1.contracts.retrieve_subscription_quantity_history(
        **ids, subscription_id=sub_id
    ).data.history
    assert [(h.starting_at, h.data[0].quantity) for h in history] == [(FEB, 2), (MAR, 11)]
    jan = invoice_compute_usage(contract=_contract(ids), period=Period(JAN, FEB))
    assert not jan.lines.filter(type="SUBSCRIPTION").exists()  # starts in February


@time_machine.travel(JAN)  # created on January 1st: only January has begun
def test_seat_based_subscription_seats_history_and_individual_credits(sdk, seats):
    sub = _subscription(
        seats, quantity_management_mode="SEAT_BASED", temporary_id="team",
        seat_config={"seat_group_key": "user_id", "initial_seat_ids": ["u1", "u2"],
                     "initial_unassigned_seats": 1},
    )  # fmt: skip
    sub.pop("initial_quantity")
    credit = {
        "product_id": seats["credit"], "priority": 1, "name": "Per-seat credit",
        "starting_at": "2026-01-01T00:00:00Z", "ending_before": "2026-03-01T00:00:00Z",
        "access_amount": {"unit_price": 1_000}, "commit_duration": {"value": 1},
        "recurrence_frequency": "MONTHLY",
        "subscription_config": {"subscription_id": "team", "allocation": "INDIVIDUAL",
                                "apply_seat_increase_config": {"is_prorated": True}},
    }  # fmt: skip
    ids = _create(sdk, seats, sub, recurring_credits=[credit])
    got = sdk.v2.contracts.retrieve(**ids).data
    sub_id = got.subscriptions[0].id
    assert got.subscriptions[0].seat_config.seat_group_key == "user_id"
    assert got.recurring_credits[0].subscription_config.subscription_id == sub_id
    sdk.v2.contracts.edit(**ids, update_subscriptions=[{
        "subscription_id": sub_id,
        "seat_updates": {"add_seat_ids": [{"seat_ids": ["u3"], "starting_at": "2026-01-16T00:00:00Z"}],
                         "remove_seat_ids": [{"seat_ids": ["u1"], "starting_at": "2026-02-01T00:00:00Z"}]},
    }])  # fmt: skip
    history = sdk.v1.contracts.get_subscription_seats_history(**ids, subscription_id=sub_id)
    assert [(h.starting_at, h.assigned_seat_ids, h.total_quantity) for h in history.data] == [
        (JAN, ["u1", "u2"], 3),
        (JAN16, ["u1", "u2", "u3"], 3),  # u3 filled the unassigned seat
        (FEB, ["u2", "u3"], 2),
    ]
    contract = _contract(ids)
    contract_recurring_issue(contract=contract, now=MAR)
    contract_recurring_issue(contract=contract, now=MAR)
    issued = sorted(
        (c.recurring_period_start, c.seat_id, c.segments.get().amount)
        for c in Commit.objects.filter(contract=contract)
    )
    # u3 joined on Jan 16: 1000 x 16/31 = 516.13 -> 516 for January.
    assert issued == [
        (JAN, "u1", 1000), (JAN, "u2", 1000), (JAN, "u3", 516), (FEB, "u2", 1000), (FEB, "u3", 1000)
    ]  # fmt: skip
    balances = sdk.v1.contracts.list_seat_balances(
        **ids, covering_date="2026-02-10T00:00:00Z", include_credits_and_commits=True
    )
    assert [(s.seat_id, s.balances[0].balance) for s in balances.data] == [
        ("u2", 1000),
        ("u3", 1000),
    ]
    assert balances.data[0].credits[0].balance == 1000


@time_machine.travel(JAN)  # created on January 1st: only January has begun
def test_pooled_recurring_credit_scales_with_seats(sdk, seats):
    sub = _subscription(seats, temporary_id="team")
    credit = {
        "product_id": seats["credit"], "priority": 1, "name": "Pooled seat credit",
        "starting_at": "2026-01-01T00:00:00Z", "access_amount": {"unit_price": 1_000},
        "commit_duration": {"value": 1}, "recurrence_frequency": "MONTHLY",
        "subscription_config": {"subscription_id": "team", "allocation": "POOLED",
                                "apply_seat_increase_config": {"is_prorated": True}},
    }  # fmt: skip
    ids = _create(sdk, seats, sub, recurring_credits=[credit])
    sub_id = sdk.v2.contracts.retrieve(**ids).data.subscriptions[0].id
    sdk.v2.contracts.edit(**ids, update_subscriptions=[{
        "subscription_id": sub_id,
        "quantity_updates": [{"starting_at": "2026-01-16T00:00:00Z", "quantity_delta": 5}],
    }])  # fmt: skip
    contract = _contract(ids)
    for _ in range(2):
        contract_recurring_issue(contract=contract, now=FEB + timedelta(hours=1))
    jan, feb = Commit.objects.filter(contract=contract).order_by("recurring_period_start")
    assert jan.segments.get().amount == 10_000 and feb.segments.get().amount == 15_000
    [adjustment] = jan.ledger.filter(type=LedgerEntryType.SEAT_BASED_ADJUSTMENT)
    assert adjustment.amount == Decimal(2581)  # 5 x 1000 x 16/31 = 2580.65
    got = sdk.v2.contracts.retrieve(**ids, include_ledgers=True).data
    ledger_types = {e.type for c in got.credits for e in c.ledger}
    assert "CREDIT_SEAT_BASED_ADJUSTMENT" in ledger_types


def test_billing_periods_of_a_subscription_starting_on_a_later_boundary():
    """Anchored at the contract start (Jan 1), starting Feb 1, open-ended: Jan's period is skipped
    (it used to raise an empty Period(Feb 1, Feb 1))."""
    from contracts.terms.subscriptions import billing_periods

    got = [clipped for clipped, _ in billing_periods(JAN, "MONTHLY", FEB, None, MAR)]
    assert got == [Period(FEB, MAR)]
