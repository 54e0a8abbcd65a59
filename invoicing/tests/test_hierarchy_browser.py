"""Finance ops in a real browser: the parent's contract page lists its children and its
consolidated invoice, which shows each constituent statement; a child's page names its payer.
Screenshots at 1440 and 390 px go to $SCREENSHOT_DIR (default var/screenshots)."""

import pytest

from invoicing.models import Invoice
from invoicing.tests.test_browser import _shots
from invoicing.tests.test_hierarchy_billing import billed_month, world  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.sdk]


def test_the_parent_page_and_its_consolidated_invoice_show_the_statements(
    page,
    login,
    fiona,
    sdk,
    world,  # noqa: F811
):
    ids = billed_month(sdk, world)
    login("fiona")
    page.goto(f"/contracts/{ids['parent']}/")
    box = page.inner_text("#hierarchy")
    assert "Globex EU" in box and "Globex US" in box and "Group usage pool" in box
    assert "62.38" in box  # the consolidated invoice, listed with its total
    _shots(page, "hierarchy-parent-contract")

    consolidated = Invoice.objects.get(type="USAGE_CONSOLIDATED")
    page.click(f"#hierarchy a[href='/invoices/{consolidated.public_id}/']")
    page.wait_for_url(f"**/invoices/{consolidated.public_id}/")
    statements = page.inner_text("#invoice-hierarchy")
    assert "Globex Holdings" in statements and "Globex EU" in statements
    assert "Globex US" not in statements  # billed on its own
    assert "112.38" in page.inner_text("body")  # subtotal: $12.00 + $100.38
    assert "62.38" in page.inner_text(".total-card")
    _shots(page, "hierarchy-consolidated-invoice")

    statement = consolidated.constituents.get(contract__public_id=ids["eu"])
    page.goto(f"/invoices/{statement.public_id}/")
    said = page.inner_text("#invoice-hierarchy")
    assert "Paid by Globex Holdings" in said and "Billed on the consolidated invoice" in said
    _shots(page, "hierarchy-child-statement")

    page.goto(f"/contracts/{ids['eu']}/")
    assert "Globex Holdings (the parent) pays" in page.inner_text("#hierarchy")
    _shots(page, "hierarchy-child-contract")
