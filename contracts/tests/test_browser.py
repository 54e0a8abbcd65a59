"""Deal desk in a real browser (Playwright + Debian's Chromium): a contract from a package, a
commit with an error fixed inline, its status badge, and the edit history naming dave."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from billing_console.lib.periods import add_months
from contracts.models import Commit, Contract
from customers.services import customer_create
from pricing.packages import package_create
from pricing.services import product_create, rate_card_create

pytestmark = pytest.mark.browser


@pytest.fixture
def growth(db):
    card = rate_card_create(name="List prices")
    fixed = product_create(name="Platform commit", type="FIXED")
    package = package_create(data={
        "name": "Growth", "rate_card_id": str(card.public_id), "contract_name": "Growth plan",
        "credits": [{"product_id": str(fixed.public_id), "priority": 1, "name": "Welcome credit",
                     "access_schedule": {"schedule_items": [{"amount": 5000,
                         "starting_at_offset": {"unit": "MONTHS", "value": 0},
                         "duration": {"unit": "MONTHS", "value": 12}}]}}],
    })  # fmt: skip
    customer_create(name="Acme Robotics", ingest_aliases=["acme"])
    return package


def _commit_form(page):
    return page.locator("#commit-form")


def test_deal_desk_creates_from_a_package_and_fixes_a_commit_inline(page, login, dave, growth):
    login("dave")
    page.click("nav.mainnav summary:has-text('Billing')")  # the group opens
    page.click("nav.mainnav >> text=Contracts")
    page.click("text=New contract")
    page.select_option("#id_customer", label="Acme Robotics")
    page.select_option("#id_source", label="Package: Growth")
    page.select_option("#id_start", "this_month")
    page.select_option("#id_duration", "12")
    today = datetime.now(UTC).date()
    start = datetime(today.year, today.month, 1, tzinfo=UTC)
    end = add_months(start, 12)
    # The preview follows the presets (htmx) before anything is saved.
    page.wait_for_function(
        "text => document.querySelector('#date-preview').textContent.includes(text)",
        arg=f"Starts {start:%b} {start.day}, {start.year}",
    )
    assert f"ends before {end:%b} {end.day}, {end.year}" in page.inner_text("#date-preview")
    page.click("button:has-text('Create contract')")
    page.wait_for_url("**/contracts/*-*/")
    contract = Contract.objects.get(package=growth)
    assert (contract.starting_at, contract.ending_before) == (start, end)
    assert page.inner_text("h1") == "Growth plan"
    assert "Welcome credit" in page.inner_text("#commits")  # the package's credit came along

    # A commit whose access ends before it starts: the error shows beside the field, in place.
    form = _commit_form(page)
    form.locator("select[name=kind]").select_option("PREPAID")
    form.locator("input[name=name]").fill("Annual commit")
    form.locator("input[name=amount]").fill("1200")
    form.locator("input[name=starting_at]").fill(start.date().isoformat())
    form.locator("input[name=ending_before]").fill(add_months(start, -1).date().isoformat())
    form.locator("input[name=priority]").fill("2")
    form.get_by_role("button", name="Add").click()
    error = _commit_form(page).locator(".field-error")
    error.wait_for()
    assert error.inner_text() == "Must be after the start date."
    assert _commit_form(page).locator("input[name=name]").input_value() == "Annual commit"
    assert not Commit.objects.filter(name="Annual commit").exists()

    # Fixed inline: the page comes back with the commit and its badge.
    _commit_form(page).locator("input[name=ending_before]").fill(end.date().isoformat())
    _commit_form(page).get_by_role("button", name="Add").click()
    page.locator("#messages >> text=Contract updated.").wait_for()
    row = page.locator("#commits tbody.item", has_text="Annual commit")
    assert row.locator(".badge").inner_text() == "active"
    assert "$1,200.00" in row.inner_text()
    commit = Commit.objects.get(name="Annual commit")
    assert commit.segments.get().amount == Decimal("120000")  # cents

    # The edit history: dave added it.
    page.click("text=Full edit history")
    page.wait_for_url("**/history")
    entry = page.locator(".edit-history tbody tr").first
    assert entry.locator(".edit-actor").inner_text() == "dave"
    assert "Added commit: Annual commit (prepaid, $1,200.00)" in entry.inner_text()
