"""The contracts and customers lists in a real browser (Playwright + Debian's Chromium), as
finance ops uses them: contracts filtered to those ending within 30 days (htmx swaps the table
and puts the filter in the address), then customers sorted by this period's spend. Screenshots
at 1440 and 390 px go to $SCREENSHOT_DIR (default var/screenshots)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from billing_console.tests.screenshots import element_shots
from contracts.models import Contract
from customers.services import customer_create
from invoicing.models import Invoice
from pricing.services import credit_type_get_default, rate_card_create

pytestmark = pytest.mark.browser
DAY = timedelta(days=1)


@pytest.fixture
def book(db):
    """Contracts of four customers around now, and this period's usage statements (drafts)."""
    now, usd = timezone.now(), credit_type_get_default()
    card = rate_card_create(name="Standard 2026")
    customers = {}
    deals = [  # customer, contract, start, end (exclusive), this period's spend in USD cents
        ("Acme Corp", "Acme pilot", -60, 12, "1250075"),
        ("Globex", "Globex annual", -200, 165, "98050"),
        ("Initech", "Initech renewal", -330, 28, "431000"),
        ("Hooli", "Hooli trial", -40, -2, None),
        ("Hooli", "Hooli 2027", 20, 385, None),
    ]
    for name, contract_name, start, end, spend in deals:
        customer = customers.get(name) or customers.setdefault(name, customer_create(name=name))
        contract = Contract.objects.create(
            customer=customer, name=contract_name, rate_card=card, starting_at=now + start * DAY,
            ending_before=now + end * DAY, usage_statement_anchor=now + start * DAY,
        )  # fmt: skip
        if spend:
            Invoice.objects.create(
                customer=customer, contract=contract, credit_type=usd, type="USAGE",
                period_start=now - 5 * DAY, period_end=now + 25 * DAY, issued_at=now + 25 * DAY,
                subtotal=Decimal(spend), total=Decimal(spend),
            )  # fmt: skip
    return customers


def test_finance_filters_contracts_ending_soon_and_sorts_customers_by_spend(
    page, login, fiona, book
):
    login("fiona")
    page.goto("/contracts/")
    table = page.locator("#contract-table")
    assert table.locator("tbody tr").count() == 5
    assert "ended" in table.locator("tr", has_text="Hooli trial").inner_text()
    page.locator("select[name=ending_within]").select_option("30")
    page.wait_for_url("**/contracts/?*ending_within=30*")
    page.locator("#contract-table tbody tr").first.wait_for()
    rows = page.locator("#contract-table tbody tr")
    names = [rows.nth(i).locator("td").first.inner_text() for i in range(rows.count())]
    assert sorted(names) == ["Acme pilot", "Initech renewal"]
    assert all("ending soon" in text for text in rows.all_inner_texts())
    element_shots(page, "contracts-ending-within-30", "main")

    page.goto("/customers/")
    page.get_by_role("link", name="Spend this period").click()
    page.wait_for_url("**/customers/?sort=-spend*")
    page.locator("#customer-table th[aria-sort=descending]").wait_for()
    rows = page.locator("#customer-table tbody tr")
    names = [rows.nth(i).locator("td").first.inner_text() for i in range(rows.count())]
    assert names == ["Acme Corp", "Initech", "Globex", "Hooli"]
    spend = [rows.nth(i).locator("td").nth(3).inner_text() for i in range(rows.count())]
    assert spend == ["$12,500.75", "$4,310.00", "$980.50", "—"]
    element_shots(page, "customers-by-spend", "main")
