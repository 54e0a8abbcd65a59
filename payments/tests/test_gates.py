"""Recording an external payment of a payment-gated (EXTERNAL) threshold invoice: through the
API and the console, the commit is released once, the record is audit-logged, and invoices
that are not gated, or already paid, are refused with a 400 naming why."""

from datetime import UTC, datetime

import pytest
import time_machine
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType

from contracts.models import ThresholdChargeStatus
from invoicing.models import Invoice
from payments.models import ExternalPayment
from payments.tests.worlds import recharged
from webhooks.models import OutboundEvent

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
PATH = "/v1/contracts/paymentGates/recordExternalPayment"


def _body(invoice: Invoice, **extra) -> dict:
    return {"customer_id": str(invoice.customer.public_id), "invoice_id": str(invoice.public_id), **extra}  # fmt: skip


def test_the_api_releases_the_gated_commit_once_and_refuses_a_second_time(
    api, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOW, tick=False):
        world, charge, invoice = recharged(django_capture_on_commit_callbacks)
        assert charge.status == ThresholdChargeStatus.PENDING_PAYMENT
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post(PATH, _body(invoice, reference="WIRE-0042"), format="json")
        assert response.status_code == 200, response.json()
        assert response.json()["data"] == {
            "invoice_id": str(invoice.public_id), "paid_at": "2026-03-10T12:00:00Z",
            "reference": "WIRE-0042",
        }  # fmt: skip
        charge.refresh_from_db()
        assert charge.status == ThresholdChargeStatus.RELEASED
        payment = ExternalPayment.objects.get()
        entry = LogEntry.objects.get(
            content_type=ContentType.objects.get_for_model(ExternalPayment), object_id=payment.pk
        )
        assert entry.actor is not None and entry.action == LogEntry.Action.CREATE
        assert OutboundEvent.objects.filter(type="invoice.paid").count() == 1

        again = api.post(PATH, _body(invoice), format="json")
        assert again.status_code == 400
        assert again.json()["message"].startswith(f"invoice_id: invoice {invoice.public_id} is already paid")  # fmt: skip
        assert ExternalPayment.objects.count() == 1
        assert OutboundEvent.objects.filter(type="invoice.paid").count() == 1


def test_invoices_that_are_not_externally_gated_are_refused_naming_why(
    api, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOW, tick=False):
        _world, _charge, stripe_gated = recharged(django_capture_on_commit_callbacks, gate="STRIPE")
        refused = api.post(PATH, _body(stripe_gated), format="json")
        assert refused.status_code == 400
        assert "gated on Stripe" in refused.json()["message"]
        statement = Invoice.objects.exclude(pk=stripe_gated.pk).first()
        not_gated = api.post(PATH, _body(statement), format="json")
        assert not_gated.status_code == 400
        assert "is not a payment-gated threshold invoice" in not_gated.json()["message"]
        missing = api.post(PATH, {"customer_id": str(statement.customer.public_id)}, format="json")
        assert missing.status_code == 400 and "invoice_id" in missing.json()["message"]
        long = api.post(PATH, _body(stripe_gated, reference="x" * 201), format="json")
        assert long.status_code == 400 and "reference" in long.json()["message"]
    assert not ExternalPayment.objects.exists()


def test_the_console_records_it_with_a_confirmation_and_shows_it_paid(
    client, fiona, bob, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOW, tick=False):
        world, charge, invoice = recharged(django_capture_on_commit_callbacks)
        page = f"/invoices/{invoice.public_id}/"
        url = f"/invoices/{invoice.public_id}/external-payment"
        client.force_login(fiona)
        html = client.get(page).content.decode()
        assert "Record external payment" in html and "hx-confirm=" in html
        client.force_login(bob)  # read-only: refused
        assert client.post(url, {"reference": "x"}).status_code == 403
        client.force_login(fiona)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, {"reference": "WIRE-7"}, HTTP_HX_REQUEST="true")
        assert response.status_code == 200 and response["HX-Redirect"].endswith("#payment")
        charge.refresh_from_db()
        assert charge.status == ThresholdChargeStatus.RELEASED
        html = client.get(page).content.decode()
        assert "paid Mar 10, 2026" in html and "WIRE-7" in html and "by fiona" in html
        assert "Record external payment" not in html
        again = client.post(url, {}, follow=True)
        assert "is already paid" in again.content.decode()
