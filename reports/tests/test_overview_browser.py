"""A finance user answers "how much has Acme spent this month, and what is left on its commit?"
from the customer page alone, in a real browser (Playwright + Debian's Chromium). Screenshots at
1440 and 390 px go to $SCREENSHOT_DIR (default var/screenshots) to be looked at."""

import os
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.conf import settings

from billing_console.templatetags.money import format_money
from pricing.services import credit_type_get_default
from reports.tests.overview_world import NOW, acme_world

pytestmark = pytest.mark.browser


def _shots(page, name: str) -> None:
    folder = Path(os.environ.get("SCREENSHOT_DIR", Path(settings.VAR_DIR) / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
        # Nothing sticks out of the page at this width (wide charts and tables scroll inside
        # their own box; the top bar's sections scroll sideways).
        overflow = page.evaluate(
            "() => [...document.querySelectorAll('main *')]"
            ".filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1"
            " && !e.closest('.chart-scroll, .table-scroll, details:not([open])'))"
            ".map(e => e.outerHTML.slice(0, 80))"
        )
        assert overflow == [], (width, overflow)


@pytest.fixture
def acme(db):
    with time_machine.travel(NOW, tick=True):
        yield acme_world()


def test_finance_finds_this_months_spend_and_the_commits_remaining_balance(
    page, login, fiona, acme
):
    usd = lambda cents: format_money(Decimal(cents), credit_type_get_default())  # noqa: E731
    login("fiona")
    page.goto(f"/customers/{acme.world.customer.public_id}/")
    spend = page.locator("#kpi-this-period")
    spend.wait_for()  # loaded with htmx after the page
    assert usd(10_000) in spend.inner_text()  # 4 calls at $25
    assert "Mar 1 – Mar 31, 2026" in spend.inner_text()
    commit = page.locator(f"#balance-{acme.commit.public_id}")
    assert "Annual commit" in commit.inner_text()
    assert commit.locator(".remaining").inner_text() == usd(75_000)  # $1,000 - $150 - $100
    assert f"of {usd(100_000)}" in commit.inner_text()
    _shots(page, "customer-overview")

    page.set_viewport_size({"width": 1440, "height": 900})
    page.click("#overview-chart a:text('Per day')")
    bar = page.locator('#overview-chart g.bar[data-day="2026-03-05"] title')
    bar.wait_for(state="attached")
    assert bar.text_content() == f"Mar 5, 2026: {usd(5_000)}"
    _shots(page, "customer-overview-per-day")
