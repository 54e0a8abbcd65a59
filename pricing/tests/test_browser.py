"""A pricing user edits a rate in place in a real browser (Playwright + Debian's Chromium)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from pricing import services
from usage.services import billable_metric_create

pytestmark = pytest.mark.browser


@pytest.fixture
def priced_card(db):
    metric = billable_metric_create(name="API calls", aggregation_type="COUNT")
    product = services.product_create(name="API calls", type="USAGE", billable_metric=metric)
    card = services.rate_card_create(name="List prices")
    rate = services.rate_add(
        rate_card=card,
        product=product,
        starting_at=datetime(2025, 1, 1, tzinfo=UTC),
        rate_type="FLAT",
        price="2.5",
    )
    return card, rate


def test_edit_a_rate_inline_with_a_validation_error(page, login, alice, priced_card):
    card, rate = priced_card
    login("alice")
    page.click("nav.mainnav >> text=Rate cards")
    page.click("text=List prices")
    page.wait_for_url(f"**/rate-cards/{card.public_id}/")
    row = page.locator(f"#rate-{rate.public_id}")
    assert "2.5" in row.inner_text()

    # Edit: the row becomes a form in place.
    row.get_by_role("link", name="Edit").click()
    price = row.locator("input[name=price]")
    price.wait_for()
    assert price.input_value() == "2.5"

    # A negative price: the service's error renders inside that row, the row stays a form.
    price.fill("-4")
    row.get_by_role("button", name="Save").click()
    error = row.locator(".field-error")
    error.wait_for()
    assert "must not be negative" in error.inner_text()
    assert row.locator("input[name=price]").input_value() == "-4"

    # Fixed: the row swaps back to the display with the new price.
    row.locator("input[name=price]").fill("3.75")
    row.get_by_role("button", name="Save").click()
    row.locator("input[name=price]").wait_for(state="detached")
    assert "3.75" in row.inner_text()
    assert "must not be negative" not in page.locator("#rate-table").inner_text()
    rate.refresh_from_db()
    assert rate.price == Decimal("3.75")

    # And it survives a reload.
    page.reload()
    assert "3.75" in page.locator(f"#rate-{rate.public_id}").inner_text()
