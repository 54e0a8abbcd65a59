"""A pricing user edits a rate in place in a real browser (Playwright + Debian's Chromium), in
dollars. Screenshots of the demo rate card at 1440 and 390 px go to $SCREENSHOT_DIR (default
var/screenshots) to be looked at."""

import os
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from pricing import demo, services
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
        price="2500",  # cents: $25.00
    )
    return card, rate


def test_edit_a_rate_inline_with_a_validation_error(page, login, alice, priced_card):
    card, rate = priced_card
    login("alice")
    page.click("nav.mainnav summary:has-text('Catalog')")  # the group opens
    page.click("nav.mainnav >> text=Rate cards")
    page.click("text=List prices")
    page.wait_for_url(f"**/rate-cards/{card.public_id}/")
    row = page.locator(f"#rate-{rate.public_id}")
    assert "$25.00" in row.inner_text()

    # Edit: the row becomes a form in place, the price in dollars.
    row.get_by_role("link", name="Edit").click()
    price = row.locator("input[name=price]")
    price.wait_for()
    assert price.input_value() == "25.00"

    # A negative price: the service's error renders inside that row, the row stays a form.
    price.fill("-4")
    row.get_by_role("button", name="Save").click()
    error = row.locator(".field-error")
    error.wait_for()
    assert "must not be negative" in error.inner_text()
    assert row.locator("input[name=price]").input_value() == "-4"

    # Fixed: the row swaps back to the display with the new price.
    row.locator("input[name=price]").fill("$3.75")
    row.get_by_role("button", name="Save").click()
    row.locator("input[name=price]").wait_for(state="detached")
    assert "$3.75" in row.inner_text()
    assert "must not be negative" not in page.locator("#rate-table").inner_text()
    rate.refresh_from_db()
    assert rate.price == Decimal("375")  # stored in cents, as the API has it

    # And it survives a reload.
    page.reload()
    assert "$3.75" in page.locator(f"#rate-{rate.public_id}").inner_text()


def _folder() -> Path:
    folder = Path(os.environ.get("SCREENSHOT_DIR", Path(settings.VAR_DIR) / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _shots(page, name: str) -> None:
    folder = _folder()
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)


def test_the_demo_rate_card_reads_in_dollars(page, login, alice, db):
    card = demo.rate_card(demo.catalog())
    login("alice")
    page.goto(f"/rate-cards/{card.public_id}/")
    table = page.locator("#rate-table").inner_text()
    # 300 cents per million input tokens, 0.03 cents a GB-hour, tiers of 0.1 cents a call
    for shown in ("$3.00", "$0.0003", "next 100,000 @ $0.001", "$25.00", "$30.00", "5%"):
        assert shown in table, shown
    assert "(cents)" not in page.content()
    _shots(page, "rate-card")
    row_id = page.locator("tr.rate-row", has_text="region=us-east-1").get_attribute("id")
    storage = page.locator(f"#{row_id}")
    storage.get_by_role("link", name="Edit").click()
    price = storage.locator("input[name=price]")
    price.wait_for()
    assert price.input_value() == "0.0003"  # edited in dollars, the sub-cent price kept
    page.set_viewport_size({"width": 1440, "height": 900})
    storage.screenshot(path=str(_folder() / "rate-card-edit-row-1440.png"))
