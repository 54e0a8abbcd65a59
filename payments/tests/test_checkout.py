"""Pay by card through a Stripe Checkout Session, against the local fake Stripe: the request
Stripe receives, idempotency keys, reuse of an open session, the signed webhook marking the
invoice paid once, the Stripe invoice settled out of band, and the refusals naming why."""

import pytest
from django.utils import timezone

from billing_console.api import ApplicationError
from invoicing.models import ExternalInvoice, ExternalStatus, StripeEvent
from invoicing.services import invoice_finalize
from invoicing.tests.factories import priced_world
from invoicing.tests.stripe_fixtures import STRIPE_KEY
from payments.checkout import checkout_session_open
from payments.models import CheckoutSession, CheckoutStatus
from payments.pay_state import NO_STRIPE, NOT_FINALIZED, pay_state
from payments.tests.worlds import URLS, checkout_event, post_event, sent_invoice
from webhooks.models import OutboundEvent

pytestmark = pytest.mark.django_db


def _creates(fake):
    return [r for r in fake.requests if r.method == "POST" and r.path == "/v1/checkout/sessions"]


def test_the_session_asks_stripe_for_the_invoice_total_with_a_key_per_attempt(
    fake, django_capture_on_commit_callbacks
):
    world, invoice = sent_invoice(fake, django_capture_on_commit_callbacks)
    row = checkout_session_open(invoice=invoice, urls=URLS, via="api")

    [create] = _creates(fake)
    assert create.idempotency_key == f"invoice:{invoice.public_id}:checkout:1"
    assert create.authorization == f"Bearer {STRIPE_KEY}"  # the contract's Stripe account
    params = create.params
    assert params["mode"] == "payment"
    assert params["customer"] == "cus_acme"
    assert params["line_items[0][price_data][unit_amount]"] == "50"  # 50 cents: the total
    assert params["line_items[0][price_data][currency]"] == "usd"
    assert params["line_items[0][quantity]"] == "1"
    assert params["line_items[0][price_data][product_data][name]"] == f"Invoice {invoice.number}"
    assert params["metadata[billing_console_invoice_id]"] == str(invoice.public_id)
    assert params["metadata[billing_console_checkout_id]"] == str(row.public_id)
    assert params["payment_intent_data[metadata][billing_console_invoice_id]"] == str(invoice.public_id)  # fmt: skip
    assert (params["success_url"], params["cancel_url"]) == (URLS.success, URLS.cancel)
    assert row.url == fake.checkout_sessions[row.session_id]["url"]
    assert (row.attempt, row.amount, row.currency, row.status) == (1, 50, "usd", "OPEN")


def test_an_open_session_is_reused_and_an_expired_one_replaced(
    fake, django_capture_on_commit_callbacks
):
    world, invoice = sent_invoice(fake, django_capture_on_commit_callbacks)
    first = checkout_session_open(invoice=invoice, urls=URLS, via="embed")
    again = checkout_session_open(invoice=invoice, urls=URLS, via="console")
    assert again.pk == first.pk and len(_creates(fake)) == 1

    fake.checkout_sessions[first.session_id]["status"] = "expired"
    second = checkout_session_open(invoice=invoice, urls=URLS, via="console")
    assert second.pk != first.pk and second.attempt == 2
    assert _creates(fake)[-1].idempotency_key == f"invoice:{invoice.public_id}:checkout:2"
    first.refresh_from_db()
    assert first.status == CheckoutStatus.EXPIRED


def test_the_completed_webhook_marks_the_invoice_paid_once_and_settles_stripe(
    client, fake, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    world, invoice = sent_invoice(fake, capture)
    row = checkout_session_open(invoice=invoice, urls=URLS, via="embed")
    event = fake.checkout_complete(row.session_id)

    assert post_event(client, capture, world, event).status_code == 200
    row.refresh_from_db()
    external = ExternalInvoice.objects.get(invoice=invoice)
    assert row.status == CheckoutStatus.PAID and row.payment_intent_id.startswith("pi_")
    assert external.external_status == ExternalStatus.PAID
    assert external.external_payment_id == row.payment_intent_id
    assert row.stripe_invoice_settled_at is not None
    [settle] = [r for r in fake.requests if r.path.endswith(f"{external.external_id}/pay")]
    assert settle.params == {"paid_out_of_band": "true"}
    assert settle.idempotency_key == f"invoice:{invoice.public_id}:checkout:1:settle"
    assert fake.invoices[external.external_id]["status"] == "paid"
    state = pay_state(invoice)
    assert (state.paid_at, state.paid_how) == (external.paid_at, "card")

    # Stripe delivers the event again: acknowledged, nothing changes, nothing is called.
    calls = len(fake.requests)
    again = post_event(client, capture, world, event)
    assert again.json() == {"received": True, "duplicate": True}
    assert len(fake.requests) == calls
    assert OutboundEvent.objects.filter(type="invoice.paid").count() == 1
    with pytest.raises(ApplicationError, match="already paid"):
        checkout_session_open(invoice=invoice, urls=URLS, via="embed")


def test_a_settlement_that_fails_is_retried_with_the_same_key(
    client, fake, django_capture_on_commit_callbacks, settings
):
    from payments.checkout import checkout_settle

    capture = django_capture_on_commit_callbacks
    world, invoice = sent_invoice(fake, capture)
    row = checkout_session_open(invoice=invoice, urls=URLS, via="embed")
    fake.fail_next["/pay"] = 1  # Stripe answers 500 once
    settings.CELERY_TASK_EAGER_PROPAGATES = False
    post_event(client, capture, world, fake.checkout_complete(row.session_id))
    row.refresh_from_db()
    assert row.status == CheckoutStatus.PAID  # the payment is recorded whatever Stripe says
    assert ExternalInvoice.objects.get(invoice=invoice).external_status == ExternalStatus.PAID

    checkout_settle(row_id=row.pk)  # the task's retry (or the sweep)
    row.refresh_from_db()
    assert row.stripe_invoice_settled_at is not None
    keys = [r.idempotency_key for r in fake.requests if r.path.endswith("/pay")]
    assert set(keys) == {f"invoice:{invoice.public_id}:checkout:1:settle"}


def test_a_delayed_payment_that_fails_is_recorded_and_a_new_session_may_follow(
    client, fake, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    world, invoice = sent_invoice(fake, capture)
    row = checkout_session_open(invoice=invoice, urls=URLS, via="embed")
    pending = fake.checkout_complete(row.session_id, payment_status="unpaid")
    post_event(client, capture, world, pending)
    row.refresh_from_db()
    assert row.status == CheckoutStatus.PROCESSING
    session = fake.checkout_sessions[row.session_id]
    post_event(client, capture, world, checkout_event("evt_af", "checkout.session.async_payment_failed", session))  # fmt: skip
    row.refresh_from_db()
    assert row.status == CheckoutStatus.FAILED
    assert ExternalInvoice.objects.get(invoice=invoice).external_status == ExternalStatus.FINALIZED
    failed = OutboundEvent.objects.get(type="invoice.payment_failed")
    assert failed.key == f"invoice:{invoice.public_id}:payment_failed:checkout:1"
    assert checkout_session_open(invoice=invoice, urls=URLS, via="embed").attempt == 2


def test_a_forged_checkout_event_is_refused_and_changes_nothing(
    client, fake, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    world, invoice = sent_invoice(fake, capture)
    row = checkout_session_open(invoice=invoice, urls=URLS, via="embed")
    event = fake.checkout_complete(row.session_id)
    forged = post_event(client, capture, world, event, secret="whsec_notthesecret99")
    assert forged.status_code == 400
    assert not StripeEvent.objects.exists()
    row.refresh_from_db()
    assert row.status == CheckoutStatus.OPEN


def test_no_stripe_configuration_means_no_card_payment(django_capture_on_commit_callbacks):
    from datetime import timedelta

    from invoicing.models import Invoice
    from invoicing.services import contract_invoices_refresh
    from invoicing.tests.factories import FEB, JAN, send_calls

    world = priced_world()
    send_calls(3, JAN + timedelta(days=2))
    contract_invoices_refresh(contract=world.contract, through=FEB + timedelta(hours=1))
    draft = Invoice.objects.get(contract=world.contract, type="USAGE", period_start=JAN)
    assert pay_state(draft).reason == NOT_FINALIZED.format(status="draft")
    with django_capture_on_commit_callbacks(execute=True):
        invoice = invoice_finalize(invoice=draft)
    assert pay_state(invoice).reason == NO_STRIPE
    with pytest.raises(ApplicationError) as refused:
        checkout_session_open(invoice=invoice, urls=URLS, via="embed", now=timezone.now())
    assert refused.value.message == f"invoice_id: {NO_STRIPE}"
    assert not CheckoutSession.objects.exists()


def test_a_settlement_that_cannot_go_on_says_why_and_stays_for_the_sweep(
    fake, django_capture_on_commit_callbacks, settings
):
    import stripe

    from payments.checkout import checkout_session_completed, checkout_settle, checkouts_unsettled

    capture = django_capture_on_commit_callbacks
    world, invoice = sent_invoice(fake, capture)
    row = checkout_session_open(invoice=invoice, urls=URLS, via="embed")
    session = fake.checkout_complete(row.session_id)["data"]["object"]
    with capture(execute=False):  # paid; the settlement's own task is left out
        checkout_session_completed(row=row, session=session, at=timezone.now())
    fake.fail_next["/pay"] = 1
    with pytest.raises(stripe.APIError):  # an outage: raised for the task's retries
        checkout_settle(row_id=row.pk)
    row.refresh_from_db()
    assert row.error == "Stripe invoice not marked paid yet (retried): Fake outage."
    assert checkouts_unsettled() == [row.pk]  # the sweep still takes it

    checkout_settle(row_id=row.pk)
    row.refresh_from_db()
    assert (row.error, row.stripe_invoice_settled_at is not None) == ("", True)
    assert checkouts_unsettled() == []
