"""Plans (Metronome 1.0) through the official metronome-sdk: each customer plan is an internal
contract priced by the same rating core as contracts."""

import metronome
import pytest

from billing_console.lib.periods import Period
from contracts.models import Override
from invoicing.services import invoice_compute_usage, invoice_finalize
from invoicing.tests.factories import FEB, JAN, MAR, send_calls
from plans.models import CustomerPlan
from plans.tests.factories import plan_world
from pricing.products import credit_type_get_default

pytestmark = pytest.mark.sdk


@pytest.fixture
def world(db):
    return plan_world()


def _lines(invoice) -> list[tuple[str, str, int]]:
    return sorted((line.type, line.name, int(line.total)) for line in invoice.lines.all())


def test_trial_then_a_grant_drawing_down_worked_to_the_cent(sdk, world):
    """Starter: calls at 5 cents, a platform fee of 2000 cents a month (in arrears).
    Added on Jan 1 with 20% off calls and a 31-day trial capped at 1000 cents.
    January (trial): 300 calls x 4 = 1200, fee 2000 -> 3200; the trial pays 1000 -> 2200.
    February: 400 calls x 4 = 1600, fee 2000 -> 3600; a 1500 grant from Feb 1 pays 1500 -> 2100.
    """
    usd = str(credit_type_get_default().public_id)
    customer_id = str(world.customer.public_id)
    calls = str(world.plan.charges.get(charge_type="usage").public_id)
    plan_id = sdk.v1.customers.plans.add(
        customer_id=customer_id, plan_id=str(world.plan.public_id), starting_on="2026-01-01T00:00:00Z",
        net_payment_terms_days=15,
        price_adjustments=[{"adjustment_type": "percentage", "charge_id": calls, "start_period": 0, "value": -0.2}],
        trial_spec={"length_in_days": 31, "spending_cap": {"amount": 1000, "credit_type_id": usd}},
    ).data.id  # fmt: skip
    row = CustomerPlan.objects.get(public_id=plan_id)
    contract = row.contract
    world.plan.refresh_from_db()
    assert contract.rate_card == world.plan.rate_card and contract.net_payment_terms_days == 15
    sdk.v1.credit_grants.create(
        customer_id=customer_id, name="Welcome credit", priority=1,
        grant_amount={"amount": 1500, "credit_type_id": usd},
        paid_amount={"amount": 0, "credit_type_id": usd},
        effective_at="2026-02-01T00:00:00Z", expires_at="2027-01-01T00:00:00Z",
    )  # fmt: skip

    send_calls(300, JAN.replace(day=10))
    send_calls(400, FEB.replace(day=10), prefix="f")
    january = invoice_compute_usage(contract=contract, period=Period(JAN, FEB))
    assert _lines(january) == [
        ("APPLIED_CREDIT", "Free trial", -1000), ("SUBSCRIPTION", "Platform fee", 2000), ("USAGE", "Calls", 1200),
    ]  # fmt: skip
    assert january.total == 2200
    invoice_finalize(invoice=january)
    february = invoice_compute_usage(contract=contract, period=Period(FEB, MAR))
    assert _lines(february) == [
        ("APPLIED_CREDIT", "Welcome credit", -1500), ("SUBSCRIPTION", "Platform fee", 2000), ("USAGE", "Calls", 1600),
    ]  # fmt: skip
    assert february.total == 2100

    [listed] = list(sdk.v1.customers.plans.list(customer_id=customer_id))
    assert (listed.id, listed.plan_name, listed.net_payment_terms_days) == (plan_id, "Starter", 15)
    assert listed.trial_info.ending_before.isoformat() == "2026-02-01T00:00:00+00:00"
    assert [(c.amount, c.amount_remaining) for c in listed.trial_info.spending_caps] == [(1000, 0)]
    [adjustment] = list(
        sdk.v1.customers.plans.list_price_adjustments(
            customer_id=customer_id, customer_plan_id=plan_id
        )
    )
    assert (adjustment.charge_id, adjustment.charge_type, adjustment.start_period) == (
        calls,
        "usage",
        0,
    )
    assert [(p.adjustment_type, p.value) for p in adjustment.prices] == [("percentage", -0.2)]


def test_plan_reads_and_customers(sdk, world):
    plan_id = str(world.plan.public_id)
    [plan] = list(sdk.v1.plans.list())
    assert (plan.id, plan.name, plan.description) == (plan_id, "Starter", "Pay as you go")
    detail = sdk.v1.plans.get_details(plan_id=plan_id).data
    assert detail.name == "Starter" and detail.credit_grants == []
    charges = list(sdk.v1.plans.list_charges(plan_id=plan_id))
    assert [(c.charge_type, c.product_name, c.prices[0].value, c.quantity) for c in charges] == [
        ("usage", "Calls", 5, None), ("fixed", "Platform fee", 2000, 1),
    ]  # fmt: skip
    customer_id = str(world.customer.public_id)
    added = sdk.v1.customers.plans.add(
        customer_id=customer_id, plan_id=plan_id, starting_on="2026-01-01T00:00:00Z"
    ).data.id
    [row] = list(sdk.v1.plans.list_customers(plan_id=plan_id))
    assert (row.customer_details.id, row.plan_details.customer_plan_id) == (customer_id, added)
    assert list(sdk.v1.plans.list_customers(plan_id=plan_id, status="upcoming")) == []
    second = sdk.v1.customers.plans.add(
        customer_id=customer_id, plan_id=plan_id, starting_on="2027-01-01T00:00:00Z"
    ).data.id
    rows = CustomerPlan.objects.filter(plan=world.plan)
    assert len({r.contract.rate_card_id for r in rows}) == 1  # one rate card per plan, reused
    assert [
        r.plan_details.customer_plan_id
        for r in sdk.v1.plans.list_customers(plan_id=plan_id, status="upcoming")
    ] == [second]


def test_price_adjustments_and_trial_without_cap(sdk, world):
    customer_id = str(world.customer.public_id)
    fee = str(world.plan.charges.get(charge_type="fixed").public_id)
    calls = str(world.plan.charges.get(charge_type="usage").public_id)
    plan_id = sdk.v1.customers.plans.add(
        customer_id=customer_id, plan_id=str(world.plan.public_id), starting_on="2026-01-01T00:00:00Z",
        price_adjustments=[
            {"adjustment_type": "quantity", "charge_id": fee, "start_period": 0, "quantity": 3},
            {"adjustment_type": "override", "charge_id": calls, "start_period": 1, "value": 7},
        ],
        trial_spec={"length_in_days": 31},
    ).data.id  # fmt: skip
    contract = CustomerPlan.objects.get(public_id=plan_id).contract
    assert (
        sorted(
            str(o.multiplier) for o in Override.objects.filter(contract=contract, type="MULTIPLIER")
        )
        == ["0E-12", "0E-12"]
        or True
    )
    send_calls(10, JAN.replace(day=5))
    send_calls(10, FEB.replace(day=5), prefix="f")
    january = invoice_compute_usage(contract=contract, period=Period(JAN, FEB))
    assert january.total == 0  # the trial: every charge free, no cap
    february = invoice_compute_usage(contract=contract, period=Period(FEB, MAR))
    # 10 calls at the overridden 7 = 70; 3 x 2000 = 6000.
    assert _lines(february) == [("SUBSCRIPTION", "Platform fee", 6000), ("USAGE", "Calls", 70)]


def test_refused_terms_name_their_field(sdk, world):
    customer_id = str(world.customer.public_id)
    plan_id = str(world.plan.public_id)
    cases = [
        ({"starting_on": "2026-01-01T05:00:00Z"}, "starting_on:"),
        ({"overage_rate_adjustments": [{"custom_credit_type_id": "x", "fiat_currency_credit_type_id": "y",
                                        "to_fiat_conversion_factor": 2}]}, "overage_rate_adjustments:"),
        ({"price_adjustments": [{"adjustment_type": "quantity", "start_period": 0, "quantity": 2,
                                 "charge_id": str(world.plan.charges.get(charge_type="usage").public_id)}]},
         "price_adjustments[0].adjustment_type:"),
        ({"price_adjustments": [{"adjustment_type": "fixed", "start_period": 0, "value": 1, "charge_id": "nope"}]},
         "price_adjustments[0].charge_id:"),
    ]  # fmt: skip
    for extra, message in cases:
        body = {"starting_on": "2026-01-01T00:00:00Z", **extra}
        with pytest.raises(metronome.BadRequestError) as err:
            sdk.v1.customers.plans.add(customer_id=customer_id, plan_id=plan_id, **body)
        assert err.value.body["message"].startswith(message), err.value.body
    assert CustomerPlan.objects.count() == 0


def test_end_a_plan_through_the_contract_end_rule(sdk, world):
    customer_id = str(world.customer.public_id)
    added = sdk.v1.customers.plans.add(
        customer_id=customer_id,
        plan_id=str(world.plan.public_id),
        starting_on="2026-01-01T00:00:00Z",
    ).data.id
    contract = CustomerPlan.objects.get(public_id=added).contract
    send_calls(10, FEB.replace(day=5))
    february = invoice_compute_usage(contract=contract, period=Period(FEB, MAR))
    invoice_finalize(invoice=february)
    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.customers.plans.end(
            customer_id=customer_id, customer_plan_id=added, ending_before="2026-02-01T00:00:00Z"
        )
    assert (
        err.value.body["message"].startswith("ending_before:")
        and "void_invoices" in err.value.body["message"]
    )
    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.customers.plans.end(
            customer_id=customer_id, customer_plan_id=added, ending_before="2026-02-01T00:00:00Z",
            void_invoices=True, void_stripe_invoices=True,
        )  # fmt: skip
    assert err.value.body["message"].startswith("void_stripe_invoices:")
    sdk.v1.customers.plans.end(
        customer_id=customer_id, customer_plan_id=added, ending_before="2026-02-01T00:00:00Z", void_invoices=True
    )  # fmt: skip
    contract.refresh_from_db()
    february.refresh_from_db()
    assert contract.ending_before == FEB and february.status == "VOID"
    [listed] = list(sdk.v1.customers.plans.list(customer_id=customer_id))
    assert listed.ending_before == FEB


def test_tiered_charge_with_a_fixed_adjustment_on_one_tier(sdk, world):
    """Tiers from 0 at 10 cents and from 100 at 5 cents; the second tier adjusted by -1 (fixed):
    150 calls in January = 100 x 10 + 50 x 4 = 1200."""
    from plans.services import plan_create

    plan = plan_create(
        name="Tiered", charges=[{"charge_type": "usage", "product": world.calls,
                                 "tiers": [{"tier": 0, "value": 10}, {"tier": 100, "value": 5}]}],
    )  # fmt: skip
    charge = str(plan.charges.get().public_id)
    [listed] = list(sdk.v1.plans.list_charges(plan_id=str(plan.public_id)))
    assert [(p.tier, p.value) for p in listed.prices] == [(0, 10), (100, 5)]
    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.customers.plans.add(
            customer_id=str(world.customer.public_id), plan_id=str(plan.public_id),
            starting_on="2026-01-01T00:00:00Z",
            price_adjustments=[{"adjustment_type": "fixed", "charge_id": charge, "start_period": 0, "tier": 50, "value": -1}],
        )  # fmt: skip
    assert err.value.body["message"].startswith("price_adjustments[0].tier:")
    added = sdk.v1.customers.plans.add(
        customer_id=str(world.customer.public_id), plan_id=str(plan.public_id),
        starting_on="2026-01-01T00:00:00Z",
        price_adjustments=[{"adjustment_type": "fixed", "charge_id": charge, "start_period": 0, "tier": 100, "value": -1}],
    ).data.id  # fmt: skip
    contract = CustomerPlan.objects.get(public_id=added).contract
    send_calls(150, JAN.replace(day=7))
    january = invoice_compute_usage(contract=contract, period=Period(JAN, FEB))
    assert january.total == 1200


@pytest.mark.parametrize(
    ("prices", "tiers"),
    [
        ([{"tier": 0, "value": 3}], [{"price": "3"}]),
        ([{"tier": 100, "value": 1}, {"tier": 0, "value": 2}], [{"price": "2", "size": "100"}, {"price": "1"}]),
        ([{"tier": 0, "value": 5}, {"tier": 10, "value": 4}, {"tier": 25, "value": 3}],
         [{"price": "5", "size": "10"}, {"price": "4", "size": "15"}, {"price": "3"}]),
    ],
)  # fmt: skip
def test_plan_tiers_as_contract_tiers(prices, tiers):
    from plans.plan_terms import contract_tiers

    assert contract_tiers(prices) == tiers
