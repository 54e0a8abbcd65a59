"""A January invoice sent to a Stripe account, ready to be paid by card."""

from invoicing.models import ExternalInvoice, ExternalStatus, Invoice
from invoicing.services import invoice_finalize
from invoicing.tests.stripe_fixtures import StripeWorld, stripe_world
from payments.checkout import ReturnUrls

URLS = ReturnUrls(success="https://app.example/paid", cancel="https://app.example/cancelled")


def sent_invoice(fake, capture) -> tuple[StripeWorld, Invoice]:
    """Collected by e-mail (send_invoice): finalized at Stripe, no card charged by us."""
    world = stripe_world(fake, stripe_collection_method="send_invoice")
    with capture(execute=True):
        invoice = invoice_finalize(invoice=world.january_invoice())
    assert ExternalInvoice.objects.get(invoice=invoice).external_status == ExternalStatus.FINALIZED
    return world, invoice


def checkout_event(event_id: str, event_type: str, session: dict) -> dict:
    from invoicing.tests.stripe_fixtures import invoice_event

    return invoice_event(event_id, event_type, session)


def post_event(client, capture, world: StripeWorld, payload: dict, **kwargs):
    from invoicing.tests.stripe_fixtures import signed

    body, header = signed(payload, **kwargs)
    with capture(execute=True):
        return client.post(
            f"/stripe/webhooks/{world.entity.public_id}",
            data=body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=header,
        )


def gated_world(gate: str = "EXTERNAL"):
    """Auto-recharge below 1,000 cents to 5,000, gated on `gate`; a 5,000-cent starting commit."""
    from invoicing.tests.factories import recharge_world

    return recharge_world(gate)


def recharged(capture, gate: str = "EXTERNAL"):
    """The gated world after usage crossed the threshold: (world, charge, threshold invoice)."""
    from datetime import timedelta

    from django.utils import timezone

    from contracts.models import ThresholdCharge
    from invoicing.models import Invoice
    from invoicing.tests.factories import send_calls

    world = gated_world(gate)
    with capture(execute=True):
        send_calls(840, timezone.now() - timedelta(minutes=5))  # 4,200 cents used: 800 left
    charge = ThresholdCharge.objects.get()
    return world, charge, Invoice.objects.get(public_id=charge.invoice_public_id)
