"""Hourly AWS Marketplace metering from the usage rollups: BatchMeterUsage through boto3 with a
botocore Stubber (no network) checking every request; one record per customer, dimension and
hour, however often a run repeats; failures kept and retried; nothing metered at finalize."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import boto3
import pytest
from botocore.stub import Stubber

from contracts.terms.billing_provider import contract_billing_configuration_set
from customers.billing_providers import billing_provider_set_up, customer_billing_configuration_set
from invoicing.marketplaces import METERED_HOURLY, aws
from invoicing.marketplaces.hourly import marketplace_hours_record
from invoicing.marketplaces.models import MarketplaceMeterRecord, MeterStatus
from invoicing.marketplaces.sending import marketplace_records_send, meter_record_retry
from invoicing.models import ExternalInvoice, ExternalStatus, Invoice
from invoicing.providers.sync import invoice_provider_sync
from invoicing.services import contract_invoices_refresh, invoice_finalize
from invoicing.tests.factories import FEB, JAN, World, priced_world, send_calls
from usage.rollups import rollups_advance

pytestmark = pytest.mark.django_db
H0 = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
AFTER_3 = H0 + timedelta(hours=3, minutes=10)  # the three hours complete, lag passed


@pytest.fixture
def stubbed(monkeypatch):
    client = boto3.client(
        "meteringmarketplace", region_name="us-west-1",
        aws_access_key_id="test", aws_secret_access_key="test",
    )  # fmt: skip
    stubber = Stubber(client)
    calls = []

    def factory(provider, region):
        calls.append(region)
        return client

    monkeypatch.setattr(aws, "metering_client", factory)
    with stubber:
        yield stubber, calls
        stubber.assert_no_pending_responses()


def aws_world(dimension: str = "api_calls") -> World:
    world = priced_world()
    world.product.custom_fields = {"aws_marketplace_dimension": dimension}
    world.product.save(update_fields=["custom_fields"])
    provider = billing_provider_set_up(data={
        "billing_provider": "aws_marketplace", "delivery_method": "direct_to_billing_provider",
        "configuration": {"aws_iam_role_arn": "arn:aws:iam::123456789012:role/metering"},
    })  # fmt: skip
    configuration = customer_billing_configuration_set(customer=world.customer, data={
        "billing_provider": "aws_marketplace", "delivery_method_id": str(provider.public_id),
        "configuration": {"aws_customer_id": "ABC123ABC12", "aws_product_code": "prod1",
                          "aws_region": "us-west-1"},
    })  # fmt: skip
    contract_billing_configuration_set(contract=world.contract, configuration=configuration)
    return world


def _usage(hour: datetime, quantity: int) -> dict:
    return {"Timestamp": hour, "CustomerIdentifier": "ABC123ABC12", "Dimension": "api_calls",
            "Quantity": quantity}  # fmt: skip


def _expect(stubber, usages: list[dict], status: str = "Success", unprocessed=()) -> None:
    results = [
        {"UsageRecord": u, "MeteringRecordId": f"rec-{u['Timestamp']:%H}", "Status": status}
        for u in usages if u not in unprocessed
    ]  # fmt: skip
    stubber.add_response(
        "batch_meter_usage",
        {"Results": results, "UnprocessedRecords": list(unprocessed)},
        expected_params={"UsageRecords": usages, "ProductCode": "prod1"},
    )


def _three_hours() -> None:
    send_calls(3, H0 + timedelta(minutes=5))
    send_calls(4, H0 + timedelta(hours=1, minutes=30))
    send_calls(2, H0 + timedelta(hours=2, minutes=59))
    rollups_advance()  # read from the hourly rollups


def test_usage_over_three_hours_is_three_hourly_records_sent_once(stubbed):
    stubber, calls = stubbed
    aws_world()
    _three_hours()
    hours = [H0, H0 + timedelta(hours=1), H0 + timedelta(hours=2)]
    _expect(stubber, [_usage(hours[0], 3), _usage(hours[1], 4), _usage(hours[2], 2)])
    assert marketplace_hours_record(now=AFTER_3) == 3
    assert marketplace_records_send(now=AFTER_3) == 3
    rows = list(MarketplaceMeterRecord.objects.order_by("hour"))
    assert [(r.hour, r.quantity, r.status, r.external_id) for r in rows] == [
        (hours[0], 3, MeterStatus.SENT, "rec-09"),
        (hours[1], 4, MeterStatus.SENT, "rec-10"),
        (hours[2], 2, MeterStatus.SENT, "rec-11"),
    ]
    # A retried run (the same hour, or the task again later): nothing new, nothing sent.
    assert marketplace_hours_record(now=AFTER_3) == 0
    assert marketplace_hours_record(now=AFTER_3 + timedelta(minutes=20)) == 0
    assert marketplace_records_send(now=AFTER_3 + timedelta(minutes=20)) == 0
    assert MarketplaceMeterRecord.objects.count() == 3
    assert calls == ["us-west-1"]


def test_an_hour_not_complete_is_not_metered(stubbed):
    aws_world()
    send_calls(3, H0 + timedelta(minutes=5))
    assert marketplace_hours_record(now=H0 + timedelta(minutes=59)) == 0
    assert marketplace_hours_record(now=H0 + timedelta(hours=1, minutes=2)) == 0  # the lag
    assert marketplace_hours_record(now=H0 + timedelta(hours=1, minutes=6)) == 1


def test_unprocessed_and_refused_records_fail_visibly_then_retry(stubbed):
    stubber, _calls = stubbed
    aws_world()
    _three_hours()
    usages = [_usage(H0, 3), _usage(H0 + timedelta(hours=1), 4), _usage(H0 + timedelta(hours=2), 2)]
    stubber.add_response(
        "batch_meter_usage",
        {"Results": [{"UsageRecord": usages[0], "MeteringRecordId": "rec-09", "Status": "Success"},
                     {"UsageRecord": usages[1], "Status": "CustomerNotSubscribed"}],
         "UnprocessedRecords": [usages[2]]},
        expected_params={"UsageRecords": usages, "ProductCode": "prod1"},
    )  # fmt: skip
    marketplace_hours_record(now=AFTER_3)
    assert marketplace_records_send(now=AFTER_3) == 1
    failed = list(MarketplaceMeterRecord.objects.filter(status=MeterStatus.FAILED).order_by("hour"))
    assert [f.error for f in failed] == [
        "AWS: CustomerNotSubscribed",
        "Not processed by the marketplace this time; retried.",
    ]
    assert all(f.next_attempt_at == AFTER_3 + timedelta(minutes=5) for f in failed)
    assert marketplace_records_send(now=AFTER_3 + timedelta(minutes=4)) == 0  # backoff
    _expect(stubber, usages[1:])  # the same records again: same hour, same quantity
    assert marketplace_records_send(now=AFTER_3 + timedelta(minutes=5)) == 2
    assert set(MarketplaceMeterRecord.objects.values_list("status", flat=True)) == {"SENT"}


def test_a_throttled_batch_is_kept_and_retried_by_hand(stubbed):
    stubber, _calls = stubbed
    aws_world()
    send_calls(3, H0 + timedelta(minutes=5))
    now = H0 + timedelta(hours=1, minutes=10)
    stubber.add_client_error("batch_meter_usage", service_error_code="ThrottlingException", http_status_code=400)  # fmt: skip
    marketplace_hours_record(now=now)
    assert marketplace_records_send(now=now) == 0
    record = MarketplaceMeterRecord.objects.get()
    assert record.status == MeterStatus.FAILED and "ThrottlingException" in record.error
    _expect(stubber, [_usage(H0, 3)])
    record = meter_record_retry(record=record, now=now + timedelta(minutes=1))
    assert (record.status, record.external_id, record.attempts) == (MeterStatus.SENT, "rec-09", 1)


def test_fractions_carry_into_later_hours():
    world = aws_world()
    from pricing.models import ProductVersion

    ProductVersion.objects.filter(product=world.product).update(
        quantity_conversion={"conversion_factor": "4", "operation": "DIVIDE"}
    )
    world.product._versions_cache = None
    send_calls(3, H0 + timedelta(minutes=5))  # 0.75 -> 1
    send_calls(3, H0 + timedelta(hours=1, minutes=5))  # 1.50 total -> 2: 1 more
    send_calls(1, H0 + timedelta(hours=2, minutes=5))  # 1.75 total -> 2: nothing sent
    marketplace_hours_record(now=AFTER_3)
    rows = MarketplaceMeterRecord.objects.order_by("hour")
    assert [(r.usage, r.quantity, r.status) for r in rows] == [
        (Decimal("0.75"), 1, "PENDING"), (Decimal("0.75"), 1, "PENDING"),
        (Decimal("0.25"), 0, "CARRIED"),
    ]  # fmt: skip


def test_finalize_meters_nothing_more(stubbed, django_capture_on_commit_callbacks):
    world = aws_world()
    send_calls(10, JAN + timedelta(days=3))
    contract_invoices_refresh(contract=world.contract, through=FEB + timedelta(hours=1))
    invoice = Invoice.objects.get(contract=world.contract, type="USAGE", period_start=JAN)
    with django_capture_on_commit_callbacks(execute=True):
        invoice_finalize(invoice=invoice)
    invoice_provider_sync(invoice_id=invoice.pk)  # a retried task: still nothing
    external = ExternalInvoice.objects.get(invoice=invoice)
    assert (external.external_status, external.error) == (ExternalStatus.SKIPPED, METERED_HOURLY)


def test_events_that_arrive_late_for_a_recorded_hour_are_metered_with_the_next(stubbed):
    stubber, _calls = stubbed
    aws_world()
    send_calls(3, H0 + timedelta(minutes=5))
    rollups_advance()
    assert marketplace_hours_record(now=H0 + timedelta(hours=1, minutes=10)) == 1  # H0: 3
    send_calls(2, H0 + timedelta(minutes=40))  # late: stamped in H0, which is recorded
    send_calls(1, H0 + timedelta(hours=1, minutes=20))
    rollups_advance()
    assert marketplace_hours_record(now=H0 + timedelta(hours=2, minutes=10)) == 1
    rows = list(MarketplaceMeterRecord.objects.order_by("hour"))
    assert [(r.hour, r.usage, r.quantity) for r in rows] == [
        (H0, Decimal(3), 3), (H0 + timedelta(hours=1), Decimal(3), 3),  # 1 of its own + 2 late
    ]  # fmt: skip


def test_an_hour_that_cannot_be_recorded_stops_its_customer_visibly_then_resumes(client, dave):
    from unittest import mock

    from django.urls import reverse

    from invoicing.marketplaces import hourly
    from invoicing.marketplaces.models import MarketplaceMeteringCursor

    aws_world()
    _three_hours()
    with mock.patch.object(hourly, "_contract_in_force", side_effect=KeyError("plan")):
        assert marketplace_hours_record(now=AFTER_3) == 0
    cursor = MarketplaceMeteringCursor.objects.get()
    assert (cursor.recorded_through, cursor.error_at is not None) == (H0 - timedelta(hours=3), True)
    assert cursor.error == "internal error (KeyError); details are in the server log."

    client.force_login(dave)
    page = client.get(reverse("invoicing:marketplace-metering")).text
    assert "Metering stopped" in page
    assert "Acme</a> (AWS Marketplace): stopped at the hour from" in page

    assert marketplace_hours_record(now=AFTER_3) == 3  # fixed: the hours in the lookback
    cursor.refresh_from_db()
    assert (cursor.error, cursor.error_at) == ("", None)
    assert "Metering stopped" not in client.get(reverse("invoicing:marketplace-metering")).text
