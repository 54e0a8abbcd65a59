"""The invoice's Marketplace metering section (its own htmx-loaded fragment) and Settings →
Marketplace metering (failed records, retry, listing settings), through the client and in a
real browser with screenshots at 1440 and 390 px."""

from datetime import timedelta

import pytest
from django.urls import reverse

from billing_console.encryption import decrypt_secret
from customers.billing_providers import billing_provider_set_up
from invoicing.marketplaces.hourly import marketplace_hours_record
from invoicing.marketplaces.models import (
    MarketplaceListingSettings,
    MarketplaceMeterRecord,
    MeterStatus,
)
from invoicing.marketplaces.sending import marketplace_records_send
from invoicing.models import Invoice
from invoicing.services import contract_invoices_refresh
from invoicing.tests.factories import FEB, JAN, priced_world
from invoicing.tests.test_marketplaces import (
    AFTER_3,
    H0,
    _three_hours,
    _usage,
    aws_world,
    stubbed,  # noqa: F401  (fixture)
)

KEY = '{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\\nx", "client_email": "m@p.iam.gserviceaccount.com"}'  # noqa: E501


def _metered_invoice(stubber) -> Invoice:
    world = aws_world()
    _three_hours()
    usages = [_usage(H0, 3), _usage(H0 + timedelta(hours=1), 4), _usage(H0 + timedelta(hours=2), 2)]
    stubber.add_response(
        "batch_meter_usage",
        {"Results": [
            {"UsageRecord": usages[0], "MeteringRecordId": "b1f4c2d0-6a8e-4d8f-9e52-0c3a1d7e9f11", "Status": "Success"},
            {"UsageRecord": usages[1], "MeteringRecordId": "7d2e9a44-1b3c-4e5f-8a6b-2c4d6e8f0a13", "Status": "Success"},
            {"UsageRecord": usages[2], "Status": "CustomerNotSubscribed"}],
         "UnprocessedRecords": []},
        expected_params={"UsageRecords": usages, "ProductCode": "prod1"},
    )  # fmt: skip
    marketplace_hours_record(now=AFTER_3)
    marketplace_records_send(now=AFTER_3)
    contract_invoices_refresh(contract=world.contract, through=FEB + timedelta(hours=1))
    return Invoice.objects.get(contract=world.contract, type="USAGE", period_start=JAN)


@pytest.mark.django_db
def test_the_invoice_fragment_lists_the_periods_hourly_records(client, fiona, stubbed):  # noqa: F811
    invoice = _metered_invoice(stubbed[0])
    client.force_login(fiona)
    page = client.get(reverse("invoicing:invoice-detail", args=[invoice.public_id]))
    assert reverse("invoicing:invoice-metering", args=[invoice.public_id]) in page.text
    fragment = client.get(
        reverse("invoicing:invoice-metering", args=[invoice.public_id]), HTTP_HX_REQUEST="true"
    )
    text = fragment.text
    assert fragment.status_code == 200 and "Marketplace metering" in text
    assert "b1f4c2d0-6a8e-4d8f-9e52-0c3a1d7e9f11" in text and "AWS: CustomerNotSubscribed" in text
    assert "Jan 10, 2026, 09:00 UTC–09:59" in text and "Retry now" in text


@pytest.mark.django_db
def test_no_section_for_a_customer_without_a_marketplace(client, fiona):
    world = priced_world()
    contract_invoices_refresh(contract=world.contract, through=FEB + timedelta(hours=1))
    invoice = Invoice.objects.filter(contract=world.contract).first()
    client.force_login(fiona)
    empty = client.get(reverse("invoicing:invoice-metering", args=[invoice.public_id]))
    assert empty.status_code == 200 and empty.content == b""  # no section


@pytest.mark.django_db
def test_the_settings_page_lists_failures_and_retries_one(client, fiona, stubbed):  # noqa: F811
    stubber = stubbed[0]
    _metered_invoice(stubber)
    client.force_login(fiona)
    page = client.get(reverse("invoicing:marketplace-metering"))
    assert "AWS: CustomerNotSubscribed" in page.text and "Acme" in page.text
    failed = MarketplaceMeterRecord.objects.get(status=MeterStatus.FAILED)
    stubber.add_response(
        "batch_meter_usage",
        {"Results": [{"UsageRecord": _usage(failed.hour, 2), "MeteringRecordId": "r3", "Status": "Success"}],
         "UnprocessedRecords": []},
        expected_params={"UsageRecords": [_usage(failed.hour, 2)], "ProductCode": "prod1"},
    )  # fmt: skip
    answer = client.post(reverse("invoicing:meter-record-retry", args=[failed.public_id]))
    assert answer.status_code == 302
    failed.refresh_from_db()
    assert (failed.status, failed.external_id) == (MeterStatus.SENT, "r3")


@pytest.mark.django_db
def test_listing_settings_store_the_key_encrypted_and_refuse_a_bad_one(client, fiona):
    provider = billing_provider_set_up(data={
        "billing_provider": "gcp_marketplace", "delivery_method": "direct_to_billing_provider",
        "configuration": {"gcp_project_id": "seller-project"},
    })  # fmt: skip
    client.force_login(fiona)
    url = reverse("invoicing:marketplace-listing-save", args=[provider.public_id])
    bad = client.post(url, {"gcp_service_name": "s.example.com", "gcp_service_account_key": "{}"})
    assert bad.status_code == 422 and "Paste the service account" in bad.text
    ok = client.post(url, {"gcp_service_name": "s.example.com", "gcp_service_account_key": KEY})
    assert ok.status_code == 302
    stored = MarketplaceListingSettings.objects.get(provider=provider)
    assert stored.gcp_service_account_key != KEY and decrypt_secret(stored.gcp_service_account_key) == KEY  # fmt: skip
    client.post(url, {"gcp_service_name": "s.example.com", "gcp_service_account_key": ""})
    stored.refresh_from_db()
    assert decrypt_secret(stored.gcp_service_account_key) == KEY  # blank keeps the key


@pytest.mark.browser
def test_the_metering_section_in_a_browser(page, login, fiona, stubbed, live_server):  # noqa: F811
    from billing_console.tests.screenshots import element_shots

    invoice = _metered_invoice(stubbed[0])
    login("fiona")
    page.goto(f"/invoices/{invoice.public_id}/")
    section = page.locator("#marketplace-metering")
    section.wait_for()
    assert "CustomerNotSubscribed" in section.inner_text()
    element_shots(page, "marketplace-metering", "#marketplace-metering")
    page.set_viewport_size({"width": 390, "height": 900})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    azure = billing_provider_set_up(data={
        "billing_provider": "azure_marketplace", "delivery_method": "direct_to_billing_provider",
        "configuration": {
            "azure_tenant_id": "11111111-2222-4333-8444-555555555555",
            "azure_client_id": "66666666-7777-4888-9999-000000000000",
            "azure_client_secret": "s"}})  # fmt: skip
    MarketplaceListingSettings.objects.create(provider=azure, azure_plan_id="gold")
    billing_provider_set_up(data={
        "billing_provider": "gcp_marketplace", "delivery_method": "direct_to_billing_provider",
        "configuration": {"gcp_project_id": "seller-project"}})  # fmt: skip
    page.goto("/invoices/marketplace-metering/")
    element_shots(page, "marketplace-metering-settings", "main")
