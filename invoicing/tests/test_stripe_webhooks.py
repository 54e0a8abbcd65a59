"""Stripe webhooks: the signature is verified (computed here as Stripe computes it), the raw
event is stored first and once per event id, and processing by a task marks invoices paid or
schedules a card retry."""

import json
import logging
from datetime import timedelta

import pytest
import time_machine
from cryptography.fernet import Fernet
from django.urls import reverse
from django.utils import timezone

from invoicing.models import ExternalInvoice, ExternalStatus, StripeEvent
from invoicing.providers.stripe_webhooks import WEBHOOK_SECRET_UNREADABLE
from invoicing.services import invoice_finalize
from invoicing.tests.stripe_fixtures import invoice_event, signed, stripe_world

pytestmark = pytest.mark.django_db


def _post(client, capture, provider, payload, *, secret=None, signature=None):
    body, header = signed(payload, **({"secret": secret} if secret else {}))
    with capture(execute=True):
        return client.post(
            f"/stripe/webhooks/{provider.public_id}",
            data=body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=signature or header,
        )


def _sent_invoice(fake, capture, **config):
    """A January invoice sent to Stripe with collection by e-mail (send_invoice)."""
    world = stripe_world(fake, stripe_collection_method="send_invoice", **config)
    with capture(execute=True):
        invoice = invoice_finalize(invoice=world.january_invoice())
    external = ExternalInvoice.objects.get(invoice=invoice)
    assert external.external_status == ExternalStatus.FINALIZED
    return world, external


def test_invoice_paid_is_stored_raw_once_and_marks_the_invoice_paid(
    client, fake, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    world, external = _sent_invoice(fake, capture)
    stripe_invoice = dict(fake.invoices["in_fake1"], status="paid", amount_paid=50,
                          status_transitions={"paid_at": 1775000000})  # fmt: skip
    payload = invoice_event("evt_1", "invoice.paid", stripe_invoice)

    response = _post(client, capture, world.entity, payload)
    assert response.status_code == 200
    assert response.json() == {"received": True, "duplicate": False}
    event = StripeEvent.objects.get()
    assert (event.event_id, event.type, event.provider) == ("evt_1", "invoice.paid", world.entity)
    assert json.loads(event.payload) == payload  # raw, as delivered
    assert event.processed_at is not None
    external.refresh_from_db()
    assert external.external_status == ExternalStatus.PAID
    assert int(external.paid_at.timestamp()) == 1775000000

    # Stripe delivers again: acknowledged, stored once, processed once.
    again = _post(client, capture, world.entity, payload)
    assert again.status_code == 200
    assert again.json() == {"received": True, "duplicate": True}
    assert StripeEvent.objects.count() == 1


def test_a_bad_signature_is_refused_and_nothing_is_stored(
    client, fake, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    world, _external = _sent_invoice(fake, capture)
    payload = invoice_event("evt_2", "invoice.paid", fake.invoices["in_fake1"])
    forged = _post(client, capture, world.entity, payload, secret="whsec_notthesecret99")
    assert forged.status_code == 400
    assert forged.json()["message"].startswith("Stripe-Signature:")
    missing = _post(client, capture, world.entity, payload, signature="t=1,v1=deadbeef")
    assert missing.status_code == 400
    body, header = signed(payload)
    tampered = client.post(
        f"/stripe/webhooks/{world.entity.public_id}",
        data=body.replace(b"evt_2", b"evt_3"),
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=header,
    )
    assert tampered.status_code == 400
    assert not StripeEvent.objects.exists()
    unknown = client.post(
        "/stripe/webhooks/4db51251-61de-4bfe-b9ce-495e244f3491", data=body,
        content_type="application/json", HTTP_STRIPE_SIGNATURE=header,
    )  # fmt: skip
    assert unknown.status_code == 404


def test_payment_failed_after_our_own_failed_charge_keeps_one_schedule(
    client, fake, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    fake.declines = 1
    world = stripe_world(fake)  # charge_automatically: we charge the card at once
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        with capture(execute=True):
            invoice = invoice_finalize(invoice=world.january_invoice())
        external = ExternalInvoice.objects.get(invoice=invoice)
        assert external.external_status == ExternalStatus.PAYMENT_FAILED
        assert external.next_payment_attempt_at == now + timedelta(hours=24)
    later = now + timedelta(minutes=3)
    with time_machine.travel(later, tick=False):  # Stripe's event for that same failure
        failed = invoice_event("evt_f", "invoice.payment_failed", fake.invoices["in_fake1"])
        assert _post(client, capture, world.entity, failed).status_code == 200
    external.refresh_from_db()
    assert external.next_payment_attempt_at == now + timedelta(hours=24)  # not rescheduled
    assert external.payment_attempts == 1


def test_payment_failed_on_an_emailed_invoice_schedules_no_card_charge(
    client, fake, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    world, external = _sent_invoice(fake, capture)
    failed = invoice_event("evt_f", "invoice.payment_failed", fake.invoices["in_fake1"])
    assert _post(client, capture, world.entity, failed).status_code == 200
    external.refresh_from_db()
    assert external.external_status == ExternalStatus.PAYMENT_FAILED
    assert external.next_payment_attempt_at is None
    assert not [r for r in fake.requests if r.path.endswith("/pay")]


def test_unknown_types_and_foreign_invoices_are_acknowledged(
    client, fake, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    world, external = _sent_invoice(fake, capture)
    other = invoice_event("evt_u", "customer.updated", {"id": "cus_acme", "object": "customer"})
    assert _post(client, capture, world.entity, other).status_code == 200
    assert StripeEvent.objects.get(event_id="evt_u").processed_at is not None  # nothing to do

    # An invoice that is not ours (created by someone else in the same Stripe account).
    foreign = invoice_event("evt_x", "invoice.paid", {"id": "in_elsewhere", "object": "invoice"})
    assert _post(client, capture, world.entity, foreign).status_code == 200
    external.refresh_from_db()
    assert external.external_status == ExternalStatus.FINALIZED


def test_an_unreadable_webhook_secret_is_refused_logged_and_shown(
    client, alice, fake, settings, caplog, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    settings.SECRETS_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    world, external = _sent_invoice(fake, capture)
    settings.SECRETS_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]  # the old key dropped
    payload = invoice_event("evt_4", "invoice.paid", dict(fake.invoices["in_fake1"], status="paid"))
    with caplog.at_level(logging.ERROR, logger="invoicing.providers.stripe_webhooks"):
        response = _post(client, capture, world.entity, payload)
    assert response.status_code == 403  # as for a missing secret: Stripe retries it
    assert response.json() == {"message": WEBHOOK_SECRET_UNREADABLE}
    assert "webhook secret can no longer be decrypted" in caplog.text
    assert str(world.entity.public_id) in caplog.text
    assert not StripeEvent.objects.exists()
    external.refresh_from_db()
    assert external.external_status == ExternalStatus.FINALIZED

    client.force_login(alice)  # the Stripe account's row on the providers page says so
    page = client.get(reverse("billing-provider-list")).content.decode()
    assert 'secret <span class="badge danger">unreadable</span>: webhooks refused' in page
