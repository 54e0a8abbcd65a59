"""What each entity kind sends: a commit (amount in dollars), a finalized invoice (not its
drafts), and lifecycle events as they are published to webhooks, each linked to the Account."""

from datetime import timedelta

import pytest

from alerts.lifecycle import system_notification_set
from crm.models import SyncRecord
from customers.models import Customer
from invoicing.models import Invoice
from invoicing.services import contract_invoices_refresh, invoice_finalize
from invoicing.tests.factories import FEB, JAN, priced_world, send_calls
from pricing.services import product_create

pytestmark = pytest.mark.django_db
ACCOUNT = "001ACME000000001"


def _bodies(fake, sobject: str) -> list[dict]:
    return [r.json() for r in fake.upserts() if f"/sobjects/{sobject}/" in r.path]


def _world(capture, **extra):
    with capture(execute=True):
        customer_update = {"salesforce_account_id": ACCOUNT}
        world = priced_world(contract_extra=extra)
        Customer.objects.filter(pk=world.customer.pk).update(**customer_update)
    return world


def test_a_commit_is_pushed_with_its_amount_in_dollars(connected, django_capture_on_commit_callbacks):  # fmt: skip
    fixed = product_create(name="Prepaid", type="FIXED")
    commit = {
        "type": "PREPAID", "product_id": str(fixed.public_id), "priority": 1, "name": "Year one",
        "access_schedule": {"schedule_items": [
            {"amount": 1_000_000, "starting_at": "2026-01-01T00:00:00Z",
             "ending_before": "2027-01-01T00:00:00Z"}]},
    }  # fmt: skip
    world = _world(django_capture_on_commit_callbacks, commits=[commit])
    (record,) = SyncRecord.objects.filter(kind="commit")
    assert record.status == "succeeded"
    assert record.customer_id == world.customer.pk
    body = _bodies(connected, "Metronome_Commit__c")[-1]  # 1,000,000 cents: $10,000
    assert body == {"Name": "Year one", "Amount__c": 10000.0, "Account__c": ACCOUNT}  # fmt: skip


def test_a_draft_invoice_is_not_pushed_a_finalized_one_is(
    connected, django_capture_on_commit_callbacks
):
    world = _world(django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        send_calls(10, JAN + timedelta(days=3))
        contract_invoices_refresh(contract=world.contract, through=FEB + timedelta(hours=1))
    assert not SyncRecord.objects.filter(kind="invoice").exists()
    invoice = Invoice.objects.get(contract=world.contract, type="USAGE", period_start=JAN)
    with django_capture_on_commit_callbacks(execute=True):
        invoice = invoice_finalize(invoice=invoice)
    (record,) = SyncRecord.objects.filter(kind="invoice")
    assert (record.status, record.object_id) == ("succeeded", str(invoice.public_id))
    (upsert,) = [r for r in connected.upserts() if "Metronome_Invoice__c" in r.path]
    assert upsert.path.endswith(f"/Metronome_Invoice__c/Metronome_Id__c/{invoice.public_id}")
    # 10 calls at 5 cents: fifty cents, in dollars.
    assert upsert.json() == {"Name": invoice.number, "Status__c": "FINALIZED", "Total__c": 0.5,
                             "Account__c": ACCOUNT}  # fmt: skip


def test_lifecycle_events_are_pushed_when_published(connected, django_capture_on_commit_callbacks):  # fmt: skip
    system_notification_set(event_type="contract.create", is_enabled=True)
    world = _world(django_capture_on_commit_callbacks)
    (record,) = SyncRecord.objects.filter(kind="lifecycle_event")
    assert record.status == "succeeded"
    assert record.label.startswith("contract.create")
    (body,) = _bodies(connected, "Metronome_Event__c")
    assert body["Type__c"] == "contract.create"
    assert str(world.contract.public_id) in body["Payload__c"]


def test_nothing_is_pushed_for_a_kind_whose_mapping_is_off(
    connected, django_capture_on_commit_callbacks
):
    from crm.services import mapping_save

    mapping_save(kind="contract", sobject="Metronome_Contract__c",
                 external_id_field="Metronome_Id__c", field_map={}, is_enabled=False)  # fmt: skip
    _world(django_capture_on_commit_callbacks)
    assert not SyncRecord.objects.filter(kind="contract").exists()
