"""A customer pays an invoice from the invoices embed: the Pay button opens the fake Stripe's
hosted checkout page in a new tab, whose Pay posts the signed checkout.session.completed event
to our webhook and returns to the embed, which shows the invoice paid; finance sees it paid in
the console. Screenshots at 1440 and 390 px (SCREENSHOT_DIR)."""

import os
from pathlib import Path

import pytest
from django.conf import settings

from embeds.services import embed_url_create
from invoicing.models import ExternalInvoice, ExternalStatus
from invoicing.services import invoice_finalize
from invoicing.tests.stripe_fixtures import WEBHOOK_SECRET, stripe_world

pytestmark = pytest.mark.browser


def _shots(page, name: str) -> None:
    folder = Path(os.environ.get("SCREENSHOT_DIR", Path(settings.VAR_DIR) / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scroll
        page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1440, "height": 900})


def test_the_customer_pays_from_the_embed_and_finance_sees_it_paid(
    page, login, fiona, fake, live_server, django_capture_on_commit_callbacks
):
    world = stripe_world(fake, stripe_collection_method="send_invoice")
    with django_capture_on_commit_callbacks(execute=True):
        invoice = invoice_finalize(invoice=world.january_invoice(calls=2990))  # $149.50
    fake.webhook_url = f"{live_server.url}/stripe/webhooks/{world.entity.public_id}"
    fake.webhook_secret = WEBHOOK_SECRET
    path, _grant = embed_url_create(data={"customer_id": str(invoice.customer.public_id), "dashboard": "invoices"})  # fmt: skip

    page.goto(f"{path}invoices/{invoice.public_id}/")
    pay = page.locator("#pay-invoice")
    assert pay.inner_text() == "Pay $149.50"
    _shots(page, "embed-pay")
    with page.expect_popup() as opened:
        pay.click()
    stripe_page = opened.value
    stripe_page.wait_for_selector("#stripe-pay")
    assert "USD 149.50" in stripe_page.inner_text("h1")
    stripe_page.click("#stripe-pay")  # Stripe posts the event to us, then returns to the embed
    stripe_page.wait_for_selector("#invoice-paid")
    assert "Paid" in stripe_page.inner_text("#invoice-paid")
    assert fake.deliveries == [("checkout.session.completed", 200)]
    _shots(stripe_page, "embed-paid")

    external = ExternalInvoice.objects.get(invoice=invoice)
    assert external.external_status == ExternalStatus.PAID
    login("fiona")
    page.goto(f"/invoices/{invoice.public_id}/")
    status = page.locator("#payment-status")
    assert status.inner_text().startswith("paid ")
    assert "by card through Stripe Checkout" in page.inner_text("#payment")
    _shots(page, "console-invoice-paid")
