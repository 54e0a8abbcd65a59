"""The Pay button of the invoices embed, the console's payment link and the API: each opens (or
reuses) the invoice's Checkout Session; each says why when card payment is not available. End to
end: finalize, pay by card (fake Stripe), invoice.paid delivered, the console shows it paid."""

import pytest
from standardwebhooks import Webhook

from customers.models import Customer
from embeds.services import embed_url_create
from invoicing.services import invoice_finalize
from invoicing.tests.factories import priced_world
from payments.models import CheckoutSession, CheckoutStatus
from payments.pay_state import NO_STRIPE
from payments.tests.worlds import post_event, sent_invoice
from webhooks import services as webhooks
from webhooks.tests.receiver import receiver

pytestmark = pytest.mark.django_db


def _embed(customer) -> str:
    path, _grant = embed_url_create(data={"customer_id": str(customer.public_id), "dashboard": "invoices"})  # fmt: skip
    return path


def test_the_embed_pay_button_redirects_to_stripe_and_comes_back_paid(
    client, fake, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    world, invoice = sent_invoice(fake, capture)
    listing = _embed(invoice.customer)
    detail = f"{listing}invoices/{invoice.public_id}/"
    row_html = client.get(listing).content.decode()
    assert (
        '<span class="badge warn">due</span>' in row_html and f'href="{detail}">Pay</a>' in row_html
    )
    html = client.get(detail).content.decode()
    assert 'id="pay-invoice"' in html and "Pay $0.50" in html and 'target="_blank"' in html
    assert "stripe.com" not in html and "<script" not in html  # nothing loaded from Stripe

    response = client.post(f"{detail}pay")  # no CSRF token: the URL's token is the credential
    row = CheckoutSession.objects.get()
    assert response.status_code == 303 and response["Location"] == row.url
    params = fake.requests[-1].params
    assert params["success_url"] == f"http://testserver{detail}checkout/done"
    assert params["cancel_url"] == f"http://testserver{detail}checkout/cancelled"
    assert client.post(f"{detail}pay")["Location"] == row.url  # reused

    fake.checkout_complete(row.session_id)  # paid; the webhook has not arrived yet
    with capture(execute=True):
        back = client.get(f"{detail}checkout/done")  # asks Stripe at once
    assert back.status_code == 302 and back["Location"] == f"{detail}?checkout=done"
    row.refresh_from_db()
    assert row.status == CheckoutStatus.PAID
    html = client.get(back["Location"]).content.decode()
    assert 'id="invoice-paid"' in html and 'id="pay-invoice"' not in html
    assert '<span class="badge ok">paid</span>' in client.get(listing).content.decode()


def test_the_embed_refuses_other_customers_and_tampered_tokens(
    client, fake, django_capture_on_commit_callbacks
):
    world, invoice = sent_invoice(fake, django_capture_on_commit_callbacks)
    other = Customer.objects.create(name="Globex")
    foreign = f"{_embed(other)}invoices/{invoice.public_id}/pay"
    assert client.post(foreign).status_code == 404
    tampered = f"{_embed(invoice.customer)[:-4]}xyz/invoices/{invoice.public_id}/pay"
    assert client.post(tampered).status_code == 404
    assert not CheckoutSession.objects.exists()


def test_no_stripe_configuration_no_pay_button_and_the_console_says_why(
    client, fiona, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from invoicing.models import Invoice
    from invoicing.services import contract_invoices_refresh
    from invoicing.tests.factories import FEB, JAN, send_calls

    world = priced_world()
    send_calls(3, JAN + timedelta(days=2))
    contract_invoices_refresh(contract=world.contract, through=FEB + timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        invoice = invoice_finalize(invoice=Invoice.objects.get(contract=world.contract, type="USAGE", period_start=JAN))  # fmt: skip
    detail = f"{_embed(invoice.customer)}invoices/{invoice.public_id}/"
    assert 'id="pay-invoice"' not in client.get(detail).content.decode()
    refused = client.post(f"{detail}pay")
    assert refused.status_code == 400 and NO_STRIPE in refused.content.decode()
    client.force_login(fiona)
    html = client.get(f"/invoices/{invoice.public_id}/").content.decode()
    assert "Send payment link" not in html and NO_STRIPE in html


def test_the_api_creates_and_reuses_a_payment_link(api, fake, django_capture_on_commit_callbacks):
    world, invoice = sent_invoice(fake, django_capture_on_commit_callbacks)
    body = {"customer_id": str(invoice.customer.public_id), "invoice_id": str(invoice.public_id),
            "success_url": "https://app.example/ok", "cancel_url": "https://app.example/no"}  # fmt: skip
    first = api.post("/v1/invoices/createPaymentLink", body, format="json")
    assert first.status_code == 200, first.json()
    data = first.json()["data"]
    assert (data["amount"], data["currency"], data["reused"]) == (50, "USD", False)
    assert data["url"].startswith(fake.url)
    again = api.post("/v1/invoices/createPaymentLink", body, format="json").json()["data"]
    assert (again["id"], again["reused"]) == (data["id"], True)
    bad = api.post("/v1/invoices/createPaymentLink", {**body, "success_url": "nope"}, format="json")
    assert bad.status_code == 400 and "success_url" in bad.json()["message"]
    extra = api.post("/v1/invoices/createPaymentLink", {**body, "amount": 1}, format="json")
    assert (extra.status_code, extra.json()["message"]) == (
        400, "amount: is not a field of createPaymentLink.",
    )  # fmt: skip


def test_end_to_end_finalize_pay_by_card_webhook_and_console_shows_paid(
    client, fiona, fake, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    with receiver([200]) as hook:
        endpoint = webhooks.endpoint_create(url=hook.url, event_types=["invoice.*"])
        world, invoice = sent_invoice(fake, capture)  # finalize: sent to Stripe
        client.force_login(fiona)
        page = f"/invoices/{invoice.public_id}/"
        assert "Send payment link" in client.get(page).content.decode()
        response = client.post(f"/invoices/{invoice.public_id}/payment-link", follow=True)
        html = response.content.decode()
        row = CheckoutSession.objects.get()
        assert "Payment link ready" in html and row.url in html and row.created_via == "console"
        success = fake.checkout_sessions[row.session_id]["success_url"]
        assert success == f"http://testserver/pay/{row.public_id}/done"

        post_event(client, capture, world, fake.checkout_complete(row.session_id))
        got = hook.wait_for(2)
    types = [Webhook(endpoint.secret).verify(r.body, r.headers)["type"] for r in got]
    assert types == ["invoice.finalized", "invoice.paid"]
    html = client.get(page).content.decode()
    assert 'id="payment-status">paid' in html and "by card through Stripe Checkout" in html
    assert '<span class="badge ok">paid</span>' in html and "Total (paid " in html
    thanks = client.get(f"/pay/{row.public_id}/done").content.decode()
    assert "Paid" in thanks and "$0.50" in thanks
