"""The invoice page explains each line: the rate card, rate, start and unit; a percentage as a
share of the charges; which credit paid and why one with money left did not."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from billing_console.lib.periods import Period
from contracts.edits import contract_edit
from invoicing.services import invoice_compute_usage
from invoicing.tests.factories import FEB, JAN, priced_world, send_calls
from pricing.services import product_create, rate_add

pytestmark = pytest.mark.django_db


def _credit(product, name: str, amount: int, **terms) -> dict:
    return {
        "product_id": str(product.public_id), "name": name, "priority": 1,
        "access_schedule": {"schedule_items": [{
            "amount": amount, "starting_at": "2026-01-01T00:00:00Z",
            "ending_before": "2027-01-01T00:00:00Z",
        }]}, **terms,
    }  # fmt: skip


@pytest.fixture
def explained(db):
    return explained_invoice()


def explained_invoice():
    """400 calls at $0.0025 (100 cents), a 5% support fee on them (5 cents); a $3.00 credit
    limited to another product pays nothing; a $0.40 credit for calls pays 40 cents."""
    fixed = product_create(name="Credits", type="FIXED")
    storage = product_create(name="Storage", type="FIXED")
    world = priced_world(
        price=Decimal("0.25"),
        contract_extra={"credits": [
            _credit(fixed, "Storage credit", 300, applicable_product_ids=[str(storage.public_id)]),
        ]},
    )  # fmt: skip
    calls_credit = _credit(
        fixed, "Call credit", 40, applicable_product_ids=[str(world.product.public_id)]
    )
    contract_edit(contract=world.contract, data={"add_credits": [calls_credit]})
    support = product_create(
        name="Support", type="COMPOSITE", composite_product_ids=[str(world.product.public_id)]
    )
    rate_add(rate_card=world.rate_card, product=support, starting_at=JAN,
             rate_type="PERCENTAGE", price=Decimal("0.05"))  # fmt: skip
    send_calls(400, datetime(2026, 1, 5, tzinfo=UTC))
    invoice = invoice_compute_usage(contract=world.contract, period=Period(JAN, FEB))
    return world, invoice


def _page(client, user, invoice) -> str:
    client.force_login(user)
    return client.get(
        reverse("invoicing:invoice-detail", args=[invoice.public_id])
    ).content.decode()


def test_a_flat_line_names_card_rate_unit_and_start(client, bob, explained):
    _, invoice = explained
    page = _page(client, bob, invoice)
    assert "Standard card · $0.0025 per call from Jan 1, 2026" in page


def test_a_percentage_line_reads_as_a_share_of_the_charges(client, bob, explained):
    _, invoice = explained
    page = _page(client, bob, invoice)
    assert "5% of $1.00" in page
    assert "Standard card · 5% of $1.00 from Jan 1, 2026" in page


def test_a_still_owed_line_says_why_the_credit_did_not_pay(client, bob, explained):
    _, invoice = explained
    page = _page(client, bob, invoice)
    assert "Call credit (credit) paid $0.40." in page
    assert "Storage credit ($3.00 left) did not pay: not applicable to this product." in page


def test_a_draft_is_named_by_its_period_not_numbered(client, bob, explained):
    _, invoice = explained
    page = _page(client, bob, invoice)
    assert "Draft · Jan 1 – Jan 31, 2026" in page
    listing = client.get(reverse("invoicing:invoice-list")).content.decode()
    assert ">Draft · Jan 1 – Jan 31, 2026</a>" in listing and ">draft</a>" not in listing


def test_a_tiered_line_shows_its_tier_math_and_the_override(client, bob):
    # 150 calls: 100 at 2 cents, 50 at 1 cent, all halved by a contract override (2.00 -> 1.25).
    world = priced_world(price=1)
    world.rate.delete()
    rate_add(rate_card=world.rate_card, product=world.product, starting_at=JAN,
             rate_type="TIERED", tiers=[{"size": 100, "price": "2"}, {"price": "1"}])  # fmt: skip
    contract_edit(contract=world.contract, data={"add_overrides": [{
        "starting_at": "2026-01-01T00:00:00Z", "type": "MULTIPLIER", "multiplier": "0.5",
        "override_specifiers": [{"product_id": str(world.product.public_id)}],
    }]})  # fmt: skip
    send_calls(150, datetime(2026, 1, 5, tzinfo=UTC))
    invoice = invoice_compute_usage(contract=world.contract, period=Period(JAN, FEB))
    page = _page(client, bob, invoice)
    assert "Standard card · tiered per call from Jan 1, 2026" in page
    assert "Tier 1 (from unit 1): 100 × $0.01 = $1.00" in page
    assert "Tier 2 (from unit 101): 50 × $0.005 = $0.25" in page
    assert "Contract override applied (× 0.5)" in page


def test_a_credit_whose_access_starts_later_says_so(client, bob):
    fixed = product_create(name="Credits", type="FIXED")
    later = _credit(fixed, "Spring credit", 500)
    later["access_schedule"]["schedule_items"][0]["starting_at"] = "2026-02-01T00:00:00Z"
    world = priced_world(price=Decimal("0.25"), contract_extra={"credits": [later]})
    send_calls(400, datetime(2026, 1, 5, tzinfo=UTC))
    invoice = invoice_compute_usage(contract=world.contract, period=Period(JAN, FEB))
    page = _page(client, bob, invoice)
    assert (
        "Spring credit ($5.00 left) did not pay: outside its access window "
        "(Feb 1, 2026 to Jan 1, 2027)." in page
    )
