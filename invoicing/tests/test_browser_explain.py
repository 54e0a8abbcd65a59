"""The explained invoice in a real browser, at 1440 and 390 px (screenshots to $SCREENSHOT_DIR):
each line says how it was priced and why a credit with money left did not pay it."""

import pytest

from invoicing.tests.test_browser import _shots
from invoicing.tests.test_line_notes import explained_invoice

pytestmark = pytest.mark.browser


@pytest.fixture
def explained(db):
    return explained_invoice()


def test_the_invoice_page_explains_each_line(page, login, fiona, explained):
    _, invoice = explained
    login("fiona")
    page.goto(f"/invoices/{invoice.public_id}/")
    charges = page.inner_text("section.card:has(h2:text('Charges'))")
    assert "Standard card · $0.0025 per call from Jan 1, 2026" in charges
    assert "5% of $1.00" in charges
    assert "not applicable to this product" in charges
    _shots(page, "invoice-explained")
