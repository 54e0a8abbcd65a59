"""Settings → Tax, a customer's tax address, and the invoice's tax in the console and PDF."""

from django.urls import reverse

from customers.billing_providers import billing_provider_set_up
from customers.models import AvalaraCredentials
from customers.services import customer_create
from tax.models import AnrokCredentials, CustomerTaxAddress

KEY = "sxxx/saxxx/secret.wxyz"


def _entity():
    return billing_provider_set_up(data={
        "billing_provider": "stripe", "delivery_method": "direct_to_billing_provider",
        "configuration": {"name": "US entity", "stripe_secret_key": "sk_test_51FakeKey0001"},
    })  # fmt: skip


def test_admins_set_tax_credentials_that_are_never_shown(client, alice, bob, fiona):
    entity = _entity()
    client.force_login(alice)
    anrok = reverse("tax:anrok-key-set", args=[entity.public_id])
    assert client.post(anrok, {"api_key": "  "}).status_code == 422
    assert client.post(anrok, {"api_key": KEY}).status_code == 302
    avalara = reverse("tax:avalara-set", args=[entity.public_id])
    data = {
        "avalara_environment": "SANDBOX",
        "avalara_username": "acct",
        "avalara_password": "pw-9876",
    }
    assert client.post(avalara, data).status_code == 302
    stored = AvalaraCredentials.objects.get(provider=entity)
    assert (stored.username, stored.commit_transactions) == ("acct", False)
    assert AnrokCredentials.objects.get(provider=entity).api_key_last4 == "wxyz"
    html = client.get(reverse("tax:tax-settings")).content.decode()
    assert "…wxyz" in html and "password set" in html
    assert KEY not in html and "pw-9876" not in html
    for user in (fiona, bob):  # finance and read-only: not the secrets
        client.force_login(user)
        assert client.get(reverse("tax:tax-settings")).status_code == 403


def test_finance_sets_a_customer_tax_address(client, fiona):
    customer = customer_create(name="Acme", ingest_aliases=["acme"])
    client.force_login(fiona)
    url = reverse("tax:tax-address-edit", args=[customer.public_id])
    bad = {"line1": "350 5th Ave", "city": "New York", "postal_code": "10118", "country": "USA"}
    response = client.post(url, bad)
    assert response.status_code == 422 and "two-letter country code" in response.content.decode()
    assert client.post(url, {**bad, "country": "us", "region": "NY"}).status_code == 302
    assert str(CustomerTaxAddress.objects.get(customer=customer)) == (
        "350 5th Ave, New York, NY, 10118, US"
    )
    page = client.get(reverse("customers:customer-detail", args=[customer.public_id]))
    assert "350 5th Ave, New York, NY, 10118, US" in page.content.decode()
