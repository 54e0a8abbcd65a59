"""Credit grants (Metronome 1.0) through the official metronome-sdk: customer-level commits
underneath, drawn down by the rating core on the customer's contract invoices."""

from datetime import timedelta

import metronome
import pytest

from billing_console.lib.periods import Period
from contracts.models import Commit
from invoicing.models import Invoice
from invoicing.services import invoice_compute_usage, invoice_finalize
from invoicing.tests.factories import FEB, JAN, priced_world, send_calls
from plans.models import CreditGrant
from pricing.products import credit_type_get_default

pytestmark = pytest.mark.sdk


@pytest.fixture
def world(db):
    return priced_world(price=5)  # calls at 5 cents each, a monthly contract from JAN


def _grant(sdk, world, **extra):
    usd = str(credit_type_get_default().public_id)
    body = {
        "customer_id": str(world.customer.public_id),
        "name": "Launch credit",
        "grant_amount": {"amount": 1000, "credit_type_id": usd},
        "paid_amount": {"amount": 0, "credit_type_id": usd},
        "priority": 1,
        "effective_at": "2026-01-01T00:00:00Z",
        "expires_at": "2027-01-01T00:00:00Z",
    }
    return sdk.v1.credit_grants.create(**{**body, **extra}).data.id


def test_grant_draws_down_and_lists_its_ledger(sdk, world):
    grant_id = _grant(
        sdk, world, reason="Launch promo", credit_grant_type="PROMO",
        product_ids=[str(world.product.public_id)], uniqueness_key="launch",
    )  # fmt: skip
    stored = CreditGrant.objects.get(public_id=grant_id)
    assert stored.commit.kind == "CREDIT" and stored.commit.contract is None
    assert stored.commit.applicable_product_ids == [str(world.product.public_id)]

    send_calls(120, JAN + timedelta(days=3))  # 120 x 5 = 600 cents, all drawn from the grant
    invoice = invoice_compute_usage(contract=world.contract, period=Period(JAN, FEB))
    assert invoice.total == 0
    [grant] = list(sdk.v1.credit_grants.list(customer_ids=[str(world.customer.public_id)]))
    assert grant.id == grant_id and grant.name == "Launch credit"
    assert grant.credit_grant_type == "PROMO" and grant.reason == "Launch promo"
    assert grant.grant_amount.amount == 1000 and grant.paid_amount.amount == 0
    assert [p.id for p in grant.products] == [str(world.product.public_id)]
    assert grant.uniqueness_key == "launch" and grant.invoice_id is None
    assert [(d.amount, d.running_balance) for d in grant.pending_deductions] == [(-600, 400)]
    assert grant.deductions == []
    assert grant.balance.excluding_pending == 1000 and grant.balance.including_pending == 400

    invoice_finalize(invoice=invoice)
    [grant] = list(sdk.v1.credit_grants.list(credit_grant_ids=[grant_id]))
    assert [(d.amount, d.invoice_id) for d in grant.deductions] == [(-600, str(invoice.public_id))]
    assert grant.pending_deductions == []
    assert grant.balance.excluding_pending == 400

    [page] = list(sdk.v1.credit_grants.list_entries(customer_ids=[str(world.customer.public_id)]))
    [ledger] = page.ledgers
    assert page.customer_id == str(world.customer.public_id)
    assert [(e.amount, e.running_balance, e.reason) for e in ledger.entries] == [
        (1000, 1000, "Launch promo"), (-600, 400, f"Usage on invoice {invoice.public_id}"),
    ]  # fmt: skip
    assert ledger.starting_balance.excluding_pending == 0
    assert ledger.ending_balance.excluding_pending == 400
    desc = list(sdk.v1.credit_grants.list_entries(sort="desc", starting_on=FEB.isoformat()))
    assert (
        desc[0].ledgers[0].entries == []
        and desc[0].ledgers[0].starting_balance.excluding_pending == 400
    )


def test_same_uniqueness_key_gives_one_grant(sdk, world):
    _grant(sdk, world, uniqueness_key="once")
    with pytest.raises(metronome.ConflictError) as err:
        _grant(sdk, world, uniqueness_key="once")
    assert err.value.body["message"].startswith("uniqueness_key: 'once'")
    assert CreditGrant.objects.count() == 1 and Commit.objects.count() == 1


def test_paid_grant_is_invoiced_then_voided_with_its_invoice(sdk, world):
    usd = str(credit_type_get_default().public_id)
    grant_id = _grant(
        sdk, world, paid_amount={"amount": 800, "credit_type_id": usd},
        invoice_date="2026-01-02T00:00:00Z", uniqueness_key="paid",
    )  # fmt: skip
    [grant] = list(sdk.v1.credit_grants.list(credit_grant_ids=[grant_id]))
    purchase = Invoice.objects.get(public_id=grant.invoice_id)
    assert (purchase.type, purchase.total, purchase.status) == ("SCHEDULED", 800, "DRAFT")
    assert CreditGrant.objects.get().commit.kind == "PREPAID"

    sdk.v1.credit_grants.edit(
        id=grant_id, name="Bought credit", credit_grant_type="PAID", expires_at="2026-07-01T00:00:00Z"
    )  # fmt: skip
    [grant] = list(sdk.v1.credit_grants.list(credit_grant_ids=[grant_id]))
    assert (grant.name, grant.credit_grant_type) == ("Bought credit", "PAID")
    assert grant.expires_at.isoformat() == "2026-07-01T00:00:00+00:00"
    assert CreditGrant.objects.get().commit.segments.get().ending_before.month == 7

    with pytest.raises(metronome.ConflictError):  # the key is still held
        _grant(sdk, world, uniqueness_key="paid")
    sdk.v1.credit_grants.void(
        id=grant_id, void_credit_purchase_invoice=True, release_uniqueness_key=True
    )
    purchase.refresh_from_db()
    assert purchase.status == "VOID"
    assert list(sdk.v1.credit_grants.list(credit_grant_ids=[grant_id])) == []
    assert CreditGrant.objects.get(public_id=grant_id).commit.archived_at is not None
    _grant(sdk, world, uniqueness_key="paid")  # released: usable again


def test_refused_terms_name_their_field(sdk, world):
    with pytest.raises(metronome.BadRequestError) as err:
        _grant(
            sdk, world, rollover_settings={
                "expires_at": "2027-06-01T00:00:00Z", "priority": 1,
                "rollover_amount": {"type": "MAX_PERCENTAGE", "value": 50},
            },
        )  # fmt: skip
    assert err.value.body["message"].startswith("rollover_settings:")
    with pytest.raises(metronome.BadRequestError) as err:
        _grant(sdk, world, expires_at="2025-06-01T00:00:00Z")
    assert err.value.body["message"].startswith("expires_at:")
    with pytest.raises(metronome.NotFoundError):
        sdk.v1.credit_grants.void(id="00000000-0000-0000-0000-000000000000")
    assert CreditGrant.objects.count() == 0
