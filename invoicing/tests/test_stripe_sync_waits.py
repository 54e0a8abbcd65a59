"""A Stripe sync that cannot go on waits with the reason recorded and shown, and resumes later:
an API key that can no longer be decrypted (SECRETS_ENCRYPTION_KEYS changed), for the sync and
the card retries; a defect in one invoice's data."""

import logging
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
import time_machine
from cryptography.fernet import Fernet

from invoicing.models import ExternalInvoice, ExternalStatus, Invoice, InvoiceType
from invoicing.providers.stripe_client import STRIPE_KEY_UNREADABLE
from invoicing.providers.stripe_invoices import SYNC_WAITS
from invoicing.services import invoice_finalize
from invoicing.tasks import billing_providers_sweep
from invoicing.tests.factories import recharge_world, send_calls
from invoicing.tests.stripe_fixtures import stripe_world
from payments.pay_state import pay_state

pytestmark = pytest.mark.django_db

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def test_the_sync_waits_with_the_reason_shown_and_resumes_once_the_key_is_back(
    fake, settings, caplog, django_capture_on_commit_callbacks
):
    settings.SECRETS_ENCRYPTION_KEYS = [OLD_KEY]
    world = stripe_world(fake)
    invoice = world.january_invoice()
    settings.SECRETS_ENCRYPTION_KEYS = [NEW_KEY]  # the key the API key was encrypted with: gone

    with (
        caplog.at_level(logging.ERROR, logger="invoicing.providers.stripe_invoices"),
        django_capture_on_commit_callbacks(execute=True),  # the sync task runs inline
    ):
        invoice = invoice_finalize(invoice=invoice)

    assert fake.calls() == []  # nothing reached Stripe
    external = ExternalInvoice.objects.get(invoice=invoice)
    assert (external.external_status, external.external_id) == (ExternalStatus.QUEUED, "")
    assert external.error == SYNC_WAITS + STRIPE_KEY_UNREADABLE
    assert "Stripe sync of external invoice" in caplog.text
    assert pay_state(invoice).reason == external.error  # the invoice page's payment card

    settings.SECRETS_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]  # the old key configured again
    with time_machine.travel(external.updated_at + timedelta(minutes=16), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            billing_providers_sweep()  # picks up the sync left waiting

    external.refresh_from_db()
    assert external.external_status == ExternalStatus.PAID
    assert (external.external_id, external.error) == ("in_fake1", "")
    assert [c for c in fake.calls() if c[0] == "POST"][0] == ("POST", "/v1/invoices")


def test_a_due_card_retry_waits_on_an_unreadable_key_and_runs_once_it_is_back(
    fake, settings, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    settings.SECRETS_ENCRYPTION_KEYS = [OLD_KEY]
    fake.declines = 1
    with time_machine.travel(NOW, tick=False) as traveller:
        world = stripe_world(fake, world=recharge_world("STRIPE"))
        with capture(execute=True):  # a recharge invoice, its first charge declined
            send_calls(840, NOW - timedelta(minutes=5))
        invoice = Invoice.objects.get(contract=world.contract, type=InvoiceType.SCHEDULED)
        external = ExternalInvoice.objects.get(invoice=invoice)
        assert external.external_status == ExternalStatus.PAYMENT_FAILED
        assert external.next_payment_attempt_at == NOW + timedelta(hours=24)

        settings.SECRETS_ENCRYPTION_KEYS = [NEW_KEY]
        traveller.shift(timedelta(hours=24))
        with capture(execute=True):
            assert billing_providers_sweep() == 1  # due: tried, and waits
        external.refresh_from_db()
        assert external.external_status == ExternalStatus.PAYMENT_FAILED
        assert external.error == STRIPE_KEY_UNREADABLE
        assert external.payment_attempts == 1  # no attempt was spent
        assert external.next_payment_attempt_at == NOW + timedelta(hours=24)  # still due

        settings.SECRETS_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
        with capture(execute=True):
            assert billing_providers_sweep() == 1
        external.refresh_from_db()
        assert (external.external_status, external.payment_attempts) == (ExternalStatus.PAID, 2)
        pays = [r for r in fake.requests if r.path.endswith("/pay")]
        assert [r.idempotency_key for r in pays] == [
            f"invoice:{invoice.public_id}:pay:{n}" for n in (1, 2)
        ]


def test_a_defect_in_one_invoices_data_is_recorded_and_the_sync_is_retried(
    fake, django_capture_on_commit_callbacks
):
    world = stripe_world(fake)
    invoice = world.january_invoice()
    with (
        mock.patch(
            "invoicing.providers.stripe_invoices.stripe_line_metadata", side_effect=KeyError("x")
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        invoice = invoice_finalize(invoice=invoice)  # the task ends without raising
    external = ExternalInvoice.objects.get(invoice=invoice)
    assert external.external_status == ExternalStatus.QUEUED
    assert external.error == (
        SYNC_WAITS + "internal error (KeyError); details are in the server log."
    )
    with time_machine.travel(external.updated_at + timedelta(minutes=16), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            billing_providers_sweep()
    external.refresh_from_db()
    assert (external.external_status, external.error) == (ExternalStatus.PAID, "")
    assert len(fake.invoices) == 1
