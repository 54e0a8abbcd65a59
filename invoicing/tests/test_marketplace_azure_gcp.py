"""Hourly Azure and GCP marketplace metering against local fakes of their APIs (token
endpoints included) that check headers, auth and payload shapes and deduplicate per hour as
the providers do."""

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import override_settings

from billing_console.encryption import encrypt_secret
from contracts.terms.billing_provider import contract_billing_configuration_set
from customers.billing_providers import billing_provider_set_up, customer_billing_configuration_set
from invoicing.marketplaces import azure
from invoicing.marketplaces.hourly import marketplace_hours_record
from invoicing.marketplaces.models import (
    MarketplaceListingSettings,
    MarketplaceMeterRecord,
    MeterStatus,
)
from invoicing.marketplaces.sending import marketplace_records_send, meter_record_retry
from invoicing.tests.factories import priced_world, send_calls
from invoicing.tests.fake_marketplaces import ca_bundle, fake_marketplaces

pytestmark = pytest.mark.django_db
H0 = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
AFTER_3 = H0 + timedelta(hours=3, minutes=10)
SUBSCRIPTION = "5b9e3072-aaaa-4bbb-8ccc-123456789012"
TENANT = "11111111-2222-4333-8444-555555555555"


@pytest.fixture
def fake(monkeypatch):
    azure.credential.cache_clear()
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", ca_bundle())
    with fake_marketplaces() as server, override_settings(
        AZURE_LOGIN_URL=server.url, AZURE_MARKETPLACE_API_URL=server.url,
        GCP_SERVICE_CONTROL_URL=server.url, GCP_PROCUREMENT_URL=server.url,
        GCP_PROCUREMENT_PROVIDER_ID=server.gcp_provider_id,
    ):  # fmt: skip
        yield server


def _world(provider_data: dict, customer_config: dict, field: str, dimension: str):
    world = priced_world()
    world.product.custom_fields = {field: dimension}
    world.product.save(update_fields=["custom_fields"])
    provider = billing_provider_set_up(data=provider_data)
    configuration = customer_billing_configuration_set(customer=world.customer, data={
        "billing_provider": provider_data["billing_provider"],
        "delivery_method_id": str(provider.public_id), "configuration": customer_config,
    })  # fmt: skip
    contract_billing_configuration_set(contract=world.contract, configuration=configuration)
    send_calls(3, H0 + timedelta(minutes=5))
    send_calls(4, H0 + timedelta(hours=1, minutes=30))
    send_calls(2, H0 + timedelta(hours=2, minutes=59))
    return provider


def azure_world(plan: str = "gold"):
    provider = _world(
        {"billing_provider": "azure_marketplace", "delivery_method": "direct_to_billing_provider",
         "configuration": {"azure_tenant_id": TENANT,
                           "azure_client_id": "66666666-7777-4888-9999-000000000000",
                           "azure_client_secret": "azure-secret"}},
        {"azure_subscription_id": SUBSCRIPTION}, "azure_marketplace_dimension", "api_calls",
    )  # fmt: skip
    MarketplaceListingSettings.objects.create(provider=provider, azure_plan_id=plan)
    return provider


def test_azure_three_hours_three_events_and_a_retry_adds_none(fake):
    azure_world()
    assert marketplace_hours_record(now=AFTER_3) == 3
    assert marketplace_records_send(now=AFTER_3) == 3
    discovery, token, batch = fake.requests  # msal: tenant discovery, then the token
    assert discovery[0] == f"/{TENANT}/v2.0/.well-known/openid-configuration"
    assert token[0] == f"/{TENANT}/oauth2/v2.0/token"
    assert token[2]["client_id"] == ["66666666-7777-4888-9999-000000000000"]
    assert token[2]["scope"] == ["20e940b3-4c77-4b0b-9a53-9e16a1b010a7/.default"]
    assert batch[0] == "/api/batchUsageEvent?api-version=2018-08-31"
    assert batch[1]["authorization"] == "Bearer azure-token"
    assert batch[1]["content-type"] == "application/json"
    assert batch[2] == {"request": [
        {"resourceId": SUBSCRIPTION, "quantity": q, "dimension": "api_calls",
         "effectiveStartTime": f"2026-01-10T{h}:00:00Z", "planId": "gold"}
        for h, q in (("09", 3), ("10", 4), ("11", 2))
    ]}  # fmt: skip
    rows = list(MarketplaceMeterRecord.objects.order_by("hour"))
    assert [(r.status, r.external_id) for r in rows] == [
        ("SENT", "azure-1"),
        ("SENT", "azure-2"),
        ("SENT", "azure-3"),
    ]
    assert marketplace_hours_record(now=AFTER_3 + timedelta(minutes=30)) == 0
    assert marketplace_records_send(now=AFTER_3 + timedelta(minutes=30)) == 0
    assert len(fake.requests) == 3 and MarketplaceMeterRecord.objects.count() == 3


def test_azure_failure_then_retry_answered_duplicate_counts_as_accepted(fake):
    azure_world()
    marketplace_hours_record(now=AFTER_3)
    fake.fail_next = [503]
    assert marketplace_records_send(now=AFTER_3) == 0
    record = MarketplaceMeterRecord.objects.order_by("hour").first()
    assert record.status == MeterStatus.FAILED and "503" in record.error
    # Azure had in fact recorded the first hour: the resend is a Duplicate, i.e. accepted.
    fake.accepted[(SUBSCRIPTION, "api_calls", "2026-01-10T09")] = "azure-earlier"
    assert marketplace_records_send(now=AFTER_3 + timedelta(minutes=5)) == 3
    record.refresh_from_db()
    assert (record.status, record.external_id) == (MeterStatus.SENT, "azure-earlier")
    assert len(fake.calls(f"/{TENANT}/oauth2/v2.0/token")) == 1  # the token was reused


def test_azure_secret_refused_by_entra_id_is_kept_as_failed_and_retried(fake):
    provider = azure_world()
    provider.secret_key = "rotated-away"
    provider.save()
    marketplace_hours_record(now=AFTER_3)
    assert marketplace_records_send(now=AFTER_3) == 0
    record = MarketplaceMeterRecord.objects.order_by("hour").first()
    assert record.status == MeterStatus.FAILED
    assert record.error.startswith("ClientAuthenticationError:") and "AADSTS7000215" in record.error
    assert record.next_attempt_at == AFTER_3 + timedelta(minutes=5)
    assert fake.calls("/api/") == []


def test_azure_refused_dimension_stops_retrying_and_shows_why(fake):
    azure_world()
    fake.refuse = {"api_calls"}
    marketplace_hours_record(now=AFTER_3)
    marketplace_records_send(now=AFTER_3)
    record = MarketplaceMeterRecord.objects.order_by("hour").first()
    assert record.error == "Azure: InvalidDimension: Dimension not in plan."
    assert record.next_attempt_at is None  # a resend cannot fix it
    fake.refuse = set()  # fixed in Partner Center: retried by hand
    assert meter_record_retry(record=record, now=AFTER_3).status == MeterStatus.SENT


def _service_account_key(fake) -> str:
    """A service account JSON key whose public half the fake Service Control trusts."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()  # fmt: skip
    fake.gcp_keys["k1"] = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    fake.gcp_client_email = "metering@seller-project.iam.gserviceaccount.com"
    return json.dumps({
        "type": "service_account", "project_id": "seller-project", "private_key_id": "k1",
        "private_key": pem, "client_email": fake.gcp_client_email, "client_id": "1",
        "token_uri": f"{fake.url}/google/token",  # not asked: the client signs its own JWT
    })  # fmt: skip


REPORTING_ID = "project_number:123456789012"


def gcp_world(fake, state: str = "ENTITLEMENT_ACTIVE") -> None:
    fake.gcp_entitlements["ent-1"] = {
        "account": "buyer-account", "product": "example-messaging-service", "plan": "pro",
        "usageReportingId": REPORTING_ID, "state": state,
    }  # fmt: skip
    provider = _world(
        {"billing_provider": "gcp_marketplace", "delivery_method": "direct_to_billing_provider",
         "configuration": {"gcp_project_id": "seller-project"}},
        {"gcp_account_id": "buyer-project", "gcp_entitlement_id": "ent-1"},
        "gcp_marketplace_metric", "api_calls",
    )  # fmt: skip
    MarketplaceListingSettings.objects.create(
        provider=provider, gcp_service_name="example.gcpmarketplace.example.com",
        gcp_service_account_key=encrypt_secret(_service_account_key(fake)),
    )  # fmt: skip


def test_gcp_three_hours_three_operations_and_a_retry_adds_none(fake):
    gcp_world(fake)
    assert marketplace_hours_record(now=AFTER_3) == 3
    fake.fail_next = [500]
    assert marketplace_records_send(now=AFTER_3) == 0  # failed, kept, retried with backoff
    assert marketplace_records_send(now=AFTER_3 + timedelta(minutes=5)) == 3
    reports = fake.calls("/v1/services/")
    assert [urlsplit(r[0]).path for r in reports] == [
        "/v1/services/example.gcpmarketplace.example.com:report"
    ] * 2
    assert fake.calls("/google/token") == []  # a self-signed JWT, checked by the fake
    assert reports[0][2] == reports[1][2]  # the retry is the same operations (same ids)
    operations = reports[1][2]["operations"]
    assert [(o["consumerId"], o["startTime"], o["endTime"]) for o in operations] == [
        (REPORTING_ID, f"2026-01-10T{h:02}:00:00Z", f"2026-01-10T{h + 1:02}:00:00Z")
        for h in (9, 10, 11)
    ]
    assert [o["metricValueSets"] for o in operations][0] == [{
        "metricName": "example.gcpmarketplace.example.com/api_calls",
        "metricValues": [{"int64Value": "3"}],
    }]  # fmt: skip
    assert len({o["operationId"] for o in operations}) == 3
    rows = list(MarketplaceMeterRecord.objects.order_by("hour"))
    assert [r.external_id for r in rows] == [o["operationId"] for o in operations]
    assert marketplace_hours_record(now=AFTER_3 + timedelta(minutes=30)) == 0
    assert marketplace_records_send(now=AFTER_3 + timedelta(minutes=30)) == 0
    assert len(fake.calls("/v1/services/")) == 2
    # The entitlement was read once per run (its bearer token checked by the fake).
    reads = fake.calls("/v1/providers/")
    assert [r[0] for r in reads] == ["/v1/providers/example-partner/entitlements/ent-1"] * 2


def test_gcp_refused_metric_stops_retrying_and_shows_why(fake):
    gcp_world(fake)
    fake.refuse = {"api_calls"}
    marketplace_hours_record(now=AFTER_3)
    assert marketplace_records_send(now=AFTER_3) == 0
    record = MarketplaceMeterRecord.objects.order_by("hour").first()
    assert record.status == MeterStatus.FAILED
    assert record.error == "GCP: 3 Unknown metric example.gcpmarketplace.example.com/api_calls."
    assert record.next_attempt_at is None  # INVALID_ARGUMENT: a resend cannot fix it
    fake.refuse = set()  # the metric added to the service config: retried by hand
    assert meter_record_retry(record=record, now=AFTER_3).status == MeterStatus.SENT


def test_gcp_key_not_trusted_is_kept_as_failed_and_retried(fake):
    gcp_world(fake)
    fake.gcp_keys.clear()  # e.g. the key was deleted in IAM
    marketplace_hours_record(now=AFTER_3)
    assert marketplace_records_send(now=AFTER_3) == 0
    record = MarketplaceMeterRecord.objects.order_by("hour").first()
    assert record.status == MeterStatus.FAILED
    assert record.error == "GCP entitlement ent-1: 401 unauthenticated"
    assert record.next_attempt_at == AFTER_3 + timedelta(minutes=5)
    assert fake.calls("/v1/services/") == []  # nothing reported without the entitlement


def test_gcp_inactive_entitlement_fails_the_record_visibly_and_is_retried(fake):
    gcp_world(fake, state="ENTITLEMENT_ACTIVATION_REQUESTED")
    marketplace_hours_record(now=AFTER_3)
    assert marketplace_records_send(now=AFTER_3) == 0
    rows = list(MarketplaceMeterRecord.objects.order_by("hour"))
    assert {r.status for r in rows} == {MeterStatus.FAILED}
    assert rows[0].error == (
        "GCP entitlement ent-1 is ENTITLEMENT_ACTIVATION_REQUESTED, not active: usage is not "
        "reported until it is active (retried)."
    )
    assert rows[0].next_attempt_at == AFTER_3 + timedelta(minutes=5)
    assert fake.calls("/v1/services/") == [] and len(fake.calls("/v1/providers/")) == 1
    fake.gcp_entitlements["ent-1"]["state"] = "ENTITLEMENT_ACTIVE"  # approved meanwhile
    assert marketplace_records_send(now=AFTER_3 + timedelta(minutes=5)) == 3
    operations = fake.calls("/v1/services/")[0][2]["operations"]
    assert {o["consumerId"] for o in operations} == {REPORTING_ID}


def test_gcp_pending_cancellation_still_reports(fake):
    gcp_world(fake, state="ENTITLEMENT_PENDING_CANCELLATION")
    marketplace_hours_record(now=AFTER_3)
    assert marketplace_records_send(now=AFTER_3) == 3


def test_gcp_unknown_entitlement_and_missing_provider_id_are_shown(fake):
    gcp_world(fake)
    fake.gcp_entitlements.clear()
    marketplace_hours_record(now=AFTER_3)
    marketplace_records_send(now=AFTER_3)
    record = MarketplaceMeterRecord.objects.order_by("hour").first()
    assert record.error == "GCP entitlement ent-1: 404 Entitlement not found."
    with override_settings(GCP_PROCUREMENT_PROVIDER_ID=""):
        record = meter_record_retry(record=record, now=AFTER_3)
    assert record.status == MeterStatus.FAILED and record.next_attempt_at is None
    assert record.error.startswith("GCP_PROCUREMENT_PROVIDER_ID (the Partner id")


def test_gcp_configuration_without_entitlement_reports_the_project(fake):
    gcp_world(fake)
    marketplace_hours_record(now=AFTER_3)
    configuration = MarketplaceMeterRecord.objects.first().configuration
    del configuration.configuration["gcp_entitlement_id"]  # stored before it was required
    configuration.save()
    assert marketplace_records_send(now=AFTER_3) == 3
    operations = fake.calls("/v1/services/")[0][2]["operations"]
    assert {o["consumerId"] for o in operations} == {"project:buyer-project"}
    assert fake.calls("/v1/providers/") == []
