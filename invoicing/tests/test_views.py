"""The invoices console: list filters, the explained invoice page, lifecycle actions, roles."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from billing_console.lib.periods import Period
from invoicing.models import Invoice
from invoicing.services import invoice_compute_usage, invoice_finalize
from invoicing.tests.factories import FEB, JAN, MAR, priced_world, send_calls


@pytest.fixture
def invoices(db):
    world = priced_world(price=250)  # 250 cents a call
    send_calls(4, datetime(2026, 1, 5, tzinfo=UTC))
    january = invoice_finalize(
        invoice=invoice_compute_usage(contract=world.contract, period=Period(JAN, FEB))
    )
    send_calls(2, datetime(2026, 2, 5, tzinfo=UTC))
    february = invoice_compute_usage(contract=world.contract, period=Period(FEB, MAR))
    return world, january, february


def test_list_shows_money_in_major_units_and_filters_by_status(client, fiona, invoices):
    _, january, february = invoices
    client.force_login(fiona)
    page = client.get(reverse("invoicing:invoice-list")).content.decode()
    assert "$10.00" in page and "$5.00" in page
    finalized = client.get(
        reverse("invoicing:invoice-list"), {"status": "FINALIZED"}
    ).content.decode()
    assert str(january.public_id) in finalized and str(february.public_id) not in finalized


def test_invoice_page_explains_each_line(client, bob, invoices):
    _, january, _ = invoices
    client.force_login(bob)
    page = client.get(
        reverse("invoicing:invoice-detail", args=[january.public_id])
    ).content.decode()
    assert "Calls" in page and "$10.00" in page and january.number in page


def test_finalize_and_void_from_the_console(client, fiona, invoices):
    _, january, february = invoices
    client.force_login(fiona)
    client.post(reverse("invoicing:invoice-finalize", args=[february.public_id]))
    assert Invoice.objects.get(pk=february.pk).status == "FINALIZED"
    client.post(reverse("invoicing:invoice-void", args=[january.public_id]))
    assert Invoice.objects.get(pk=january.pk).status == "VOID"


def test_read_only_users_cannot_change_invoices(client, bob, invoices):
    _, _, february = invoices
    client.force_login(bob)
    response = client.post(reverse("invoicing:invoice-finalize", args=[february.public_id]))
    assert response.status_code == 403
    assert Invoice.objects.get(pk=february.pk).status == "DRAFT"


def test_customer_list_shows_lifetime_billings(client, bob, invoices):
    client.force_login(bob)
    page = client.get(reverse("customers:customer-list")).content.decode()
    assert "Lifetime billed" in page and "$10.00" in page  # finalized only: the draft is not billed


def test_customer_page_lists_contracts_and_recent_invoices(client, bob, invoices):
    world, january, _ = invoices
    client.force_login(bob)
    page = client.get(
        reverse("customers:customer-detail", args=[world.customer.public_id])
    ).content.decode()
    assert str(world.contract.public_id) in page
    assert january.number in page and "$10.00" in page
