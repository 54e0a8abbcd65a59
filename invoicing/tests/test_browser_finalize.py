"""Finance ops finalizing a statement before its period ends, in a real browser (Playwright +
Debian's Chromium): the button opens a confirmation that names the two invoices the period
becomes, refuses a period typed wrong, and finalizes the one typed right; void says what it
gives back. Screenshots at 1440 and 390 px go to $SCREENSHOT_DIR (default var/screenshots)."""

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings

from invoicing.models import Invoice
from invoicing.services import contract_invoices_refresh
from invoicing.tests.factories import priced_world, send_calls
from pricing.services import product_create

pytestmark = pytest.mark.browser

DEC = datetime(2026, 12, 1, tzinfo=UTC)
NOW = datetime(2026, 12, 4, 10, 30, tzinfo=UTC)
LABEL = "Dec 1, 2026 - Dec 3, 2026"


def _shots(page, name: str) -> None:
    folder = Path(os.environ.get("SCREENSHOT_DIR", Path(settings.VAR_DIR) / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1440, "height": 900})


@pytest.fixture
def december(db):
    with time_machine.travel(NOW, tick=True):
        fixed = product_create(name="Prepaid", type="FIXED")
        world = priced_world(price=250, contract_extra={
            "starting_at": DEC.isoformat(),
            "commits": [{"type": "PREPAID", "name": "Annual commit", "product_id": str(fixed.public_id),
                         "access_schedule": {"schedule_items": [{
                             "amount": 1000, "starting_at": DEC.isoformat(),
                             "ending_before": "2027-12-01T00:00:00Z"}]}}],
        })  # fmt: skip
        send_calls(6, DEC + timedelta(hours=12))
        send_calls(4, DEC + timedelta(days=3, hours=2))  # after the cut-off
        contract_invoices_refresh(contract=world.contract)
        yield world, Invoice.objects.get(contract=world.contract, type="USAGE", period_start=DEC)


def test_finalizing_an_open_period_takes_the_period_typed(page, login, fiona, december):
    world, draft = december
    with time_machine.travel(NOW + timedelta(minutes=1), tick=True):
        login("fiona")
        page.goto(f"/invoices/{draft.public_id}/")
        assert "Period open until Jan 1, 2027" in page.inner_text(".page-head")
        page.click("text=Finalize early…")
        panel = page.locator("section.confirm-card")
        panel.wait_for()
        text = panel.inner_text()
        assert "Dec 1 – Dec 2, 2026" in text  # this invoice
        assert "Dec 3 – Dec 31, 2026" in text  # the new draft
        assert "draws $10.00 from Annual commit (prepaid commit)" in text
        _shots(page, "finalize-early-confirm")

        page.fill("#confirm-period", "December")
        page.click(f"button:has-text('Finalize {LABEL}')")
        page.locator("#confirm-period-error").wait_for()
        assert "That is not the period" in page.inner_text("#confirm-period-error")
        _shots(page, "finalize-early-wrong-period")
        assert Invoice.objects.get(pk=draft.pk).status == "DRAFT"

        page.fill("#confirm-period", LABEL)
        page.click(f"button:has-text('Finalize {LABEL}')")
        page.wait_for_selector("text=Finalized before its period ended")
        assert "finalized for Dec 1, 2026 - Dec 3, 2026" in page.inner_text("#messages")
        _shots(page, "finalize-early-done")

        page.click("text=Void…")
        page.locator("section.confirm-card").wait_for()
        void = page.inner_text("section.confirm-card")
        assert "$10.00 is given back to Annual commit (prepaid commit)" in void
        _shots(page, "finalize-early-void-confirm")
    rest = Invoice.objects.get(
        contract=world.contract, type="USAGE", period_start=DEC + timedelta(days=2)
    )
    assert (rest.status, rest.subtotal) == ("DRAFT", 1000)  # 4 calls after the cut-off, $10.00


def test_a_period_that_cannot_be_cut_says_why(page, login, fiona, december):
    from pricing.models import Rate
    from pricing.services import rate_add

    world, draft = december
    Rate.objects.filter(pk=world.rate.pk).delete()
    rate_add(rate_card=world.rate_card, product=world.product, starting_at=DEC, rate_type="TIERED",
             tiers=[{"size": 100, "price": 250}, {"price": 200}])  # fmt: skip
    with time_machine.travel(NOW + timedelta(minutes=1), tick=True):
        login("fiona")
        page.goto(f"/invoices/{draft.public_id}/")
        page.click("text=Finalize early…")
        panel = page.locator("section.confirm-card")
        panel.wait_for()
        assert "cannot be finalized early" in panel.inner_text()
        assert "Calls is priced in tiers over the whole period" in panel.inner_text()
        assert page.locator("#confirm-period").count() == 0
        _shots(page, "finalize-early-refused")
