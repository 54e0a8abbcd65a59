"""PLG collection by card through the real `stripe` library and a local fake Stripe: a declined
card is retried on the configured schedule (beat task, time-machine), and a payment-gated
auto-recharge commit is released only once Stripe has been paid."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from contracts.models import ThresholdCharge, ThresholdChargeStatus
from contracts.terms.threshold_billing import prepaid_balance
from invoicing.models import ExternalInvoice, ExternalStatus, Invoice, InvoiceStatus, InvoiceType
from invoicing.providers.stripe_payments import NO_PAYMENT_METHOD
from invoicing.services import invoice_finalize
from invoicing.tasks import billing_providers_sweep
from invoicing.tests.factories import recharge_world, send_calls
from invoicing.tests.stripe_fixtures import stripe_world

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def _gated_recharge_world(fake, **gate):
    return stripe_world(fake, world=recharge_world("STRIPE", **gate))


def _balance(contract) -> Decimal:
    contract.refresh_from_db()
    config = contract.prepaid_balance_threshold_configuration
    return prepaid_balance(contract=contract, config=config, at=timezone.now())


def _run_beat(capture) -> int:
    with capture(execute=True):
        return billing_providers_sweep()


def test_a_declined_card_is_retried_on_schedule_and_the_gated_commit_waits_for_payment(
    fake, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    fake.declines = 2  # the first two charges are declined
    with time_machine.travel(NOW, tick=False) as traveller:
        world = _gated_recharge_world(fake)
        with capture(execute=True):  # ingest: 4,200 cents used, 800 left < 1,000: recharge
            send_calls(840, NOW - timedelta(minutes=5))
        [charge] = ThresholdCharge.objects.all()
        assert charge.status == ThresholdChargeStatus.PENDING_PAYMENT
        invoice = Invoice.objects.get(contract=world.contract, type=InvoiceType.SCHEDULED)
        assert (invoice.status, invoice.total) == (InvoiceStatus.FINALIZED, Decimal(4200))

        external = ExternalInvoice.objects.get(invoice=invoice)
        assert external.external_status == ExternalStatus.PAYMENT_FAILED
        assert external.error == "Your card has insufficient funds."
        assert external.payment_attempts == 1
        assert external.next_payment_attempt_at == NOW + timedelta(hours=24)
        assert _balance(world.contract) == Decimal(800)  # not released: unpaid
        pays = [r for r in fake.requests if r.path.endswith("/pay")]
        assert [r.idempotency_key for r in pays] == [f"invoice:{invoice.public_id}:pay:1"]

        traveller.shift(timedelta(hours=23))  # not due yet
        assert _run_beat(capture) == 0
        assert len([r for r in fake.requests if r.path.endswith("/pay")]) == 1

        traveller.shift(timedelta(hours=1))  # +24h: second attempt, declined again
        assert _run_beat(capture) == 1
        external.refresh_from_db()
        assert (external.payment_attempts, external.external_status) == (2, ExternalStatus.PAYMENT_FAILED)  # fmt: skip
        assert external.next_payment_attempt_at == NOW + timedelta(hours=24 + 72)
        assert _run_beat(capture) == 0  # a second beat run finds nothing due
        charge.refresh_from_db()
        assert charge.status == ThresholdChargeStatus.PENDING_PAYMENT
        assert _balance(world.contract) == Decimal(800)

        traveller.shift(timedelta(hours=72))  # third attempt: paid
        assert _run_beat(capture) == 1
        external.refresh_from_db()
        assert external.external_status == ExternalStatus.PAID
        assert external.paid_at == NOW + timedelta(hours=96)
        assert external.next_payment_attempt_at is None
        charge.refresh_from_db()
        assert charge.status == ThresholdChargeStatus.RELEASED
        assert _balance(world.contract) == Decimal(5000)
        pays = [r for r in fake.requests if r.path.endswith("/pay")]
        assert [r.idempotency_key for r in pays] == [
            f"invoice:{invoice.public_id}:pay:{n}" for n in (1, 2, 3)
        ]
        assert len(fake.invoices) == 1  # one Stripe invoice throughout


def test_retries_used_up_void_the_invoice_and_never_release_the_commit(
    fake, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    fake.declines = 10
    with time_machine.travel(NOW, tick=False) as traveller:
        world = _gated_recharge_world(fake)
        with capture(execute=True):
            send_calls(840, NOW - timedelta(minutes=5))
        invoice = Invoice.objects.get(contract=world.contract, type=InvoiceType.SCHEDULED)
        for hours in (24, 72):  # the fixture's schedule: retry after 24h, then 72h, then give up
            traveller.shift(timedelta(hours=hours))
            assert _run_beat(capture) == 1
        external = ExternalInvoice.objects.get(invoice=invoice)
        assert external.payment_attempts == 3
        assert external.external_status == ExternalStatus.VOID
        assert external.next_payment_attempt_at is None
        assert fake.requests[-1].path == "/v1/invoices/in_fake1/void"
        assert fake.requests[-1].idempotency_key == f"invoice:{invoice.public_id}:void"
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.VOID
        charge = ThresholdCharge.objects.get()
        assert charge.status == ThresholdChargeStatus.FAILED
        assert _balance(world.contract) == Decimal(800)
        traveller.shift(timedelta(days=30))
        assert _run_beat(capture) == 0


def test_no_default_payment_method_is_a_failed_attempt(fake, django_capture_on_commit_callbacks):
    with time_machine.travel(NOW, tick=False):
        world = stripe_world(fake)
        fake.add_customer("cus_acme", payment_method=None)
        invoice = world.january_invoice()
        with django_capture_on_commit_callbacks(execute=True):
            invoice_finalize(invoice=invoice)
        external = ExternalInvoice.objects.get(invoice=invoice)
        assert (external.external_status, external.error) == (ExternalStatus.PAYMENT_FAILED, NO_PAYMENT_METHOD)  # fmt: skip
        assert not [r for r in fake.requests if r.path.endswith("/pay")]


def test_the_payment_gate_adds_its_invoice_metadata_and_stripe_tax(
    fake, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOW, tick=False):
        world = _gated_recharge_world(
            fake, tax_type="STRIPE",
            stripe_config={"payment_type": "INVOICE", "invoice_metadata": {"po_number": "PO-7"}},
        )  # fmt: skip
        with django_capture_on_commit_callbacks(execute=True):
            send_calls(840, NOW - timedelta(minutes=5))
        create = fake.requests[0]
        assert create.path == "/v1/invoices"
        assert create.params["metadata[po_number]"] == "PO-7"
        assert create.params["automatic_tax[enabled]"] == "true"
        external = ExternalInvoice.objects.get()
        # 4,200 cents recharge plus 8.25% (fake) Stripe Tax: 347 cents; paid, so released.
        assert (external.tax_amount, external.invoiced_total) == (347, 4547)
        assert external.external_status == ExternalStatus.PAID
        assert ThresholdCharge.objects.get().status == ThresholdChargeStatus.RELEASED
        assert _balance(world.contract) == Decimal(5000)
