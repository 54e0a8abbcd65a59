"""Billing providers in the console: Stripe accounts (admins; secrets masked), customer and
contract configurations and their archiving (finance and admins), through htmx, per role."""

import pytest
from django.urls import reverse

from contracts.services import contract_create
from customers.billing_providers import billing_provider_set_up, customer_billing_configuration_set
from customers.models import ConfiguredBillingProvider, CustomerBillingProviderConfiguration
from customers.services import customer_create

HX = {"HTTP_HX_REQUEST": "true"}
KEY = "sk_live_51AbCdEfGhIjKlMnOpQrStUv"
PAGE = "/settings/billing-providers/"


@pytest.fixture
def entity(db) -> ConfiguredBillingProvider:
    return billing_provider_set_up(data={
        "billing_provider": "stripe", "delivery_method": "direct_to_billing_provider",
        "configuration": {"name": "US entity", "stripe_secret_key": KEY,
                          "stripe_webhook_secret": "whsec_abcdefgh1234"},
    })  # fmt: skip


@pytest.fixture
def acme(db):
    customer = customer_create(name="Acme", ingest_aliases=["acme"])
    contract = contract_create(customer=customer, data={"starting_at": "2026-01-01T00:00:00Z", "name": "Acme deal"})  # fmt: skip
    return customer, contract


def test_admins_set_up_stripe_accounts_with_masked_secrets(client, alice, entity):
    client.force_login(alice)
    page = client.get(PAGE)
    assert page.status_code == 200
    html = page.content.decode()
    assert "US entity" in html and "sk_live_…StUv" in html
    assert KEY not in html and "whsec_abcdefgh1234" not in html
    assert f"/stripe/webhooks/{entity.public_id}" in html

    bad = client.post(f"{PAGE}create", {"name": "EU entity", "secret_key": "pk_live_nope1234"}, **HX)  # fmt: skip
    assert bad.status_code == 422
    assert 'id="provider-panel"' in bad.content.decode() and "<html" not in bad.content.decode()
    assert "must be a Stripe secret or restricted key" in bad.content.decode()
    missing = client.post(f"{PAGE}create", {"name": "EU entity"}, **HX)
    assert missing.status_code == 422 and "needs its secret key" in missing.content.decode()

    eu_key = "rk_live_51EuropeRestricted99"
    ok = client.post(f"{PAGE}create", {"name": "EU entity", "secret_key": eu_key}, **HX)
    assert ok.status_code == 200
    assert "EU entity" in ok.content.decode() and eu_key not in ok.content.decode()
    eu = ConfiguredBillingProvider.objects.get(name="EU entity")
    assert eu.secret_key == eu_key

    # Rotating: a blank key keeps the stored one; a new webhook secret replaces the old.
    edited = client.post(
        reverse("billing-provider-update", args=[eu.public_id]),
        {"name": "EU entity (Dublin)", "secret_key": "", "webhook_secret": "whsec_rotated12345"},
        **HX,
    )
    assert edited.status_code == 200
    eu.refresh_from_db()
    assert (eu.name, eu.secret_key, eu.webhook_secret) == ("EU entity (Dublin)", eu_key, "whsec_rotated12345")  # fmt: skip

    archived = client.post(reverse("billing-provider-archive", args=[eu.public_id]), **HX)
    assert archived.status_code == 200
    eu.refresh_from_db()
    assert eu.archived_at is not None


def test_only_admins_reach_the_stripe_accounts(client, fiona, bob, entity):
    for user in (fiona, bob):
        client.force_login(user)
        assert client.get(PAGE).status_code == 403
        assert client.post(f"{PAGE}create", {"name": "X", "secret_key": KEY}).status_code == 403
    assert ConfiguredBillingProvider.objects.count() == 1


def test_finance_configures_a_customer_and_a_contract_then_archives(client, fiona, entity, acme):
    customer, contract = acme
    client.force_login(fiona)
    detail = client.get(reverse("customers:customer-detail", args=[customer.public_id]))
    assert "Add a configuration" in detail.content.decode()
    url = reverse("customers:customer-billing-configuration-add", args=[customer.public_id])
    body = {"provider": str(entity.public_id), "external_id": "cus_Acme42",
            "stripe_collection_method": "charge_automatically", "tax_provider": "stripe"}  # fmt: skip

    bad = client.post(url, {**body, "external_id": "acct_42"}, **HX)
    assert bad.status_code == 422
    assert "must be a Stripe customer id" in bad.content.decode()
    assert 'id="customer-billing"' in bad.content.decode()

    ok = client.post(url, body, **HX)
    assert ok.status_code == 200
    assert "cus_Acme42" in ok.content.decode() and "stripe tax" in ok.content.decode()
    row = CustomerBillingProviderConfiguration.objects.get()
    assert row.tax_provider == "stripe"
    assert client.post(url, body, **HX).status_code == 200  # identical again: still one
    assert CustomerBillingProviderConfiguration.objects.count() == 1
    page = client.get(reverse("customers:customer-detail", args=[customer.public_id]))
    assert '<option value="avalara">Avalara AvaTax</option>' in page.content.decode()

    # The contract page: bill this contract through it.
    assign = reverse("contracts:contract-billing-provider", args=[contract.public_id])
    section = client.post(assign, {"configuration": str(row.public_id)}, **HX)
    assert section.status_code == 200
    assert 'id="contract-billing"' in section.content.decode()
    assert "cus_Acme42" in section.content.decode()
    contract.refresh_from_db()
    assert contract.billing_provider_configuration == row

    archive = reverse("contracts:contract-billing-provider-archive", args=[contract.public_id])
    archived = client.post(archive, **HX)
    assert archived.status_code == 200 and "not billed" in archived.content.decode()
    row.refresh_from_db()
    assert row.archived_at is not None

    # The slot is free: a new configuration for the same Stripe customer, assigned again.
    again = client.post(url, body, **HX)
    assert again.status_code == 200
    new = CustomerBillingProviderConfiguration.objects.active().get()
    assert new.pk != row.pk
    assert client.post(assign, {"configuration": str(new.public_id)}, **HX).status_code == 200
    contract.refresh_from_db()
    assert contract.billing_provider_configuration == new

    # A different live configuration while one is assigned: refused in place (422).
    other = customer_billing_configuration_set(customer=customer, data={
        "billing_provider": "stripe", "delivery_method_id": str(entity.public_id),
        "configuration": {"stripe_customer_id": "cus_Other1"},
    })  # fmt: skip
    refused = client.post(assign, {"configuration": str(other.public_id)}, **HX)
    assert refused.status_code == 422
    assert "archive it first" in refused.content.decode()


def test_read_only_and_deal_desk_cannot_change_billing(client, bob, dave, entity, acme):
    customer, contract = acme
    row = customer_billing_configuration_set(customer=customer, data={
        "billing_provider": "stripe", "delivery_method_id": str(entity.public_id),
        "configuration": {"stripe_customer_id": "cus_Acme42"},
    })  # fmt: skip
    for user in (bob, dave):
        client.force_login(user)
        detail = client.get(reverse("customers:customer-detail", args=[customer.public_id]))
        assert detail.status_code == 200 and "cus_Acme42" in detail.content.decode()
        assert "Add a configuration" not in detail.content.decode()
        add = reverse("customers:customer-billing-configuration-add", args=[customer.public_id])
        assert client.post(add, {"provider": str(entity.public_id), "external_id": "cus_X1"}).status_code == 403  # fmt: skip
        archive = reverse(
            "customers:customer-billing-configuration-archive", args=[customer.public_id, row.public_id]
        )  # fmt: skip
        assert client.post(archive).status_code == 403
        assign = reverse("contracts:contract-billing-provider", args=[contract.public_id])
        assert client.post(assign, {"configuration": str(row.public_id)}).status_code == 403
    row.refresh_from_db()
    assert row.archived_at is None
