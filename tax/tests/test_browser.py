"""Finance sees an invoice's tax (Avalara, through the fake) and Settings → Tax in a browser."""

import pytest

from billing_console.tests.screenshots import element_shots
from invoicing.services import invoice_finalize
from tax.tests.test_providers import _world

pytestmark = pytest.mark.browser


def test_tax_on_the_invoice_page_and_settings(page, login, alice, fake, fake_tax_server):
    sw = _world(fake, "avalara")
    invoice = invoice_finalize(invoice=sw.january_invoice(calls=1))  # tasks run on commit
    login("alice")
    page.goto(f"/invoices/{invoice.public_id}/")
    card = page.locator("#invoice-tax")
    card.wait_for()
    assert "Total with tax: $1,344.06" in card.inner_text()
    element_shots(page, "tax-invoice", "#invoice-tax")
    page.goto("/tax/settings")
    page.locator("#tax-providers").wait_for()
    assert "password set" in page.locator("#tax-providers").inner_text()
    element_shots(page, "tax-settings", "main")
