"""The contract page's threshold billing and auto-recharge card: finance sets each up, changes
and turns it off in major units ("$1,000.00"); every change goes through contract_edit as the
API's v2 edit does (stored alike, recorded in the edit history with the user); a bad value is
refused beside its field with nothing changed; the card reads the configuration in words."""

import re
from html import unescape

import pytest
from django.urls import reverse

from billing_console.tests.form_labels import label_problems
from contracts.models import Contract, ContractEdit
from contracts.tests.factories import HTMX, console_world, field_error

pytestmark = pytest.mark.django_db

SPEND = "spend_threshold_configuration"
PREPAID = "prepaid_balance_threshold_configuration"


@pytest.fixture
def world(db):
    return console_world()


def _url(world, name: str, kind: str) -> str:
    return reverse(f"contracts:{name}", args=[world.contract.public_id, kind])


def _page(client, world) -> str:
    url = reverse("contracts:contract-detail", args=[world.contract.public_id])
    return unescape(client.get(url).content.decode())


def _form(client, world, partial: str) -> str:
    """One form as the page loads it when its <details> opens (?form=)."""
    url = reverse("contracts:contract-detail", args=[world.contract.public_id])
    return unescape(client.get(url, {"form": partial}).content.decode())


def _spend(world, **changes) -> dict:
    data = {"is_enabled": "on", "threshold_amount": "$1,000.00",
            "product": str(world.fixed.public_id), "name": "Usage prepayment",
            "payment_gate_type": "STRIPE", "stripe_payment_type": "INVOICE", "tax_type": "",
            "pays_percent": ""}  # fmt: skip
    return {k: v for k, v in (data | changes).items() if v is not None}


def _recharge(world, **changes) -> dict:
    data = {"is_enabled": "on", "threshold_amount": "200", "recharge_to_amount": "$1,000",
            "product": str(world.fixed.public_id), "payment_gate_type": "NONE",
            "applicable_products": [str(world.product.public_id)], "pays_percent": "90"}  # fmt: skip
    return {k: v for k, v in (data | changes).items() if v is not None}


def _stored(world, key: str):
    return getattr(Contract.objects.get(pk=world.contract.pk), key)


def test_finance_sets_up_threshold_billing_as_the_api_edit_would(client, fiona, world, api):
    client.force_login(fiona)
    response = client.post(_url(world, "contract-threshold-set", "spend"), _spend(world), **HTMX)
    assert response.status_code == 200 and response["HX-Redirect"]
    stored = _stored(world, SPEND)
    assert stored == {
        "commit": {"product_id": str(world.fixed.public_id), "name": "Usage prepayment"},
        "is_enabled": True,
        "payment_gate_config": {"payment_gate_type": "STRIPE",
                                "stripe_config": {"payment_type": "INVOICE"}},
        "threshold_amount": 100000,  # USD cents
    }  # fmt: skip
    edit = ContractEdit.objects.get(contract=world.contract)
    assert edit.actor == "fiona" and edit.changes == {f"add_{SPEND}": "set"}

    # The same configuration sent by the SDK to /v2/contracts/edit is stored identically.
    Contract.objects.filter(pk=world.contract.pk).update(**{SPEND: None})
    body = {"contract_id": str(world.contract.public_id),
            "customer_id": str(world.customer.public_id),
            f"add_{SPEND}": {"commit": {"product_id": str(world.fixed.public_id),
                                        "name": "Usage prepayment"},
                             "is_enabled": True, "threshold_amount": 100000,
                             "payment_gate_config": {"payment_gate_type": "STRIPE",
                                                     "stripe_config": {"payment_type": "INVOICE"}}}}  # fmt: skip
    assert api.post("/v2/contracts/edit", body, format="json").status_code == 200
    assert _stored(world, SPEND) == stored

    page = _page(client, world)
    assert "When unbilled usage reaches $1,000.00, bill it (Prepaid commit)" in page
    assert "Payment gate: Stripe invoice" in page and "Invoice line: Usage prepayment" in page


def test_auto_recharge_with_a_discount_and_the_products_it_applies_to(client, fiona, world):
    client.force_login(fiona)
    response = client.post(
        _url(world, "contract-threshold-set", "recharge"), _recharge(world), **HTMX
    )
    assert response.status_code == 200, response.content.decode()
    assert _stored(world, PREPAID) == {
        "commit": {"product_id": str(world.fixed.public_id),
                   "applicable_product_ids": [str(world.product.public_id)]},
        "is_enabled": True,
        "payment_gate_config": {"payment_gate_type": "NONE"},
        "recharge_to_amount": 100000,
        "threshold_amount": 20000,
        "discount_configuration": {"payment_fraction": 0.9},
    }  # fmt: skip
    page = _page(client, world)
    assert "When the prepaid balance falls below $200.00, recharge to $1,000.00" in page
    assert "The customer pays 90% of the credit granted" in page
    assert "The credit applies to Calls" in page
    form = _form(client, world, "recharge-form")
    assert 'name="pays_percent" value="90"' in form  # the change form, as typed


def test_a_change_updates_what_is_offered_and_keeps_the_rest(client, fiona, world):
    """Set through the API with fields the form does not offer (description, priority, Stripe
    invoice metadata): the console's change leaves them as they were."""
    from contracts.edits import contract_edit

    contract_edit(contract=world.contract, data={f"add_{SPEND}": {
        "commit": {"product_id": str(world.fixed.public_id), "description": "Prepay",
                   "priority": 5},
        "is_enabled": True, "threshold_amount": 50000,
        "payment_gate_config": {"payment_gate_type": "STRIPE", "stripe_config": {
            "payment_type": "INVOICE", "invoice_metadata": {"po": "42"}}},
    }})  # fmt: skip
    client.force_login(fiona)
    html = _form(client, world, "spend-threshold-form")
    assert 'value="500.00"' in html  # shown in dollars, not in cents

    data = _spend(world, threshold_amount="1,500", name="", tax_type="STRIPE")
    response = client.post(_url(world, "contract-threshold-set", "spend"), data, **HTMX)
    assert response.status_code == 200, response.content.decode()
    assert _stored(world, SPEND) == {
        "commit": {"product_id": str(world.fixed.public_id), "description": "Prepay",
                   "priority": 5},
        "is_enabled": True, "threshold_amount": 150000,
        "payment_gate_config": {"payment_gate_type": "STRIPE", "tax_type": "STRIPE",
                                "stripe_config": {"payment_type": "INVOICE",
                                                  "invoice_metadata": {"po": "42"}}},
    }  # fmt: skip
    edit = ContractEdit.objects.order_by("-pk").first()
    assert edit.changes == {f"update_{SPEND}": "updated"} and edit.actor == "fiona"

    # Another gate: Stripe Tax goes with the Stripe gate (the API refuses it without).
    data = _spend(world, payment_gate_type="EXTERNAL", tax_type="STRIPE")
    response = client.post(_url(world, "contract-threshold-set", "spend"), data, **HTMX)
    assert response.status_code == 200
    gate = _stored(world, SPEND)["payment_gate_config"]
    assert gate["payment_gate_type"] == "EXTERNAL" and "tax_type" not in gate


def test_turn_off_keeps_the_configuration_and_can_be_turned_on_again(client, fiona, world):
    client.force_login(fiona)
    client.post(_url(world, "contract-threshold-set", "recharge"), _recharge(world), **HTMX)
    before = _stored(world, PREPAID)
    response = client.post(_url(world, "contract-threshold-off", "recharge"))
    assert response.status_code == 302
    assert _stored(world, PREPAID) == {**before, "is_enabled": False}
    page = _page(client, world)
    assert "Auto-recharge turned off." in page and "Turn off auto-recharge" not in page
    assert "Change auto-recharge" in page

    # Off again is no edit at all; on again through the form.
    edits = ContractEdit.objects.count()
    client.post(_url(world, "contract-threshold-off", "recharge"))
    assert ContractEdit.objects.count() == edits
    client.post(_url(world, "contract-threshold-set", "recharge"), _recharge(world), **HTMX)
    assert _stored(world, PREPAID) == before


@pytest.mark.parametrize(
    ("kind", "changes", "field", "error"),
    [
        ("recharge", {"recharge_to_amount": "$150"}, "recharge_to_amount",
         "Must be more than the balance that triggers it ($200.00)."),
        ("recharge", {"product": "9d2f5c1e-0000-4000-8000-000000000000"}, "product",
         "Select a valid choice. 9d2f5c1e-0000-4000-8000-000000000000 is not one of the available choices."),
        ("spend", {"threshold_amount": "0"}, "threshold_amount", "must be greater than 0."),
        ("spend", {"threshold_amount": "12.345"}, "threshold_amount",
         "USD amounts have at most 2 decimal places."),
        ("spend", {"pays_percent": "120"}, "pays_percent",
         "Ensure this value is less than or equal to 100."),
    ],
)  # fmt: skip
def test_a_bad_value_is_refused_beside_its_field_with_nothing_changed(
    client, fiona, world, kind, changes, field, error
):
    client.force_login(fiona)
    build = _spend if kind == "spend" else _recharge
    response = client.post(
        _url(world, "contract-threshold-set", kind), build(world, **changes), **HTMX
    )
    assert response.status_code == 422
    fragment = response.content.decode()
    assert field_error(fragment, field) == error
    assert label_problems(fragment) == []
    form_id = "spend-threshold-form" if kind == "spend" else "recharge-form"
    assert f'id="{form_id}"' in fragment
    ids = re.compile(r' id="([^"]+)"')  # the fragment's ids are those of the form it replaces
    assert set(ids.findall(fragment)) <= set(ids.findall(_form(client, world, form_id)))
    assert ContractEdit.objects.count() == 0
    assert _stored(world, SPEND) is None and _stored(world, PREPAID) is None

    # Without htmx: the whole page, the form open with the error.
    response = client.post(_url(world, "contract-threshold-set", kind), build(world, **changes))
    assert response.status_code == 422
    assert field_error(response.content.decode(), field) == error


def test_read_only_and_deal_desk(client, bob, dave, world):
    client.force_login(bob)
    assert "Set up threshold billing" not in _page(client, world)
    url = _url(world, "contract-threshold-set", "spend")
    assert client.post(url, _spend(world)).status_code == 403
    client.force_login(dave)
    assert client.post(url, _spend(world), **HTMX).status_code == 200
    assert client.post(_url(world, "contract-threshold-set", "other"), {}).status_code == 404


def test_a_service_refusal_shows_beside_the_field_it_names(client, fiona, world):
    """Set through the API with specifiers: the service refuses applicable products beside
    them, and the console shows its words beside "Recharge credit applies to"."""
    from contracts.edits import contract_edit

    contract_edit(contract=world.contract, data={f"add_{PREPAID}": {
        "commit": {"product_id": str(world.fixed.public_id),
                   "specifiers": [{"product_id": str(world.product.public_id)}]},
        "is_enabled": True, "threshold_amount": 20000, "recharge_to_amount": 100000,
        "payment_gate_config": {"payment_gate_type": "NONE"},
    }})  # fmt: skip
    before, edits = _stored(world, PREPAID), ContractEdit.objects.count()
    client.force_login(fiona)
    url = _url(world, "contract-threshold-set", "recharge")
    response = client.post(url, _recharge(world), **HTMX)
    assert response.status_code == 422
    assert field_error(response.content.decode(), "applicable_products") == (
        "cannot be used with applicable_product_ids or applicable_product_tags."
    )
    assert _stored(world, PREPAID) == before and ContractEdit.objects.count() == edits

    # Left empty, the specifiers stay as stored.
    response = client.post(url, _recharge(world, applicable_products=[]), **HTMX)
    assert response.status_code == 200
    assert _stored(world, PREPAID)["commit"]["specifiers"] == before["commit"]["specifiers"]
