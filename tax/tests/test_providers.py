"""Tax at finalize through each provider's HTTP API, against the local fake (tax/tests/
fake_tax.py) and the fake Stripe. Hand-worked: one call at $1,234.50 (123450 cents), taxed
at New York City's 8.875%: 1234.50 x 0.08875 = 109.561875, which the provider rounds half up
to the cent, $109.56 (10956 cents). We store the provider's figure; we never round it again.
"""

import base64
from datetime import timedelta

from django.utils import timezone

from customers.avalara import avalara_credentials_upsert
from invoicing.models import InvoiceStatus
from invoicing.services import invoice_finalize, invoice_void
from invoicing.tests.factories import priced_world
from invoicing.tests.stripe_fixtures import stripe_world
from invoicing.wire import invoice_to_wire
from tax.credentials import anrok_credentials_set
from tax.models import InvoiceTax, LineTax, TaxStatus
from tax.services import invoice_tax_calculate, tax_address_set, taxes_due

USAGE = 123450  # cents: $1,234.50
TAX = 10956  # cents: $109.56


def _address(customer) -> None:
    tax_address_set(customer=customer, line1="350 5th Ave", line2="", city="New York",
                    region="NY", postal_code="10118", country="us")  # fmt: skip


def _world(fake, provider: str, *, address: bool = True):
    sw = stripe_world(fake, world=priced_world(price=USAGE), tax_provider=provider)
    if provider == "avalara":
        avalara_credentials_upsert(data={
            "avalara_environment": "SANDBOX", "avalara_username": "acct@example.com",
            "avalara_password": "s3cret-pass", "delivery_method_ids": [str(sw.entity.public_id)],
            "commit_transactions": True,
        })  # fmt: skip
    if provider == "anrok":
        anrok_credentials_set(provider=sw.entity, api_key="sxxx/saxxx/secret.abcd")
    if address:
        _address(sw.world.customer)
    return sw


def _finalized(sw, capture):
    invoice = sw.january_invoice(calls=1)
    with capture(execute=True):
        invoice = invoice_finalize(invoice=invoice)
    return invoice


def test_avalara_at_finalize_to_the_cent(
    db, fake, fake_tax_server, django_capture_on_commit_callbacks
):
    sw = _world(fake, "avalara")
    invoice = _finalized(sw, django_capture_on_commit_callbacks)
    [call] = fake_tax_server.requests
    assert call.path == "/api/v2/transactions/createOrAdjust"
    basic = base64.b64encode(b"acct@example.com:s3cret-pass").decode()
    assert call.headers["Authorization"] == f"Basic {basic}"
    assert call.headers["X-Avalara-Client"].startswith("billing-console; 1.0;")
    model = call.body["createTransactionModel"]
    assert {k: model[k] for k in ("type", "code", "companyCode", "commit", "currencyCode")} == {
        "type": "SalesInvoice", "code": str(invoice.public_id), "companyCode": "DEFAULT",
        "commit": True, "currencyCode": "USD",
    }  # fmt: skip
    assert model["customerCode"] == str(sw.world.customer.public_id)
    assert model["addresses"] == {"shipTo": {"line1": "350 5th Ave", "city": "New York",
                                             "region": "NY", "postalCode": "10118", "country": "US"}}  # fmt: skip
    [line] = model["lines"]
    assert (line["number"], line["amount"]) == ("1", 1234.5)
    tax = InvoiceTax.objects.get(invoice=invoice)
    assert (tax.provider, tax.status, tax.total_tax, tax.total_taxable) == (
        "avalara",
        TaxStatus.COMMITTED,
        TAX,
        USAGE,
    )
    assert tax.transaction_id == str(invoice.public_id)
    line_tax = LineTax.objects.get(invoice_tax=tax)
    assert (line_tax.tax_amount, line_tax.taxable_amount) == (TAX, USAGE)
    assert [j["name"] for j in line_tax.jurisdictions] == ["NEW YORK", "NEW YORK CITY"]
    # On the wire where Metronome carries a tax provider's total: external_invoice.tax.
    assert invoice_to_wire(invoice)["external_invoice"]["tax"] == {
        "total_tax_amount": TAX, "total_taxable_amount": USAGE,
        "transaction_id": str(invoice.public_id),
    }  # fmt: skip


def test_avalara_retry_is_one_transaction_and_void_voids_it(
    db, fake, fake_tax_server, django_capture_on_commit_callbacks
):
    invoice = _finalized(_world(fake, "avalara"), django_capture_on_commit_callbacks)
    invoice_tax_calculate(invoice_id=invoice.pk)  # done: nothing is sent again
    assert len(fake_tax_server.requests) == 1
    tax = InvoiceTax.objects.get(invoice=invoice)
    tax.status = TaxStatus.PENDING  # as if the answer had been lost: the task runs again
    tax.save()
    invoice_tax_calculate(invoice_id=invoice.pk)
    assert [r.body["createTransactionModel"]["code"] for r in fake_tax_server.requests] == [
        str(invoice.public_id)
    ] * 2
    assert list(fake_tax_server.transactions) == [str(invoice.public_id)]  # adjusted, not added
    with django_capture_on_commit_callbacks(execute=True):
        invoice_void(invoice=invoice)
    void = fake_tax_server.requests[-1]
    assert void.path == f"/api/v2/companies/DEFAULT/transactions/{invoice.public_id}/void"
    assert void.body == {"code": "DocVoided"}
    assert InvoiceTax.objects.get(invoice=invoice).status == TaxStatus.VOIDED


def test_anrok_at_finalize(db, fake, fake_tax_server, django_capture_on_commit_callbacks):
    invoice = _finalized(_world(fake, "anrok"), django_capture_on_commit_callbacks)
    [call] = fake_tax_server.requests
    assert call.path == "/v1/seller/transactions/createOrUpdate"
    assert call.headers["Authorization"] == "Bearer sxxx/saxxx/secret.abcd"
    body = call.body
    assert body["id"] == f"billing-console:{invoice.public_id}"
    assert (body["currencyCode"], body["accountingTimeZone"]) == ("usd", "UTC")
    assert body["customerAddress"] == {"country": "us", "line1": "350 5th Ave", "city": "New York",
                                       "region": "NY", "postalCode": "10118"}  # fmt: skip
    [item] = body["lineItems"]
    assert (item["amount"], item["isTaxIncludedInAmount"]) == (USAGE, False)
    tax = InvoiceTax.objects.get(invoice=invoice)
    assert (tax.status, tax.total_tax, tax.transaction_id) == (
        TaxStatus.COMMITTED,
        TAX,
        f"billing-console:{invoice.public_id}",
    )
    tax.status = TaxStatus.PENDING
    tax.save()
    invoice_tax_calculate(invoice_id=invoice.pk)  # retried: Anrok updates the same id
    assert len(fake_tax_server.transactions) == 1
    assert fake_tax_server.transactions[body["id"]]["version"] == 2
    with django_capture_on_commit_callbacks(execute=True):
        invoice_void(invoice=invoice)
    assert fake_tax_server.requests[-1].path == f"/v1/seller/transactions/id:{body['id']}/void"
    assert InvoiceTax.objects.get(invoice=invoice).status == TaxStatus.VOIDED


def test_a_missing_address_is_recorded_then_retried(
    db, fake, fake_tax_server, django_capture_on_commit_callbacks
):
    sw = _world(fake, "anrok", address=False)
    invoice = _finalized(sw, django_capture_on_commit_callbacks)
    assert invoice.status == InvoiceStatus.FINALIZED  # the invoice is not lost
    tax = InvoiceTax.objects.get(invoice=invoice)
    assert tax.status == TaxStatus.FAILED and "no tax address" in tax.error
    assert fake_tax_server.requests == []
    with django_capture_on_commit_callbacks(execute=True):
        _address(sw.world.customer)  # setting it computes the failed tax again
    tax.refresh_from_db()
    assert (tax.status, tax.total_tax, tax.error) == (TaxStatus.COMMITTED, TAX, "")


def test_an_outage_stays_pending_for_the_sweep(
    db, fake, fake_tax_server, django_capture_on_commit_callbacks
):
    fake_tax_server.refuse_next = [(503, {"error": {"code": "ServiceUnavailable"}})]
    invoice = _finalized(_world(fake, "avalara"), django_capture_on_commit_callbacks)
    tax = InvoiceTax.objects.get(invoice=invoice)
    assert tax.status == TaxStatus.PENDING and "503" in tax.error
    assert taxes_due(now=timezone.now()) == ([], [])
    assert taxes_due(now=timezone.now() + timedelta(minutes=16)) == ([invoice.pk], [])
    invoice_tax_calculate(invoice_id=invoice.pk)
    tax.refresh_from_db()
    assert (tax.status, tax.total_tax) == (TaxStatus.COMMITTED, TAX)


def test_a_refusal_is_shown_with_the_providers_reason(
    db, fake, fake_tax_server, django_capture_on_commit_callbacks
):
    fake_tax_server.refuse_next = [(409, {"type": "productExternalIdUnknown"})]
    invoice = _finalized(_world(fake, "anrok"), django_capture_on_commit_callbacks)
    tax = InvoiceTax.objects.get(invoice=invoice)
    assert tax.status == TaxStatus.FAILED
    assert tax.error == "Anrok refused it (409): productExternalIdUnknown"


def test_stripe_tax_fits_the_same_interface(
    db, fake, fake_tax_server, django_capture_on_commit_callbacks
):
    sw = stripe_world(fake, tax_provider="stripe")
    invoice = sw.january_invoice(calls=100)  # 500 cents; the fake Stripe Tax is 8.25%: 41
    with django_capture_on_commit_callbacks(execute=True):
        invoice = invoice_finalize(invoice=invoice)
    assert fake.requests[0].params["automatic_tax[enabled]"] == "true"  # unchanged
    tax = InvoiceTax.objects.get(invoice=invoice)
    assert (tax.provider, tax.status, tax.total_tax, tax.transaction_id) == (
        "stripe",
        TaxStatus.COMMITTED,
        41,
        "in_fake1",
    )
    assert fake_tax_server.requests == []


def test_the_tax_is_on_the_invoice_page_and_pdf(
    db, client, alice, fake, fake_tax_server, django_capture_on_commit_callbacks
):
    from django.template.loader import render_to_string

    invoice = _finalized(_world(fake, "avalara"), django_capture_on_commit_callbacks)
    client.force_login(alice)
    html = client.get(f"/invoices/{invoice.public_id}/").content.decode()
    assert "$109.56" in html and "Total with tax: $1,344.06" in html
    pdf_html = render_to_string("invoicing/pdf/invoice.html", {"invoice": invoice, "lines": []})
    assert "Tax (Avalara AvaTax)" in pdf_html and "$1,344.06" in pdf_html


def test_stripe_collects_the_tax_avalara_computed_as_one_more_item(
    db, fake, fake_tax_server, django_capture_on_commit_callbacks
):
    """The Stripe invoice of an Avalara-taxed customer waits for the tax, then carries it as
    an invoice item, so Stripe collects the total with tax ($1,234.50 + $109.56)."""
    from invoicing.providers.stripe_invoices import stripe_invoice_sync

    sw = _world(fake, "avalara")
    invoice = _finalized(sw, django_capture_on_commit_callbacks)
    items = [r.params for r in fake.requests if r.path == "/v1/invoiceitems"]
    assert [(i["amount"], i["description"]) for i in items] == [
        (str(USAGE), "Calls"), (str(TAX), "Tax (Avalara AvaTax)"),
    ]  # fmt: skip
    assert items[1]["metadata[billing_console_tax]"] == "avalara"
    [stripe_invoice] = fake.invoices.values()
    assert stripe_invoice["total"] == USAGE + TAX and stripe_invoice["status"] != "draft"
    # Run again (a redelivered task): nothing more is sent.
    before = len(fake.requests)
    stripe_invoice_sync(external_id=invoice.external.pk)
    assert len(fake.requests) == before


def test_the_stripe_invoice_waits_while_the_tax_is_not_computed(
    db, fake, fake_tax_server, django_capture_on_commit_callbacks
):
    sw = _world(fake, "avalara", address=False)  # Avalara refuses: no address to tax
    _finalized(sw, django_capture_on_commit_callbacks)
    assert [r.path for r in fake.requests] == ["/v1/invoices", "/v1/invoiceitems"]  # no finalize
    with django_capture_on_commit_callbacks(execute=True):
        _address(sw.world.customer)  # setting the address retries the tax, which sends it on
    paths = [r.path for r in fake.requests]
    assert paths[2] == "/v1/invoiceitems" and paths[3].endswith("/finalize")
