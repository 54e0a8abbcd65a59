"""A finance user changes a price from a date in one step, in a real browser (Playwright +
Debian's Chromium): dates picked, tiers as rows added and removed, "2,500" accepted, what will
change shown before saving. Screenshots at 1440 and 390 px go to $SCREENSHOT_DIR."""

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings

from pricing import services
from pricing.models import Rate
from usage.services import billable_metric_create

pytestmark = pytest.mark.browser
JAN_2027 = datetime(2027, 1, 1, tzinfo=UTC)


@pytest.fixture
def storage_card(db):
    metric = billable_metric_create(name="Storage GB-hours", aggregation_type="SUM",
                                    aggregation_key="gb")  # fmt: skip
    storage = services.product_create(name="Storage", type="USAGE", billable_metric=metric)
    seats = services.product_create(name="Seats", type="SUBSCRIPTION")
    services.product_create(name="Egress", type="USAGE", billable_metric=metric)
    card = services.rate_card_create(name="List prices")
    start = datetime(2025, 1, 1, tzinfo=UTC)
    rate = services.rate_add(
        rate_card=card, product=storage, starting_at=start, rate_type="FLAT", price="10"
    )
    services.rate_add(
        rate_card=card, product=seats, starting_at=start, rate_type="SUBSCRIPTION", price="2500"
    )
    return card, rate


def _shots(page, name: str) -> None:
    """Full-page screenshots at 1440 and 390 px; at 390 nothing scrolls sideways."""
    folder = Path(os.environ.get("SCREENSHOT_DIR", Path(settings.VAR_DIR) / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
        wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert wide <= 0, f"{name} scrolls sideways by {wide}px at {width}px"
    page.set_viewport_size({"width": 1440, "height": 900})


def test_change_price_to_tiers_from_a_date_in_one_step(page, login, alice, storage_card):
    card, rate = storage_card
    login("alice")
    page.goto(f"/rate-cards/{card.public_id}/")
    row = page.locator(f"#rate-{rate.public_id}")
    name = row.get_by_role("link", name="Storage")
    assert name.get_attribute("title").startswith("Billable metric: Storage GB-hours — SUM of gb")

    row.get_by_role("link", name="Change price").click()
    page.wait_for_url(f"**/rates/{rate.public_id}/change")
    assert page.locator("input[name=starting_at]").get_attribute("type") == "date"
    page.fill("input[name=starting_at]", "2027-01-01")
    page.select_option("select[name=rate_type]", "TIERED")
    assert not page.locator("input[name=price]").is_visible()  # a tiered rate has no one price
    page.fill("input[name=tier_size]", "2,500")
    page.fill("input[name=tier_price]", "0.10")
    page.fill("input[name=tier_price_1]", "0.09")
    page.get_by_role("button", name="+ Add a tier").click()
    page.locator("input[name=tier_price_2]").wait_for()
    page.fill("input[name=tier_size_1]", "10,000")
    page.fill("input[name=tier_price_2]", "0.05")
    page.get_by_role("button", name="+ Add a tier").click()
    page.get_by_role("button", name="Remove tier 4").click()  # one too many: removed
    page.locator("input[name=tier_price_3]").wait_for(state="detached")
    _shots(page, "rate-change-form")

    page.get_by_role("button", name="Review change", exact=True).last.click()
    summary = page.locator("#change-summary")
    summary.wait_for()
    text = summary.inner_text()
    assert (
        "Storage: $0.10 per unit → tiers next 2,500 @ $0.10; next 10,000 @ $0.09; rest @ $0.05"
        in text
    )
    assert "from Jan 1, 2027" in text and "ends Jan 1, 2027" in text
    assert Rate.objects.count() == 2  # shown, not saved
    _shots(page, "rate-change-review")

    page.get_by_role("button", name="Confirm change").click()
    page.wait_for_url(f"**/rate-cards/{card.public_id}/")
    new = Rate.objects.get(starting_at=JAN_2027)
    assert new.tiers == [
        {"size": "2500", "price": "10"},
        {"size": "10000", "price": "9"},
        {"price": "5"},
    ]
    rate.refresh_from_db()
    assert rate.ending_before == JAN_2027
    table = page.locator("#rate-table").inner_text()
    assert "next 2,500 @ $0.10" in table and "rest @ $0.05" in table
    _shots(page, "rate-card-after-change")


def test_tier_rows_in_the_add_form_and_search_in_the_card(page, login, alice, storage_card):
    card, _rate = storage_card
    login("alice")
    page.goto(f"/rate-cards/{card.public_id}/")
    form = page.locator("#rate-add-form")
    form.locator("select[name=product]").select_option(label="Egress")
    form.locator("input[name=starting_at]").fill("2030-01-01")
    form.locator("select[name=rate_type]").select_option("TIERED")
    form.locator("input[name=tier_size]").fill("1,000")
    form.locator("input[name=tier_price]").fill("0.02")
    form.get_by_role("button", name="+ Add a tier").click()
    page.locator("#rate-add-form input[name=tier_price_2]").wait_for()
    page.locator("#rate-add-form input[name=tier_price_1]").fill("0.01")
    folder = Path(os.environ.get("SCREENSHOT_DIR", Path(settings.VAR_DIR) / "screenshots"))
    page.locator("#rate-add-form").screenshot(path=str(folder / "rate-add-tiers-1440.png"))
    page.locator("#rate-add-form").get_by_role("button", name="Add rate", exact=True).last.click()
    page.locator("#rate-table", has_text="next 1,000 @ $0.02").wait_for()
    added = Rate.objects.get(starting_at=datetime(2030, 1, 1, tzinfo=UTC))
    assert added.tiers == [{"size": "1000", "price": "2"}, {"price": "1"}]

    page.fill("input[name=q]", "sea")
    page.wait_for_function("!document.querySelector('#rate-table').innerText.includes('Storage')")
    assert "Seats" in page.locator("#rate-table").inner_text()
    assert "Filters applied" in page.locator("#rate-table").inner_text()


def test_tier_rows_in_the_edit_row(page, login, alice, storage_card):
    card, rate = storage_card
    login("alice")
    page.goto(f"/rate-cards/{card.public_id}/")
    row = page.locator(f"#rate-{rate.public_id}")
    row.get_by_role("link", name="Edit").click()
    row.locator("select[name=rate_type]").wait_for()
    row.locator("select[name=rate_type]").select_option("TIERED")
    row.locator("input[name=tier_size]").fill("2,500")
    row.locator("input[name=tier_price]").fill("0.10")
    row.get_by_role("button", name="+ Add a tier").click()
    page.locator(f"#rate-{rate.public_id} input[name=tier_price_2]").wait_for()
    row.locator("input[name=tier_size_1]").fill("1,000.50")
    row.locator("input[name=tier_price_1]").fill("0.08")
    row.locator("input[name=tier_price_2]").fill("0.05")
    folder = Path(os.environ.get("SCREENSHOT_DIR", Path(settings.VAR_DIR) / "screenshots"))
    row.screenshot(path=str(folder / "rate-edit-tiers-1440.png"))
    row.get_by_role("button", name="Save", exact=True).last.click()
    row.locator("select[name=rate_type]").wait_for(state="detached")
    rate.refresh_from_db()
    assert rate.starting_at == datetime(2025, 1, 1, tzinfo=UTC)  # edit keeps the start
    assert rate.tiers == [
        {"size": "2500", "price": "10"},
        {"size": "1000.50", "price": "8"},
        {"price": "5"},
    ]
    assert "next 1,000.5 @ $0.08" in row.inner_text()
