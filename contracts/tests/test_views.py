"""The deal-desk contract page: edits through htmx forms, inline errors, archive, history, roles."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from billing_console.lib.periods import Period
from contracts.models import Commit, Override, ScheduledChargeItem
from invoicing.services import invoice_compute_usage, invoice_finalize
from invoicing.tests.factories import FEB, JAN, priced_world
from pricing.services import product_create

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def world(db):
    world = priced_world()
    world.fixed = product_create(name="Prepaid commit", type="FIXED")
    return world


def _url(name: str, world, *args) -> str:
    return reverse(f"contracts:{name}", args=[world.contract.public_id, *args])


def test_page_shows_edit_forms_to_deal_desk_only(client, dave, bob, world):
    client.force_login(dave)
    page = client.get(_url("contract-detail", world)).content.decode()
    assert (
        'id="override-form"' in page and 'id="charge-form"' in page and 'id="commit-form"' in page
    )
    assert "Amount (USD)" in page
    client.force_login(bob)
    page = client.get(_url("contract-detail", world)).content.decode()
    assert 'id="override-form"' not in page
    response = client.post(_url("contract-add-override", world), {"type": "MULTIPLIER"})
    assert response.status_code == 403


def test_commit_error_inline_then_fixed_in_dollars(client, dave, world):
    client.force_login(dave)
    data = {"kind": "PREPAID", "name": "Annual", "product": str(world.fixed.public_id), "amount": "1000",
            "starting_at": "2026-03-01", "ending_before": "2026-02-01"}  # fmt: skip
    response = client.post(_url("contract-add-commit", world), data, **HTMX)
    assert response.status_code == 422
    assert "Must be after the start date." in response.content.decode()
    assert not Commit.objects.exists()
    data["ending_before"] = "2027-03-01"
    response = client.post(_url("contract-add-commit", world), data, **HTMX)
    assert response.status_code == 200 and response["HX-Redirect"]
    commit = Commit.objects.get()
    assert commit.segments.get().amount == Decimal("100000")  # $1,000.00 in cents
    assert commit.invoice_items.get().amount == Decimal("100000")


def test_override_added_removed_and_recorded_with_its_author(client, dave, world):
    client.force_login(dave)
    data = {
        "type": "MULTIPLIER",
        "product": str(world.product.public_id),
        "multiplier": "0.9",
        "starting_at": "2026-01-01",
    }
    assert client.post(_url("contract-add-override", world), data, **HTMX).status_code == 200
    override = Override.objects.get()
    assert override.multiplier == Decimal("0.9")
    client.post(_url("contract-archive-item", world, "override", override.public_id))
    assert Override.objects.get().archived_at is not None
    page = client.get(_url("contract-detail", world)).content.decode()
    assert "add_overrides" in page and "remove_overrides" in page and "dave" in page


def test_override_form_errors_inline(client, dave, world):
    client.force_login(dave)
    response = client.post(
        _url("contract-add-override", world),
        {"type": "MULTIPLIER", "starting_at": "2026-01-01"},
        **HTMX,
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert (
        "A multiplier override needs a multiplier." in body
        and "Choose a product or give tags." in body
    )
    assert not Override.objects.exists()


def test_monthly_charge_in_dollars(client, dave, world):
    client.force_login(dave)
    data = {
        "product": str(world.fixed.public_id),
        "name": "Platform fee",
        "amount": "500",
        "first_date": "2026-01-01",
        "months": "3",
    }
    assert client.post(_url("contract-add-charge", world), data, **HTMX).status_code == 200
    items = ScheduledChargeItem.objects.order_by("timestamp")
    assert [(i.timestamp.month, i.amount) for i in items] == [(1, Decimal("50000"))] * 1 + [
        (2, Decimal("50000")),
        (3, Decimal("50000")),
    ]


def test_end_date_before_a_finalized_invoice_needs_confirmation(client, dave, world):
    invoice_finalize(
        invoice=invoice_compute_usage(contract=world.contract, period=Period(JAN, FEB))
    )
    client.force_login(dave)
    data = {"name": "Renamed", "ending_before": "2026-01-15"}
    response = client.post(_url("contract-update-terms", world), data, **HTMX)
    assert response.status_code == 422 and "finalized invoice" in response.content.decode()
    world.contract.refresh_from_db()
    assert (
        world.contract.name != "Renamed" and world.contract.ending_before is None
    )  # nothing applied
    data["allow_before_finalized"] = "on"
    assert client.post(_url("contract-update-terms", world), data, **HTMX).status_code == 200
    world.contract.refresh_from_db()
    assert world.contract.name == "Renamed"
    assert world.contract.ending_before == datetime(2026, 1, 15, tzinfo=UTC)
