"""Outbound invoice webhooks: invoice.finalized, invoice.voided, invoice.paid and
invoice.payment_failed, signed (Standard Webhooks) and delivered to endpoints subscribed to
`invoice.*`, once per transition, shaped like the other events."""

import json

import pytest
from standardwebhooks import Webhook

from invoicing.services import invoice_finalize, invoice_void
from invoicing.tests.stripe_fixtures import stripe_world
from payments.checkout import checkout_session_open
from payments.tests.worlds import URLS, post_event, sent_invoice
from webhooks import services as webhooks
from webhooks.models import OutboundEvent
from webhooks.tests.receiver import receiver

pytestmark = pytest.mark.django_db


def _types() -> list[str]:
    return list(OutboundEvent.objects.order_by("created_at", "pk").values_list("type", flat=True))


def test_finalized_then_voided_each_delivered_once_signed(fake, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    with receiver([200]) as hook:
        endpoint = webhooks.endpoint_create(url=hook.url, event_types=["invoice.*"])
        world, invoice = sent_invoice(fake, capture)
        with capture(execute=True):
            invoice_finalize(invoice=invoice)  # again: idempotent, no second event
            invoice_void(invoice=invoice)
            invoice_void(invoice=invoice)
        got = hook.wait_for(2)
    bodies = [Webhook(endpoint.secret).verify(r.body, r.headers) for r in got]
    assert [b["type"] for b in bodies] == ["invoice.finalized", "invoice.voided"]
    finalized = bodies[0]["data"]
    assert finalized == {
        "invoice_id": str(invoice.public_id), "invoice_number": invoice.number,
        "customer_id": str(invoice.customer.public_id), "contract_id": str(invoice.contract.public_id),
        "type": "USAGE", "status": "FINALIZED", "total": 50, "currency": "USD",
        "credit_type_id": str(invoice.credit_type.public_id),
        "start_timestamp": "2026-01-01T00:00:00Z", "end_timestamp": "2026-02-01T00:00:00Z",
        "issued_at": finalized["issued_at"], "finalized_at": finalized["finalized_at"],
    }  # fmt: skip
    assert bodies[1]["data"]["status"] == "VOID" and bodies[1]["data"]["voided_at"]
    assert _types() == ["invoice.finalized", "invoice.voided"]


def test_paid_by_card_is_delivered_once(client, fake, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    world, invoice = sent_invoice(fake, capture)
    row = checkout_session_open(invoice=invoice, urls=URLS, via="embed")
    event = fake.checkout_complete(row.session_id)
    with receiver([200]) as hook:
        endpoint = webhooks.endpoint_create(url=hook.url, event_types=["invoice.paid"])
        post_event(client, capture, world, event)
        post_event(client, capture, world, event)  # redelivered by Stripe
        # Stripe's own invoice.paid for the invoice settled out of band: nothing new either.
        stripe_invoice = dict(fake.invoices[row.external.external_id])
        post_event(client, capture, world, {**event, "id": "evt_inv", "type": "invoice.paid",
                                            "data": {"object": stripe_invoice}})  # fmt: skip
        [got] = hook.wait_for(1)
    body = Webhook(endpoint.secret).verify(got.body, got.headers)
    assert body["type"] == "invoice.paid"
    assert body["data"]["status"] == "PAID" and body["data"]["paid_at"]
    assert body["data"]["total"] == 50 and body["data"]["invoice_id"] == str(invoice.public_id)
    assert _types().count("invoice.paid") == 1


def test_a_declined_card_is_one_payment_failed_event_per_attempt(
    fake, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    fake.declines = 1
    world = stripe_world(fake)  # charge_automatically: the card is charged at finalize
    with receiver([200]) as hook:
        webhooks.endpoint_create(url=hook.url, event_types=["invoice.payment_failed"])
        with capture(execute=True):
            invoice = invoice_finalize(invoice=world.january_invoice())
        [got] = hook.wait_for(1)
    data = json.loads(got.body)["data"]
    assert data["invoice_id"] == str(invoice.public_id)
    assert data["error"] == "Your card has insufficient funds."
    event = OutboundEvent.objects.get(type="invoice.payment_failed")
    assert event.key == f"invoice:{invoice.public_id}:payment_failed:card:1"


def test_unsubscribed_endpoints_get_nothing(fake, django_capture_on_commit_callbacks):
    with receiver([200]) as hook:
        webhooks.endpoint_create(url=hook.url, event_types=["alerts.*"])
        sent_invoice(fake, django_capture_on_commit_callbacks)
        assert hook.wait_for(1, timeout=0.5) == []
    assert "invoice.finalized" in _types()
