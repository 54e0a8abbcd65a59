"""A draft is named by its period everywhere invoices are listed (the invoices list, the customer
page, the contract page) as on its own page: "Draft · Jan 1 – Jan 31, 2026", never the word
"draft" where a number goes (invoicing/templatetags/invoice_names.py)."""

import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from billing_console.lib.periods import Period
from invoicing.models import Invoice
from invoicing.services import invoice_compute_usage
from invoicing.templatetags.invoice_names import invoice_name
from invoicing.tests.factories import FEB, JAN, priced_world, send_calls


def _at(year: int, month: int, day: int = 1) -> datetime:
    return datetime(year, month, day, tzinfo=UTC)


@pytest.mark.parametrize(
    ("number", "start", "end", "prefix", "name"),
    [
        ("INV-0012", _at(2026, 1), _at(2026, 2), "", "INV-0012"),
        ("INV-0012", _at(2026, 1), _at(2026, 2), "Invoice", "Invoice INV-0012"),
        (None, _at(2026, 1), _at(2026, 2), "Invoice", "Draft · Jan 1 – Jan 31, 2026"),
        (None, _at(2026, 12), _at(2027, 1), "", "Draft · Dec 1 – Dec 31, 2026"),
        (None, _at(2026, 3, 15), _at(2026, 3, 15), "", "Draft · Mar 15, 2026"),  # scheduled
    ],
)
def test_invoice_name(number, start, end, prefix, name):
    invoice = Invoice(number=number, period_start=start, period_end=end)
    assert invoice_name(invoice, prefix) == name


@pytest.fixture
def draft(db):
    world = priced_world()
    send_calls(3, datetime(2026, 1, 10, tzinfo=UTC))
    invoice = invoice_compute_usage(contract=world.contract, period=Period(JAN, FEB))
    assert invoice.number in (None, "") and invoice.status == "DRAFT"
    return world, invoice


def _invoice_links(page: str, invoice) -> list[str]:
    href = reverse("invoicing:invoice-detail", args=[invoice.public_id])
    return re.findall(rf'<a href="{href}">(.*?)</a>', page)


@pytest.mark.parametrize("where", ["invoice-list", "customer-detail", "contract-detail"])
def test_a_draft_reads_as_a_draft_of_its_period_in_every_list(client, bob, draft, where):
    world, invoice = draft
    url = {
        "invoice-list": reverse("invoicing:invoice-list"),
        "customer-detail": reverse("customers:customer-detail", args=[world.customer.public_id]),
        "contract-detail": reverse("contracts:contract-detail", args=[world.contract.public_id]),
    }[where]
    client.force_login(bob)
    page = client.get(url).content.decode()
    assert _invoice_links(page, invoice) == ["Draft · Jan 1 – Jan 31, 2026"]
    assert ">draft</a>" not in page.lower()


def test_the_invoices_list_heads_its_first_column_invoice_not_number(client, bob, draft):
    client.force_login(bob)
    page = client.get(reverse("invoicing:invoice-list")).content.decode()
    assert "<th>Invoice</th>" in page and "<th>Number</th>" not in page
