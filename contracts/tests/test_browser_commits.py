"""A commit with several schedule items in a real browser (Playwright + Debian's Chromium): deal
desk adds $6,000.00 for each half of next year, billed in two invoices, paying for one product,
with 50% rollover; rows are added with buttons (htmx), a bad row's error shows beside that row's
field, and the commits table tells the terms in words. Screenshots at 1440 and 390 px go to
$SCREENSHOT_DIR (default var/screenshots)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from billing_console.tests.screenshots import element_shots
from contracts.models import Commit
from contracts.tests.factories import console_world

pytestmark = pytest.mark.browser
YEAR = datetime.now(UTC).year + 1  # next year: the commit is upcoming, shown whenever this runs


@pytest.fixture
def world(db):
    return console_world()


def _fill_row(form, suffix: str, values: dict[str, str]) -> None:
    for name, value in values.items():
        form.locator(f"input[name={name}{suffix}]").fill(value)


def test_deal_desk_adds_two_halves_billed_in_two_invoices(page, login, dave, world):
    login("dave")
    page.goto(f"/contracts/{world.contract.public_id}/")
    form = page.locator("#commit-form")
    form.locator("input[name=name]").fill("Platform commit")
    form.locator("select[name=product]").select_option(label="Prepaid commit")
    form.locator("input[name=priority]").fill("1")
    _fill_row(form, "", {"amount": "$6,000.00", "starting_at": f"{YEAR}-01-01",
                         "ending_before": f"{YEAR}-07-01"})  # fmt: skip
    form.get_by_role("button", name="Another access item").click()
    page.locator("#commit-form input[name=amount_1]").wait_for()  # the form came back (htmx)
    form = page.locator("#commit-form")
    assert form.locator("input[name=amount]").input_value() == "$6,000.00"  # kept as typed
    # A slip in the second row's end (before its start): fixed once the form says so.
    _fill_row(form, "_1", {"amount": "$6,000.00", "starting_at": f"{YEAR}-07-01",
                           "ending_before": f"{YEAR}-06-01"})  # fmt: skip
    _fill_row(form, "", {"invoice_amount": "$6,000.00", "invoice_date": f"{YEAR}-01-01"})
    form.get_by_role("button", name="Another invoice item").click()
    page.locator("#commit-form input[name=invoice_amount_1]").wait_for()
    form = page.locator("#commit-form")
    _fill_row(form, "_1", {"invoice_amount": "$6,000.00", "invoice_date": f"{YEAR}-07-01"})
    form.get_by_label("Calls").check()
    form.locator("input[name=rollover]").fill("50%")
    form.get_by_role("button", name="Add", exact=True).click()

    error = page.locator("#commit-form .field.has-error .field-error")
    error.wait_for()
    assert error.inner_text() == "Must be after the start date."
    assert page.locator("#commit-form .field.has-error input").get_attribute("name") == (
        "ending_before_1"
    )
    assert not Commit.objects.exists()
    element_shots(page, "contract-commit-rows-error", "#commit-form")

    form = page.locator("#commit-form")
    form.locator("input[name=ending_before_1]").fill(f"{YEAR + 1}-01-01")
    element_shots(page, "contract-commit-rows", "#commit-form")
    with page.expect_navigation():
        form.get_by_role("button", name="Add", exact=True).click()

    commit = Commit.objects.get()
    assert [s.amount for s in commit.segments.order_by("starting_at")] == [Decimal(600000)] * 2
    assert [i.amount for i in commit.invoice_items.all()] == [Decimal(600000)] * 2
    assert commit.rollover_fraction == Decimal("0.5")
    row = page.locator("#commits tbody.item", has_text="Platform commit").inner_text()
    assert f"$6,000.00 · Jan 1, {YEAR} – Jul 1, {YEAR}" in row
    assert f"$6,000.00 · Jul 1, {YEAR} – Jan 1, {YEAR + 1}" in row
    assert "Pays for Calls · 50% of the unused balance rolls over" in row
    assert f"Invoiced $6,000.00 on Jan 1, {YEAR}, $6,000.00 on Jul 1, {YEAR}" in row
    element_shots(page, "contract-commit-rows-table", "#commits")
