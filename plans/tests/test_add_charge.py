"""addCharge (customers.invoices.add_charge) through the official metronome-sdk: a one-time
charge on a plan customer's draft usage invoice, kept as a term of the plan-backed contract."""

from datetime import timedelta

import metronome
import pytest
from django.utils import timezone

from billing_console.lib.periods import Period
from contracts.models import ScheduledCharge
from invoicing.models import Invoice, InvoiceType
from invoicing.refresh_batch import contracts_refresh
from invoicing.services import invoice_compute_usage, invoice_finalize, invoice_finalize_due
from invoicing.tests.factories import FEB, JAN, MAR, send_calls
from plans.models import CustomerPlan
from plans.services import plan_create
from plans.tests.factories import plan_world
from pricing.services import product_create

pytestmark = pytest.mark.sdk


@pytest.fixture
def world(db):
    world = plan_world()
    onboarding = product_create(name="Onboarding", type="SUBSCRIPTION")
    extras = plan_create(
        name="One-time fees",
        charges=[{"charge_type": "fixed", "product": onboarding, "price": 50000, "quantity": 1}],
    )
    world.onboarding = str(extras.charges.get().public_id)
    world.onboarding_product = onboarding
    return world


def _add_plan(sdk, world) -> tuple[str, str]:
    customer_id = str(world.customer.public_id)
    plan_id = sdk.v1.customers.plans.add(
        customer_id=customer_id, plan_id=str(world.plan.public_id), starting_on="2026-01-01T00:00:00Z"
    ).data.id  # fmt: skip
    return customer_id, plan_id


def _usage_invoice(sdk, customer_id: str, start: str):
    invoices = sdk.v1.customers.invoices.list(customer_id=customer_id, type="USAGE")
    [invoice] = [i for i in invoices if i.start_timestamp.isoformat() == start]
    return sdk.v1.customers.invoices.retrieve(customer_id=customer_id, invoice_id=invoice.id).data


def _lines(invoice) -> list[tuple[str, float, float, float]]:
    return sorted((li.name, li.quantity, li.unit_price or 0, li.total) for li in invoice.line_items)


def test_a_one_time_charge_on_the_draft_kept_by_refreshes_and_finalized(sdk, world):
    """February: 100 calls x 5 = 500, the platform fee 2000, and "Onboarding workshop" at
    1250.5 cents x 3 = 3751.5, rounded once to 3752: 6252 cents."""
    customer_id, plan_id = _add_plan(sdk, world)
    contract = CustomerPlan.objects.get(public_id=plan_id).contract
    send_calls(100, FEB.replace(day=10))
    answer = sdk.v1.customers.invoices.add_charge(
        customer_id=customer_id, customer_plan_id=plan_id, charge_id=world.onboarding,
        description="Onboarding workshop", invoice_start_timestamp="2026-02-01T00:00:00Z",
        price=1250.5, quantity=3,
    )  # fmt: skip
    assert answer.to_dict() == {}
    expected = [
        ("Calls", 100, 5, 500), ("Onboarding workshop", 3, 1250.5, 3752), ("Platform fee", 1, 2000, 2000),
    ]  # fmt: skip
    draft = _usage_invoice(sdk, customer_id, "2026-02-01T00:00:00+00:00")
    assert (draft.status, _lines(draft), draft.total) == ("DRAFT", expected, 6252)
    [line] = [li for li in draft.line_items if li.name == "Onboarding workshop"]
    assert (line.type, line.product_id) == ("scheduled", str(world.onboarding_product.public_id))
    assert (line.starting_at.isoformat(), line.ending_before.isoformat()) == (
        "2026-02-01T00:00:00+00:00", "2026-03-01T00:00:00+00:00",
    )  # fmt: skip

    # Draft refreshes (the batched one, then one contract's) price it again: still there.
    assert contracts_refresh([contract.pk], now=timezone.now()).failed == []
    draft = _usage_invoice(sdk, customer_id, "2026-02-01T00:00:00+00:00")
    assert (_lines(draft), draft.total) == (expected, 6252)
    contract.refresh_from_db()
    invoice_compute_usage(contract=contract, period=Period(FEB, MAR))
    draft = _usage_invoice(sdk, customer_id, "2026-02-01T00:00:00+00:00")
    assert (_lines(draft), draft.total) == (expected, 6252)
    january = _usage_invoice(sdk, customer_id, "2026-01-01T00:00:00+00:00")
    assert "Onboarding workshop" not in [li.name for li in january.line_items]  # February's
    assert not Invoice.objects.filter(contract=contract, type=InvoiceType.SCHEDULED).exists()

    # The close finalizes it with the invoice.
    invoice_finalize_due(now=timezone.now(), grace=timedelta(0))
    final = _usage_invoice(sdk, customer_id, "2026-02-01T00:00:00+00:00")
    assert (final.status, _lines(final), final.total) == ("FINALIZED", expected, 6252)


def test_refusals_name_the_field_and_store_nothing(sdk, world):
    customer_id, plan_id = _add_plan(sdk, world)
    contract = CustomerPlan.objects.get(public_id=plan_id).contract
    january = invoice_compute_usage(contract=contract, period=Period(JAN, FEB))
    invoice_finalize(invoice=january)
    fee = str(world.plan.charges.get(charge_type="fixed").public_id)
    good = {
        "customer_plan_id": plan_id, "charge_id": world.onboarding, "description": "Setup",
        "invoice_start_timestamp": "2026-02-01T00:00:00Z", "price": 100, "quantity": 1,
    }  # fmt: skip
    cases = [
        ({"charge_id": fee}, "charge_id:"),  # a charge of the customer's own plan
        ({"invoice_start_timestamp": "2026-02-15T00:00:00Z"}, "invoice_start_timestamp:"),
        ({"invoice_start_timestamp": "2027-06-01T00:00:00Z"}, "invoice_start_timestamp:"),
        ({"invoice_start_timestamp": "2026-01-01T00:00:00Z"}, "invoice_start_timestamp:"),  # final
        ({"quantity": -1}, "quantity:"),
        ({"quantity": "many"}, "quantity:"),
        ({"price": -5}, "price:"),
        ({"description": "  "}, "description:"),
    ]
    for change, message in cases:
        with pytest.raises(metronome.BadRequestError) as err:
            sdk.v1.customers.invoices.add_charge(customer_id=customer_id, **{**good, **change})
        assert err.value.body["message"].startswith(message), (change, err.value.body)
    with pytest.raises(metronome.NotFoundError) as err:
        sdk.v1.customers.invoices.add_charge(
            customer_id=customer_id, **{**good, "charge_id": plan_id}
        )
    assert err.value.body["message"].startswith("charge_id:")
    assert not ScheduledCharge.objects.filter(contract=contract).exists()
    contract.refresh_from_db()
    assert contract.scheduled_charges_on_usage_invoices == ""
    february = invoice_compute_usage(contract=contract, period=Period(FEB, MAR))
    assert "Setup" not in [line.name for line in february.lines.all()]
