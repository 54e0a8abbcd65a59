"""Customer-level commits in a real browser (Playwright + Debian's Chromium): finance opens the
customer page, follows the overview's "Add commit or credit", is refused "$5,000.005" beside
the amount, then adds a $5,000.00 prepaid commit on all contracts and sees it in the card's
table and in the overview's balances (reloaded, no page load). Screenshots at 1440 and 390 px
go to $SCREENSHOT_DIR (default var/screenshots)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine

from billing_console.tests.screenshots import element_shots
from contracts.models import Commit
from contracts.tests.factories import console_world

pytestmark = pytest.mark.browser
NOW = datetime(2026, 6, 15, 12, tzinfo=UTC)  # within the commit's access: Jan 1, 2026 – 2027


@pytest.fixture
def world(db):
    return console_world()


def test_finance_adds_a_prepaid_customer_level_commit(page, login, fiona, world):
    with time_machine.travel(NOW, tick=True):
        login("fiona")
        page.goto(f"/customers/{world.customer.public_id}/")
        page.locator("#customer-commits table").wait_for()  # the card is loaded by htmx
        page.locator("#overview-balances").wait_for()
        assert "No customer-level commits or credits." in page.inner_text("#customer-commits")

        # The overview's quick action opens the form (a link to it: the details open).
        page.get_by_role("link", name="Add commit or credit").click()
        form = page.locator("#customer-commit-form")
        form.wait_for(state="visible")
        assert form.locator("select[name=invoice_contract]").input_value() == str(
            world.contract.public_id
        )  # the customer's only contract: its purchase is invoiced there

        form.locator("input[name=name]").fill("Annual prepay")
        form.locator("select[name=product]").select_option(label="Prepaid commit")
        form.locator("input[name=priority]").fill("1")
        form.locator("input[name=amount]").fill("$5,000.005")
        form.locator("input[name=starting_at]").fill("2026-01-01")
        form.locator("input[name=ending_before]").fill("2027-01-01")
        element_shots(page, "customer-commit-form", "#customer-commits")
        form.get_by_role("button", name="Add commit or credit").click()
        error = page.locator("#customer-commit-form .has-error .field-error")
        error.wait_for()
        assert 'name="amount"' in error.locator("xpath=..").inner_html()  # beside the amount
        assert Commit.objects.count() == 0
        element_shots(page, "customer-commit-error", "#customer-commits")

        form = page.locator("#customer-commit-form")
        form.locator("input[name=amount]").fill("$5,000.00")
        form.get_by_role("button", name="Add commit or credit").click()
        page.get_by_text("Commit “Annual prepay” added.").wait_for()
        commit = Commit.objects.get()
        assert commit.contract is None and commit.segments.get().amount == Decimal(500_000)
        row = page.locator("#customer-commits tbody.item").first
        text = row.inner_text()
        assert "Annual prepay" in text and "$5,000.00" in text and "All contracts" in text

        # The overview reloads on the card's event: the balance is there, customer-level.
        balance = page.locator(f"#overview-balances #balance-{commit.public_id}")
        balance.wait_for()
        assert "Customer-level" in balance.inner_text() and "$5,000.00" in balance.inner_text()
        assert "$5,000.00" in page.inner_text("#kpi-remaining")
        element_shots(page, "customer-commits", "#customer-commits")
        element_shots(page, "customer-commit-overview", "#overview-balances")
        element_shots(page, "customer-commit-page", "main.page")
