"""The invoice PDF: text extracted with pypdf shows the total and every line."""

import io
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from billing_console.lib.periods import Period
from contracts.services import contract_create
from customers.services import customer_create
from invoicing.pdf import render_invoice_pdf
from invoicing.services import invoice_compute_usage, invoice_finalize
from invoicing.tests.factories import FEB, JAN, priced_world, send_calls
from pricing.services import product_create, rate_add, rate_card_create
from usage.services import billable_metric_create, usage_ingest

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


def _pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def _dump(pdf: bytes, name: str) -> None:
    """$SCREENSHOT_DIR set: keep the PDF there to be looked at (as the browser tests do)."""
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / f"{name}.pdf").write_bytes(pdf)


def _models_invoice(count: int, *, net_days: int | None = 30):
    """`count` lines of "Input tokens", one per model (100 tokens at 1 cent each)."""
    metric = billable_metric_create(
        name="input tokens", event_type_filter={"in_values": ["llm"]}, aggregation_type="SUM",
        aggregation_key="tokens", group_keys=[["model"]],
    )  # fmt: skip
    tokens = product_create(
        name="Input tokens", type="USAGE", billable_metric=metric, pricing_group_key=["model"]
    )
    card = rate_card_create(name="Standard")
    rate_add(rate_card=card, product=tokens, starting_at=JAN, rate_type="FLAT", price=1)
    customer = customer_create(name="Acme", ingest_aliases=["acme"])
    terms = {"net_payment_terms_days": net_days} if net_days is not None else {}
    contract = contract_create(customer=customer, data={
        "starting_at": "2026-01-01T00:00:00Z", "rate_card_id": str(card.public_id),
        "usage_statement_schedule": {"frequency": "MONTHLY"}, **terms,
    })  # fmt: skip
    at = datetime(2026, 1, 5, tzinfo=UTC)
    usage_ingest(events=[
        {"transaction_id": f"t-{i}", "customer_id": "acme", "event_type": "llm",
         "timestamp": at.isoformat(), "properties": {"model": f"model-{i:02d}", "tokens": "100"}}
        for i in range(count)
    ], now=at)  # fmt: skip
    return invoice_finalize(
        invoice=invoice_compute_usage(contract=contract, period=Period(JAN, FEB))
    )


def test_pdf_has_seller_address_and_due_date(settings):
    settings.SELLER_NAME = "Acme AI, Inc."
    settings.SELLER_ADDRESS = "1 Market St\\nSan Francisco, CA 94105"  # as written in .env
    invoice = _models_invoice(3)
    pdf = render_invoice_pdf(invoice)
    _dump(pdf, "invoice-short")
    text = "\n".join(_pages(pdf))
    assert "Acme AI, Inc." in text and "1 Market St" in text and "San Francisco, CA 94105" in text
    due = (invoice.issued_at + timedelta(days=30)).strftime("%b %-d, %Y")
    assert f"Due {due} (net 30 days)" in text.replace("\n", " ")
    assert "model: model-00" in text and "model: model-02" in text  # lines told apart


@pytest.mark.parametrize("count", [10, 11, 12, 13])
def test_totals_stay_on_the_page_of_the_last_line(count):
    invoice = _models_invoice(count)
    pdf = render_invoice_pdf(invoice)
    _dump(pdf, f"invoice-{count}")
    pages = _pages(pdf)
    # the last line as the invoice orders them (group order is the database's)
    last_line = invoice.lines.last().pricing_group_values["model"]
    with_total = [text for text in pages if "Total due" in text]
    assert len(with_total) == 1 and last_line in with_total[0]
