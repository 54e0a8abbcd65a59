"""A tiered line's unit price is its amount over its quantity: shown as a rounded average marked
"avg" (4 significant digits, never coarser than the cent), with the tier math beside it, on the
invoice page, its PDF and the embedded invoice. What is billed is untouched. Literal cents."""

import io
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.urls import reverse
from pypdf import PdfReader

from billing_console.embedding import EmbedGrant, embed_token_sign
from billing_console.lib.periods import Period
from invoicing.line_notes import unit_price_text
from invoicing.models import LineItem
from invoicing.pdf import render_invoice_pdf
from invoicing.services import invoice_compute_usage
from invoicing.tests.factories import FEB, JAN, priced_world, send_calls
from pricing.services import rate_add

USD = SimpleNamespace(is_fiat=True, currency_code="USD", name="USD (cents)")
JPY = SimpleNamespace(is_fiat=True, currency_code="JPY", name="JPY")
TIERED = {"rate_type": "TIERED"}
TIERS = [{"tier": "1", "quantity": "7", "price": "2"}]


@pytest.mark.parametrize(
    ("unit_price", "credit_type", "explanation", "tiers", "shown"),
    [
        ("1.777777777778", USD, TIERED, TIERS, "avg $0.01778"),  # 16 cents over 9 calls
        ("1.23456789", USD, TIERED, TIERS, "avg $0.01235"),
        ("1234.5678", USD, TIERED, TIERS, "avg $12.35"),  # never finer than needed...
        ("150", USD, TIERED, TIERS, "avg $1.50"),  # ...nor coarser than the cent
        ("0.000123456", USD, TIERED, TIERS, "avg $0.000001235"),
        ("12.3456", JPY, TIERED, TIERS, "avg ¥12.35"),
        ("1.5", USD, {"rate_type": "FLAT"}, TIERS, "avg $0.015"),  # tiered by an override
        ("0.25", USD, {"rate_type": "FLAT"}, [], "$0.0025"),  # a flat price: as charged
        ("1.23456789", USD, {}, [], "$0.0123456789"),  # a price as stored, not an average
    ],
)
def test_unit_price_text(unit_price, credit_type, explanation, tiers, shown):
    line = LineItem(type="USAGE", unit_price=Decimal(unit_price), explanation=explanation,
                    tiers=tiers)  # fmt: skip
    assert unit_price_text(line, credit_type) == shown


@pytest.fixture
def tiered(db):
    """9 calls: 7 at 2 cents, 2 at 1 cent = 16 cents, an average of 1.7777... cents a call."""
    world = priced_world(price=1)
    world.rate.delete()
    rate_add(rate_card=world.rate_card, product=world.product, starting_at=JAN,
             rate_type="TIERED", tiers=[{"size": 7, "price": "2"}, {"price": "1"}])  # fmt: skip
    send_calls(9, datetime(2026, 1, 5, tzinfo=UTC))
    invoice = invoice_compute_usage(contract=world.contract, period=Period(JAN, FEB))
    line = invoice.lines.get(product=world.product)
    assert (line.total, line.quantity) == (Decimal("16"), Decimal("9"))  # billed as before
    assert line.unit_price.quantize(Decimal("0.000001")) == Decimal("1.777778")  # stored exact
    return world, invoice


TIER_MATH = ("Tier 1 (from unit 1): 7 × $0.02 = $0.14", "Tier 2 (from unit 8): 2 × $0.01 = $0.02")  # noqa: RUF001  # fmt: skip


def test_the_invoice_page_shows_the_average_and_the_tier_math(client, bob, tiered):
    _world, invoice = tiered
    client.force_login(bob)
    page = client.get(reverse("invoicing:invoice-detail", args=[invoice.public_id])).content
    page = page.decode()
    assert "<span>avg $0.01778</span>" in page and "$0.0177777" not in page
    assert all(tier in page for tier in TIER_MATH)


def test_the_pdf_shows_the_average_and_the_tier_math(tiered):
    _world, invoice = tiered
    pdf = render_invoice_pdf(invoice)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "avg $0.01778" in text and "0.0177777" not in text
    assert all(tier in " ".join(text.split()) for tier in TIER_MATH)


def test_the_embedded_invoice_shows_the_average_and_the_tier_math(client, tiered):
    world, invoice = tiered
    grant = EmbedGrant(customer_id=str(world.customer.public_id), dashboard="invoices")
    url = reverse("embeds:invoice-detail", args=[embed_token_sign(grant), invoice.public_id])
    html = client.get(url).content.decode()
    assert "avg $0.01778" in html and "$0.0177777" not in html
    assert all(tier in html for tier in TIER_MATH)
