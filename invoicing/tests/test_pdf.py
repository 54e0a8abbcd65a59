"""The invoice PDF: text extracted with pypdf shows the total and every line."""

import io
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from billing_console.lib.periods import Period
from invoicing.pdf import render_invoice_pdf
from invoicing.services import invoice_compute_usage, invoice_finalize
from invoicing.tests.factories import FEB, JAN, priced_world, send_calls

pytestmark = pytest.mark.django_db


def test_pdf_shows_total_lines_and_company(settings):
    settings.COMPANY_NAME = "Acme AI, Inc."
    settings.COMPANY_ADDRESS = "1 Market St\nSan Francisco"
    world = priced_world(price=5)
    send_calls(12, datetime(2026, 1, 5, tzinfo=UTC))
    invoice = invoice_finalize(
        invoice=invoice_compute_usage(contract=world.contract, period=Period(JAN, FEB))
    )
    pdf = render_invoice_pdf(invoice)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Invoice INV-000001" in text
    assert "Acme AI, Inc." in text and "1 Market St" in text
    assert "Calls" in text and "12" in text
    assert text.count("$0.60") >= 2  # the line and the total (60 cents)
    assert render_invoice_pdf(invoice) == pdf  # deterministic
