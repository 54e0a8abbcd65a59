"""AWS Marketplace metering behind the adapter interface: BatchMeterUsage through boto3 with a
botocore Stubber (no network), exactly once per invoice."""

from datetime import UTC, datetime, timedelta

import boto3
import pytest
import time_machine
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from contracts.terms.billing_provider import contract_billing_configuration_set
from customers.billing_providers import billing_provider_set_up, customer_billing_configuration_set
from invoicing.marketplaces import aws
from invoicing.models import ExternalInvoice, ExternalStatus, Invoice
from invoicing.providers.sync import invoice_provider_sync
from invoicing.services import contract_invoices_refresh, invoice_finalize
from invoicing.tests.factories import FEB, JAN, priced_world, send_calls

pytestmark = pytest.mark.django_db
CLOSE = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def stubbed(monkeypatch):
    client = boto3.client(
        "meteringmarketplace", region_name="us-west-1",
        aws_access_key_id="test", aws_secret_access_key="test",
    )  # fmt: skip
    stubber = Stubber(client)
    regions = []

    def factory(provider, region):
        regions.append(region)
        return client

    monkeypatch.setattr(aws, "metering_client", factory)
    with stubber:
        yield stubber, regions
        stubber.assert_no_pending_responses()


def _aws_invoice(django_capture_on_commit_callbacks, run_task: bool = True) -> Invoice:
    world = priced_world()
    provider = billing_provider_set_up(data={
        "billing_provider": "aws_marketplace", "delivery_method": "direct_to_billing_provider",
        "configuration": {"aws_iam_role_arn": "arn:aws:iam::123456789012:role/metering",
                          "aws_metering_dimension": "usage_cents"},
    })  # fmt: skip
    configuration = customer_billing_configuration_set(customer=world.customer, data={
        "billing_provider": "aws_marketplace", "delivery_method_id": str(provider.public_id),
        "configuration": {"aws_customer_id": "ABC123ABC12", "aws_product_code": "prod1",
                          "aws_region": "us-west-1"},
    })  # fmt: skip
    contract_billing_configuration_set(contract=world.contract, configuration=configuration)
    send_calls(10, JAN + timedelta(days=3))
    contract_invoices_refresh(contract=world.contract, through=FEB + timedelta(hours=1))
    invoice = Invoice.objects.get(contract=world.contract, type="USAGE", period_start=JAN)
    with django_capture_on_commit_callbacks(execute=run_task):
        return invoice_finalize(invoice=invoice)


def _expect(stubber, status: str, record_id: str = "rec-1", quantity: int = 50) -> None:
    usage = {"Timestamp": CLOSE, "CustomerIdentifier": "ABC123ABC12", "Dimension": "usage_cents",
             "Quantity": quantity}  # fmt: skip
    stubber.add_response(
        "batch_meter_usage",
        {"Results": [{"UsageRecord": usage, "MeteringRecordId": record_id, "Status": status}],
         "UnprocessedRecords": []},
        expected_params={"UsageRecords": [usage], "ProductCode": "prod1"},
    )  # fmt: skip


def test_the_invoice_total_is_metered_once(stubbed, django_capture_on_commit_callbacks):
    stubber, regions = stubbed
    _expect(stubber, "Success")
    with time_machine.travel(CLOSE, tick=False):
        invoice = _aws_invoice(django_capture_on_commit_callbacks)
        external = ExternalInvoice.objects.get(invoice=invoice)
        assert (external.external_status, external.external_id) == (ExternalStatus.SENT, "rec-1")
        assert external.issued_at == CLOSE
        assert regions == ["us-west-1"]
        invoice_provider_sync(invoice_id=invoice.pk)  # a retried task: no second record
    assert regions == ["us-west-1"]


def test_a_record_not_subscribed_is_recorded_as_refused(
    stubbed, django_capture_on_commit_callbacks
):
    stubber, _regions = stubbed
    _expect(stubber, "CustomerNotSubscribed", record_id="")
    with time_machine.travel(CLOSE, tick=False):
        invoice = _aws_invoice(django_capture_on_commit_callbacks)
    external = ExternalInvoice.objects.get(invoice=invoice)
    assert external.external_status == ExternalStatus.INVALID_REQUEST_ERROR
    assert external.error == "AWS: CustomerNotSubscribed"


def test_a_resend_after_a_lost_answer_is_the_same_record(
    stubbed, django_capture_on_commit_callbacks
):
    stubber, regions = stubbed
    stubber.add_client_error("batch_meter_usage", service_error_code="ThrottlingException", http_status_code=400)  # fmt: skip
    _expect(stubber, "DuplicateRecord", record_id="rec-1")
    with time_machine.travel(CLOSE, tick=False) as traveller:
        invoice = _aws_invoice(django_capture_on_commit_callbacks, run_task=False)
        with pytest.raises(ClientError, match="ThrottlingException"):
            invoice_provider_sync(invoice_id=invoice.pk)  # the task's first run
        traveller.shift(timedelta(minutes=10))
        invoice_provider_sync(invoice_id=invoice.pk)  # same Timestamp as the first attempt
    external = ExternalInvoice.objects.get(invoice=invoice)
    assert (external.external_status, external.issued_at) == (ExternalStatus.SENT, CLOSE)
