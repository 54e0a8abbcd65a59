"""A running fake Salesforce that the real simple-salesforce talks to, and a connected org
with a mapping for each entity kind."""

from collections.abc import Iterator

import pytest

from billing_console.custom_fields import custom_field_key_add
from crm import services
from crm.salesforce import client
from crm.tests import fake_salesforce


@pytest.fixture
def sf(monkeypatch) -> Iterator[fake_salesforce.FakeSalesforce]:
    fake = fake_salesforce.FakeSalesforce()
    server = fake_salesforce.start(fake)
    monkeypatch.setattr(client, "http_session", lambda: fake_salesforce.routed_session(fake))
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def connected(db, sf, settings):
    settings.SALESFORCE_RETRY_BASE_SECONDS = 10
    settings.SALESFORCE_MAX_ATTEMPTS = 3
    custom_field_key_add(entity="contract", key="region", enforce_uniqueness=False)
    services.connection_save(
        instance_url="https://acme.my.salesforce.com", auth_method="password",
        username=sf.username, password=sf.password, security_token=sf.security_token,
    )  # fmt: skip
    services.mapping_save(
        kind="contract", sobject="Metronome_Contract__c", external_id_field="Metronome_Id__c",
        account_field="Account__c",
        field_map={"name": "Name", "starting_at": "Start__c", "total_contract_value": "TCV__c",
                   "currency": "CurrencyIsoCode", "netsuite_sales_order_id": "NetSuite_SO__c",
                   "custom_fields.region": "Region__c"},
    )  # fmt: skip
    services.mapping_save(
        kind="commit", sobject="Metronome_Commit__c", external_id_field="Metronome_Id__c",
        account_field="Account__c", field_map={"name": "Name", "access_amount": "Amount__c"},
    )  # fmt: skip
    services.mapping_save(
        kind="invoice", sobject="Metronome_Invoice__c", external_id_field="Metronome_Id__c",
        account_field="Account__c",
        field_map={"number": "Name", "status": "Status__c", "total": "Total__c"},
    )  # fmt: skip
    services.mapping_save(
        kind="lifecycle_event", sobject="Metronome_Event__c",
        external_id_field="Metronome_Id__c", account_field="Account__c",
        field_map={"type": "Type__c", "timestamp": "Occurred_At__c", "payload": "Payload__c"},
    )  # fmt: skip
    return sf
