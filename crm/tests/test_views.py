"""Settings → Salesforce and the sync log, through the test client."""

import pytest
from django.urls import reverse
from django.utils import timezone

from crm import services
from crm.models import SalesforceConnection, SalesforceMapping, SyncRecord

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def _record(status: str, label: str, error: str = "") -> SyncRecord:
    now = timezone.now()
    return SyncRecord.objects.create(
        key=f"contract:{label}", kind="contract", object_pk=1, object_id=label, label=label,
        status=status, last_error=error, requested_at=now, attempt_count=1,
        sobject="Metronome_Contract__c",
    )  # fmt: skip


def test_secrets_are_stored_encrypted_and_never_shown(client, alice):
    client.force_login(alice)
    response = client.post(reverse("crm:connection-save"), {
        "instance_url": "https://acme.my.salesforce.com", "auth_method": "password",
        "username": "sync@acme.example", "password": "hunter2", "security_token": "TOKEN123",
        "api_version": "62.0", "is_enabled": "on",
    })  # fmt: skip
    assert response.status_code == 302
    connection = SalesforceConnection.objects.get()
    assert "hunter2" not in connection.password_encrypted
    page = client.get(reverse("crm:salesforce-settings")).content.decode()
    assert "hunter2" not in page and "TOKEN123" not in page
    assert "password set" in page

    # Saved again with the secrets left blank: the stored ones are kept.
    client.post(reverse("crm:connection-save"), {
        "instance_url": "https://acme.my.salesforce.com", "auth_method": "password",
        "username": "sync@acme.example", "api_version": "62.0",
    })  # fmt: skip
    connection.refresh_from_db()
    from billing_console.encryption import decrypt_secret

    assert decrypt_secret(connection.password_encrypted) == "hunter2"
    assert connection.is_enabled is False


def test_a_bad_instance_url_or_mapping_is_a_422_naming_the_field(client, alice):
    client.force_login(alice)
    response = client.post(reverse("crm:connection-save"), {
        "instance_url": "https://example.com", "auth_method": "password", "username": "u",
        "password": "p", "api_version": "62.0"})  # fmt: skip
    assert response.status_code == 422
    assert "acme.my.salesforce.com" in response.content.decode()

    response = client.post(reverse("crm:mapping-save", args=["contract"]), {
        "contract-sobject": "Metronome_Contract__c", "contract-external_id_field": "Metronome_Id__c",
        "contract-field_map": "name = Name\nshoe_size = Shoe__c"})  # fmt: skip
    assert response.status_code == 422
    assert "&#x27;shoe_size&#x27; is not a field of contracts" in response.content.decode()
    assert not SalesforceMapping.objects.exists()

    response = client.post(reverse("crm:mapping-save", args=["contract"]), {
        "contract-sobject": "Metronome Contract", "contract-external_id_field": "Metronome_Id__c"})  # fmt: skip
    assert response.status_code == 422
    assert "is not a Salesforce API name" in response.content.decode()


def test_a_mapping_is_saved_from_the_form(client, alice):
    client.force_login(alice)
    response = client.post(reverse("crm:mapping-save", args=["invoice"]), {
        "invoice-sobject": "Metronome_Invoice__c", "invoice-external_id_field": "Metronome_Id__c",
        "invoice-account_field": "Account__c", "invoice-is_enabled": "on",
        "invoice-field_map": "number = Name\n\ntotal = Total__c"})  # fmt: skip
    assert response.status_code == 302
    mapping = SalesforceMapping.objects.get(kind="invoice")
    assert mapping.field_map == {"number": "Name", "total": "Total__c"}
    assert mapping.account_field == "Account__c"


def test_only_admins_change_settings(client, bob, fiona):
    for user in (bob, fiona):
        client.force_login(user)
        assert client.get(reverse("crm:salesforce-settings")).status_code == 403
        response = client.post(reverse("crm:mapping-save", args=["invoice"]), {})
        assert response.status_code == 403


def test_the_sync_log_filters_by_status(client, bob):
    _record("succeeded", "Acme 2026")
    _record("exhausted", "Globex 2026", error="HTTP 400, INVALID_FIELD: No such column")
    client.force_login(bob)
    page = client.get(reverse("crm:sync-log")).content.decode()
    assert "Acme 2026" in page and "Globex 2026" in page
    page = client.get(reverse("crm:sync-log"), {"status": "exhausted"}).content.decode()
    assert "Acme 2026" not in page and "INVALID_FIELD: No such column" in page
    fragment = client.get(reverse("crm:sync-log"), {"status": "succeeded"}, HTTP_HX_TARGET="sync-log", **HTMX)  # fmt: skip
    assert fragment.content.decode().lstrip().startswith('<div id="sync-log"')
    assert "Retry" not in page  # read-only: no retry button


def test_retry_from_the_log(client, fiona, bob, connected, django_capture_on_commit_callbacks):
    record = _record("exhausted", "Globex 2026")
    client.force_login(bob)
    assert client.post(reverse("crm:sync-retry", args=[record.public_id])).status_code == 403
    client.force_login(fiona)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("crm:sync-retry", args=[record.public_id]), **HTMX)
    assert response.status_code == 200 and len(callbacks) == 1  # the push, enqueued on commit
    record.refresh_from_db()
    assert (record.status, record.schedule_base) == ("pending", 1)


def test_services_refuse_a_source_field_the_kind_does_not_have(db):
    from billing_console.api import ApplicationError

    with pytest.raises(ApplicationError, match="field_map: 'payload' is not a field of invoices"):
        services.mapping_save(kind="invoice", sobject="Inv__c", external_id_field="Ext__c",
                              field_map={"payload": "Payload__c"})  # fmt: skip


def test_client_credentials_need_the_my_domain_address(db):
    from billing_console.api import ApplicationError

    with pytest.raises(ApplicationError, match="instance_url: the client credentials flow"):
        services.connection_save(instance_url="https://login.salesforce.com",
                                 auth_method="client_credentials", consumer_key="k",
                                 consumer_secret="s")  # fmt: skip
