"""Finalized invoices are created in Stripe exactly once, through the real `stripe` library
talking to a local fake Stripe: the exact requests, their idempotency keys, a retried task, an
outage midway, several Stripe accounts, Stripe Tax, effective_at, and archived configurations."""

from datetime import UTC, datetime

import pytest
import stripe

from contracts.terms.billing_provider import contract_billing_configuration_set
from customers.billing_providers import (
    billing_provider_set_up,
    customer_billing_configuration_set,
    customer_billing_configurations_archive,
)
from invoicing.models import ExternalInvoice, ExternalStatus
from invoicing.providers.sync import invoice_provider_sync
from invoicing.services import invoice_finalize
from invoicing.tasks import invoice_provider_sync_task
from invoicing.tests.stripe_fixtures import STRIPE_KEY, stripe_world
from invoicing.wire import invoice_to_wire


def _finalize(invoice, django_capture_on_commit_callbacks):
    # The sync task is enqueued on commit (and runs inline: CELERY_TASK_ALWAYS_EAGER).
    with django_capture_on_commit_callbacks(execute=True):
        return invoice_finalize(invoice=invoice)


def test_finalizing_creates_the_stripe_invoice_once_with_the_exact_requests(
    db, fake, django_capture_on_commit_callbacks
):
    world = stripe_world(fake)
    invoice = _finalize(world.january_invoice(), django_capture_on_commit_callbacks)
    line = invoice.lines.get(type="USAGE")
    pid = invoice.public_id

    assert fake.calls() == [
        ("POST", "/v1/invoices"),
        ("POST", "/v1/invoiceitems"),
        ("POST", "/v1/invoices/in_fake1/finalize"),
        ("GET", "/v1/customers/cus_acme"),
        ("POST", "/v1/invoices/in_fake1/pay"),
    ]
    create, item, finalize, _customer, pay = fake.requests
    assert create.params == {
        "customer": "cus_acme",
        "currency": "usd",
        "collection_method": "charge_automatically",
        "auto_advance": "false",
        "pending_invoice_items_behavior": "exclude",
        "description": f"Invoice {invoice.number}",
        "metadata[billing_console_invoice_id]": str(pid),
        "metadata[billing_console_invoice_number]": invoice.number,
        "metadata[billing_console_customer_id]": str(world.world.customer.public_id),
        "metadata[billing_console_contract_id]": str(world.contract.public_id),
    }
    assert create.idempotency_key == f"invoice:{pid}:create"
    assert create.authorization == f"Bearer {STRIPE_KEY}"
    assert item.params == {
        "customer": "cus_acme",
        "invoice": "in_fake1",
        "currency": "usd",
        "amount": "50",  # 10 calls x 5 cents
        "description": "Calls",
        "metadata[billing_console_line_id]": str(line.public_id),
        "period[start]": str(int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())),
        "period[end]": str(int(datetime(2026, 2, 1, tzinfo=UTC).timestamp())),
    }
    assert item.idempotency_key == f"invoice:{pid}:line:{line.public_id}"
    assert finalize.params == {"auto_advance": "false"}
    assert finalize.idempotency_key == f"invoice:{pid}:finalize"
    assert pay.params == {"payment_method": "pm_card_visa", "off_session": "true"}
    assert pay.idempotency_key == f"invoice:{pid}:pay:1"

    external = ExternalInvoice.objects.get(invoice=invoice)
    assert external.external_id == "in_fake1"
    assert external.external_status == ExternalStatus.PAID
    assert external.invoiced_total == 50
    assert external.external_payment_id == "pi_fake3"

    # A retried task, and a second finalize (month close running twice): nothing new in Stripe.
    invoice_provider_sync_task(invoice.pk)
    _finalize(invoice, django_capture_on_commit_callbacks)
    assert len(fake.requests) == 5
    assert ExternalInvoice.objects.count() == 1
    assert len(fake.invoices) == 1

    wire = invoice_to_wire(invoice)["external_invoice"]
    assert wire == {
        "billing_provider_type": "stripe",
        "external_status": "PAID",
        "invoice_id": "in_fake1",
        "billing_provider_error": None,
        "external_payment_id": "pi_fake3",
        "invoiced_total": 50,
        "invoiced_sub_total": 50,
        "issued_at_timestamp": wire["issued_at_timestamp"],
        "pdf_url": "https://pay.stripe.test/invoice/in_fake1/pdf",
        "tax": {"total_tax_amount": 0},
    }


def test_an_outage_midway_resumes_without_a_second_stripe_invoice(
    db, fake, django_capture_on_commit_callbacks
):
    world = stripe_world(fake)
    invoice = world.january_invoice()
    fake.fail_next["/finalize"] = 1
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invoice = invoice_finalize(invoice=invoice)
    assert len(callbacks) == 1  # the sync, enqueued on commit
    with pytest.raises(stripe.APIError):
        invoice_provider_sync(invoice_id=invoice.pk)  # the task's first run dies at finalize
    external = ExternalInvoice.objects.get(invoice=invoice)
    assert (external.external_id, external.items_synced) == ("in_fake1", 1)
    assert external.external_status == ExternalStatus.QUEUED
    assert external.error == "Not fully sent to Stripe yet (retried): Fake outage."

    invoice_provider_sync(invoice_id=invoice.pk)  # the retry resumes at finalize
    assert fake.calls() == [
        ("POST", "/v1/invoices"),
        ("POST", "/v1/invoiceitems"),
        ("POST", "/v1/invoices/in_fake1/finalize"),  # 500
        ("POST", "/v1/invoices/in_fake1/finalize"),
        ("GET", "/v1/customers/cus_acme"),
        ("POST", "/v1/invoices/in_fake1/pay"),
    ]
    assert fake.requests[2].idempotency_key == fake.requests[3].idempotency_key
    assert len(fake.invoices) == 1
    external.refresh_from_db()
    assert (external.external_status, external.error) == (ExternalStatus.PAID, "")


def test_the_contract_configuration_chooses_the_stripe_account(
    db, fake, django_capture_on_commit_callbacks
):
    world = stripe_world(fake)
    eu_key = "sk_test_51EuropeanEntityKey02"
    eu = billing_provider_set_up(data={
        "billing_provider": "stripe", "delivery_method": "direct_to_billing_provider",
        "configuration": {"name": "EU entity", "stripe_secret_key": eu_key},
    })  # fmt: skip
    eu_config = customer_billing_configuration_set(
        customer=world.world.customer,
        data={"billing_provider": "stripe", "delivery_method_id": str(eu.public_id),
              "configuration": {"stripe_customer_id": "cus_acmeEU", "stripe_collection_method": "send_invoice"}},
    )  # fmt: skip
    customer_billing_configurations_archive(
        customer=world.world.customer, ids=[str(world.configuration.public_id)]
    )
    contract_billing_configuration_set(contract=world.contract, configuration=eu_config)
    world.contract.net_payment_terms_days = 15
    world.contract.save(update_fields=["net_payment_terms_days"])
    invoice = _finalize(world.january_invoice(), django_capture_on_commit_callbacks)

    # send_invoice: no card charge; Stripe e-mails it, due in the contract's payment terms.
    assert fake.calls() == [
        ("POST", "/v1/invoices"),
        ("POST", "/v1/invoiceitems"),
        ("POST", "/v1/invoices/in_fake1/finalize"),
    ]
    assert {r.authorization for r in fake.requests} == {f"Bearer {eu_key}"}
    assert fake.requests[0].params["customer"] == "cus_acmeEU"
    assert fake.requests[0].params["collection_method"] == "send_invoice"
    assert fake.requests[0].params["days_until_due"] == "15"
    external = ExternalInvoice.objects.get(invoice=invoice)
    assert (external.provider, external.external_status) == (eu, ExternalStatus.FINALIZED)


def test_stripe_tax_and_effective_at(db, fake, django_capture_on_commit_callbacks):
    world = stripe_world(fake, tax_provider="stripe")
    invoice = _finalize(world.january_invoice(calls=100), django_capture_on_commit_callbacks)
    create = fake.requests[0]
    assert create.params["automatic_tax[enabled]"] == "true"
    assert "effective_at" not in create.params
    external = ExternalInvoice.objects.get(invoice=invoice)
    # 500 cents of usage, 8.25% tax computed by (fake) Stripe Tax: 41 cents.
    assert (external.invoiced_sub_total, external.tax_amount, external.invoiced_total) == (500, 41, 541)  # fmt: skip
    assert fake.requests[-1].path == "/v1/invoices/in_fake1/pay"


def test_effective_at_is_the_last_second_of_the_service_period(
    db, fake, django_capture_on_commit_callbacks
):
    world = stripe_world(fake, entity={"effective_at_end_of_period": True})
    _finalize(world.january_invoice(), django_capture_on_commit_callbacks)
    end = int(datetime(2026, 1, 31, 23, 59, 59, tzinfo=UTC).timestamp())
    assert fake.requests[0].params["effective_at"] == str(end)


def test_leave_in_draft_stops_before_finalizing(db, fake, django_capture_on_commit_callbacks):
    world = stripe_world(fake, leave_stripe_invoices_in_draft=True)
    invoice = _finalize(world.january_invoice(), django_capture_on_commit_callbacks)
    assert fake.calls() == [("POST", "/v1/invoices"), ("POST", "/v1/invoiceitems")]
    assert ExternalInvoice.objects.get(invoice=invoice).external_status == ExternalStatus.DRAFT


def test_an_archived_configuration_stops_billing_at_once(
    db, fake, django_capture_on_commit_callbacks
):
    world = stripe_world(fake)
    invoice = world.january_invoice()
    customer_billing_configurations_archive(
        customer=world.world.customer, ids=[str(world.configuration.public_id)]
    )
    _finalize(invoice, django_capture_on_commit_callbacks)
    assert fake.requests == []
    assert not ExternalInvoice.objects.exists()


def test_stripe_refusing_a_request_is_recorded_not_retried(
    db, fake, django_capture_on_commit_callbacks
):
    world = stripe_world(fake)
    fake.customers.clear()
    world.configuration.configuration["stripe_customer_id"] = "cus_gone"
    world.configuration.save(update_fields=["configuration"])
    fake.fail_next = {}
    invoice = world.january_invoice()

    def refuse(method, path, params):
        return 400, {"error": {"type": "invalid_request_error", "message": "No such customer: 'cus_gone'"}}  # fmt: skip

    fake.handle = refuse  # type: ignore[method-assign]
    _finalize(invoice, django_capture_on_commit_callbacks)
    external = ExternalInvoice.objects.get(invoice=invoice)
    assert external.external_status == ExternalStatus.INVALID_REQUEST_ERROR
    assert external.error == "No such customer: 'cus_gone'"
    invoice_provider_sync(invoice_id=invoice.pk)
    assert len(fake.requests) == 1
