"""Pushes through the real simple-salesforce to a local fake Salesforce: the login, the upsert
path and body, the Account link, retries with backoff on 5xx, refusals, idempotent re-pushes."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from billing_console.custom_fields import custom_field_key_add
from contracts.models import Contract
from crm import services
from crm.models import SyncRecord
from crm.salesforce.push import backoff_seconds
from crm.tasks import salesforce_sweep
from crm.tests.fake_salesforce import SESSION_ID
from invoicing.tests.factories import priced_world

pytestmark = pytest.mark.django_db


def _world(capture):
    with capture(execute=True):
        world = priced_world(contract_extra={
            "name": "Acme 2026", "netsuite_sales_order_id": "SO-42",
            "total_contract_value": 1250000, "custom_fields": {"region": "EU"},
        })  # fmt: skip
    return world


@pytest.fixture
def world(connected, django_capture_on_commit_callbacks):
    from customers.models import Customer

    world = _world(django_capture_on_commit_callbacks)
    Customer.objects.filter(pk=world.customer.pk).update(salesforce_account_id="001ACME000000001")
    return world


def _contract_record(world) -> SyncRecord:
    return SyncRecord.objects.get(key=f"contract:{world.contract.public_id}")


def test_a_new_contract_is_upserted_by_external_id_after_a_soap_login(world, connected):
    contract = world.contract
    login = [r for r in connected.requests if r.path.startswith("/services/Soap/u/")]
    assert login and login[0].host == "acme.my.salesforce.com"
    assert login[0].path == "/services/Soap/u/62.0"
    assert login[0].headers["SOAPAction"] == "login"
    assert f"username>{connected.username}</" in login[0].body.decode()
    assert f"password>{connected.password}{connected.security_token}</" in login[0].body.decode()

    (upsert,) = [r for r in connected.upserts() if "Metronome_Contract__c" in r.path]
    assert upsert.host == "acme.my.salesforce.com"
    assert upsert.path == (
        f"/services/data/v62.0/sobjects/Metronome_Contract__c/Metronome_Id__c/{contract.public_id}"
    )
    assert upsert.headers["Authorization"] == f"Bearer {SESSION_ID}"
    assert upsert.headers["Content-Type"] == "application/json"
    assert upsert.json() == {
        "Name": "Acme 2026",
        "Start__c": "2026-01-01T00:00:00Z",
        # total_contract_value is in cents on the wire: Salesforce gets dollars.
        "TCV__c": 12500.0,
        "CurrencyIsoCode": "USD",
        "NetSuite_SO__c": "SO-42",
        "Region__c": "EU",
    }  # fmt: skip (no Account__c: the customer had no Salesforce account id yet)
    record = _contract_record(world)
    assert (record.status, record.attempt_count, record.sobject) == (
        "succeeded",
        1,
        "Metronome_Contract__c",
    )
    stored = connected.records[
        ("Metronome_Contract__c", "Metronome_Id__c", str(contract.public_id))
    ]
    assert record.salesforce_id == stored["Id"]


def test_the_record_is_linked_to_the_customers_salesforce_account(
    world, connected, django_capture_on_commit_callbacks
):
    contract = Contract.objects.get(pk=world.contract.pk)
    with django_capture_on_commit_callbacks(execute=True):
        contract.name = "Acme 2026 (renewed)"
        contract.save(update_fields=["name", "updated_at"])
    last = [r for r in connected.upserts() if "Metronome_Contract__c" in r.path][-1]
    assert last.json()["Account__c"] == "001ACME000000001"
    assert last.json()["Name"] == "Acme 2026 (renewed)"


def test_a_repeated_push_updates_the_same_salesforce_record(
    world, connected, django_capture_on_commit_callbacks
):
    record = _contract_record(world)
    first_id = record.salesforce_id
    for name in ("Second", "Third"):
        contract = Contract.objects.get(pk=world.contract.pk)
        with django_capture_on_commit_callbacks(execute=True):
            contract.name = name
            contract.save(update_fields=["name", "updated_at"])
    contracts = {k: v for k, v in connected.records.items() if k[0] == "Metronome_Contract__c"}
    assert len(contracts) == 1  # one Salesforce record, upserted three times
    (stored,) = contracts.values()
    assert (stored["Id"], stored["Name"]) == (first_id, "Third")
    assert SyncRecord.objects.filter(kind="contract").count() == 1
    record.refresh_from_db()
    assert (record.status, record.attempt_count, record.salesforce_id) == ("succeeded", 3, first_id)


def test_a_server_error_is_retried_with_exponential_backoff(
    connected, django_capture_on_commit_callbacks
):
    connected.fail_next(503, 500)
    world = _world(django_capture_on_commit_callbacks)
    record = _contract_record(world)
    assert (record.status, record.attempt_count) == ("failed", 1)
    assert "HTTP 503" in record.last_error and "SERVER_UNAVAILABLE" in record.last_error
    first_due = record.next_attempt_at
    assert timedelta(seconds=10) <= first_due - record.last_attempt_at < timedelta(seconds=11)

    assert salesforce_sweep() == 0  # not due yet
    with time_machine.travel(first_due + timedelta(seconds=1)):
        assert salesforce_sweep() == 1
    record.refresh_from_db()
    assert (record.status, record.attempt_count) == ("failed", 2)
    delay = record.next_attempt_at - record.last_attempt_at
    assert timedelta(seconds=20) <= delay < timedelta(seconds=21)  # doubled

    with time_machine.travel(record.next_attempt_at + timedelta(seconds=1)):
        salesforce_sweep()
    record.refresh_from_db()
    assert (record.status, record.attempt_count, record.last_error) == ("succeeded", 3, "")
    assert len([r for r in connected.upserts() if "Metronome_Contract__c" in r.path]) == 3
    assert len([k for k in connected.records if k[0] == "Metronome_Contract__c"]) == 1


def test_it_gives_up_after_the_maximum_attempts_and_the_retry_button_starts_again(
    connected, django_capture_on_commit_callbacks
):
    connected.fail_next(503, 503, 503)
    world = _world(django_capture_on_commit_callbacks)
    record = _contract_record(world)
    for _ in range(2):
        with time_machine.travel(record.next_attempt_at + timedelta(seconds=1)):
            salesforce_sweep()
        record.refresh_from_db()
    assert (record.status, record.attempt_count, record.next_attempt_at) == ("exhausted", 3, None)

    with django_capture_on_commit_callbacks(execute=True):
        services.sync_retry(record=record)
    record.refresh_from_db()
    assert (record.status, record.attempt_count, record.last_error) == ("succeeded", 4, "")


def test_a_refusal_is_not_retried_and_says_what_salesforce_said(
    connected, django_capture_on_commit_callbacks
):
    connected.fail_next(400)
    world = _world(django_capture_on_commit_callbacks)
    record = _contract_record(world)
    assert (record.status, record.attempt_count, record.next_attempt_at) == ("exhausted", 1, None)
    assert record.last_error.startswith("HTTP 400")


def test_wrong_credentials_are_recorded_and_not_retried(
    connected, django_capture_on_commit_callbacks
):
    connected.password = "changed-in-salesforce"
    world = _world(django_capture_on_commit_callbacks)
    record = _contract_record(world)
    assert record.status == "exhausted"
    assert "INVALID_LOGIN" in record.last_error
    assert connected.upserts() == []


def test_client_credentials_sign_in(connected, django_capture_on_commit_callbacks):
    services.connection_save(
        instance_url="https://acme.my.salesforce.com", auth_method="client_credentials",
        consumer_key=connected.consumer_key, consumer_secret=connected.consumer_secret,
    )  # fmt: skip
    world = _world(django_capture_on_commit_callbacks)
    (token,) = [r for r in connected.requests if r.path == "/services/oauth2/token"]
    assert token.host == "acme.my.salesforce.com"
    assert "grant_type=client_credentials" in token.body.decode()
    assert _contract_record(world).status == "succeeded"


def test_nothing_is_pushed_without_a_mapping(db, sf, django_capture_on_commit_callbacks):
    custom_field_key_add(entity="contract", key="region", enforce_uniqueness=False)
    _world(django_capture_on_commit_callbacks)
    assert SyncRecord.objects.count() == 0
    assert sf.requests == []


def test_backoff_doubles_up_to_the_cap(settings):
    settings.SALESFORCE_RETRY_BASE_SECONDS = 10
    settings.SALESFORCE_RETRY_MAX_SECONDS = 60
    assert [backoff_seconds(n) for n in (1, 2, 3, 4, 5)] == [10, 20, 40, 60, 60]


def test_a_change_during_an_attempt_is_pushed_after_it(world, connected):
    record = _contract_record(world)
    now = timezone.now()
    SyncRecord.objects.filter(pk=record.pk).update(requested_at=now + timedelta(seconds=5))
    from crm.salesforce.client import UpsertResult
    from crm.salesforce.push import _record

    _record(record.pk, now, UpsertResult(True, salesforce_id="a0X"), "Metronome_Contract__c")
    record.refresh_from_db()
    assert record.status == "pending" and record.next_attempt_at is not None
