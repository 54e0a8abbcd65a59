"""Deal desk moves a contract's end in a real browser (Playwright + Debian's Chromium): the
review lists the charges removed and the commit access cut, in dollars, before anything
changes; Confirm applies it and the edit history says what was trimmed. Screenshots at 1440
and 390 px go to $SCREENSHOT_DIR (default var/screenshots) to be looked at."""

import os
from pathlib import Path

import pytest
import time_machine
from django.conf import settings

from contracts.models import ScheduledChargeItem
from contracts.tests.end_date_world import END, NOW, trim_world

pytestmark = pytest.mark.browser


def _shots(page, name: str) -> None:
    folder = Path(os.environ.get("SCREENSHOT_DIR", Path(settings.VAR_DIR) / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1440, "height": 900})


@pytest.fixture
def tw(db):
    return trim_world()


def test_end_date_review_lists_what_goes_before_it_applies(page, login, dave, tw):
    with time_machine.travel(NOW, tick=True):
        login("dave")
        page.goto(f"/contracts/{tw.contract.public_id}/")
        page.click("summary:has-text('Edit name or end date')")
        page.fill("#terms-form input[name=ending_before]", END.date().isoformat())
        page.click("#terms-form button:has-text('Save')")
        review = page.locator("section#end-date-preview")
        review.wait_for()
        text = review.inner_text()
        # Nothing has changed yet.
        assert ScheduledChargeItem.objects.count() == 5
        tw.contract.refresh_from_db()
        assert tw.contract.ending_before is None

        assert "Review: end the contract before Mar 15, 2026" in text
        assert "No longer to be invoiced $10,500.50" in text  # $4,500.50 of charges, $6,000 commit
        charges = review.locator("table").nth(0).inner_text()
        for row in ("Platform fee\tApr 1, 2026\t$1,000.00", "Onboarding\tApr 15, 2026\t$2,500.50",
                    "Platform fee\tMay 1, 2026\t$1,000.00", "Total removed\t$4,500.50"):  # fmt: skip
            assert row in charges
        assert (
            "Annual commit\tJul 1, 2026\t$6,000.00" in review.locator("table").nth(1).inner_text()
        )
        access = review.locator("table").nth(2).inner_text()
        assert "Cut: access ends Mar 15, 2026" in access and "$12,000.00" in access
        assert "Q2 credit" in access and "Removed" in access
        assert "Q2 credit has no access left" in text
        drafts = review.locator("table").nth(3).inner_text()
        assert "shortened" in drafts and "voided" in drafts
        _shots(page, "contract-end-date-review")

        page.click("#end-date-preview button:has-text('End before Mar 15, 2026')")
        page.locator("#messages >> text=Contract updated.").wait_for()
        assert "Mar 15, 2026 (exclusive)" in page.inner_text(".page-head")
        charges_now = page.inner_text("#charges")
        assert "Apr 1, 2026" not in charges_now and "Onboarding" not in charges_now
        page.click("text=Full edit history")
        page.wait_for_url("**/history")
        entry = page.locator(".edit-history tbody tr").first
        assert entry.locator(".edit-actor").inner_text() == "dave"
        words = entry.inner_text()
        assert "Scheduled charge Onboarding of Apr 15, 2026 removed ($2,500.50)" in words
        assert "Access of Annual commit now ends Mar 15, 2026 (was Jan 1, 2027)" in words
        _shots(page, "contract-end-date-history")
    assert ScheduledChargeItem.objects.count() == 2
