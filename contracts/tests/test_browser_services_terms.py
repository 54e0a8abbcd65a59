"""Discounts and professional services in a real browser (Playwright + Debian's Chromium): an
admin adds a one-off and a monthly discount and a professional service on the contract page,
invoices some hours (the invoice opens), is stopped inline at the service's maximum, and sees
what is left. Screenshots at 1440 and 390 px go to $SCREENSHOT_DIR (default var/screenshots)."""

import os
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from billing_console.templatetags.money import format_money
from contracts.models import Discount, ProServiceInvoiceItem
from contracts.services import contract_create
from customers.services import customer_create
from invoicing.models import Invoice
from pricing.services import credit_type_get_default, product_create, rate_card_create

pytestmark = pytest.mark.browser


def _shots(page, name: str, selector: str | None = None) -> None:
    folder = Path(os.environ.get("SCREENSHOT_DIR", Path(settings.VAR_DIR) / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        path = str(folder / f"{name}-{width}.png")
        if selector:
            page.locator(selector).screenshot(path=path)
        else:
            page.screenshot(path=path, full_page=True)
    page.set_viewport_size({"width": 1440, "height": 900})


@pytest.fixture
def contract(db):
    card = rate_card_create(name="List prices")
    platform = product_create(name="Platform", type="FIXED")
    product_create(name="Implementation hours", type="PRO_SERVICE")
    customer = customer_create(name="Acme Robotics", ingest_aliases=["acme"])
    return contract_create(customer=customer, data={
        "name": "Acme 2026", "starting_at": "2026-01-01T00:00:00Z",
        "ending_before": "2027-01-01T00:00:00Z", "rate_card_id": str(card.public_id),
        "scheduled_charges": [{"product_id": str(platform.public_id), "name": "Setup fee",
                               "schedule": {"schedule_items": [
                                   {"timestamp": "2026-02-01T00:00:00Z", "amount": 150000}]}}],
    })  # fmt: skip


def _submit(page, form, button: str) -> None:
    """Submit an add form; applied, the page reloads (htmx's HX-Redirect) with a message."""
    with page.expect_navigation():
        form.get_by_role("button", name=button).click()
    page.locator("#messages >> text=Contract updated.").wait_for()


def _open(page, summary: str):
    page.locator("summary", has_text=summary).click()


def test_admin_adds_discounts_and_invoices_a_pro_service(page, login, alice, contract):
    login("alice")
    page.goto(f"/contracts/{contract.public_id}/")
    _open(page, "Add a discount")
    form = page.locator("#discount-form")
    form.locator("select[name=product]").select_option(label="Platform")
    form.locator("input[name=name]").fill("Launch discount")
    form.locator("input[name=amount]").fill("250")
    form.locator("input[name=first_date]").fill("2026-02-01")
    _submit(page, form, "Add discount")

    _open(page, "Add a discount")
    form = page.locator("#discount-form")
    form.locator("select[name=product]").select_option(label="Platform")
    form.locator("input[name=name]").fill("Loyalty")
    form.locator("input[name=amount]").fill("20")
    form.locator("input[name=first_date]").fill("2026-03-01")
    form.locator("input[name=months]").fill("3")
    _shots(page, "contract-add-discount", "#discounts")
    _submit(page, form, "Add discount")
    assert Discount.objects.get(name="Loyalty").items.count() == 3
    assert page.locator("#discounts tbody.item").count() == 2

    _open(page, "Add a professional service")
    form = page.locator("#pro-service-form")
    form.locator("select[name=product]").select_option(label="Implementation hours")
    form.locator("input[name=description]").fill("Implementation")
    form.locator("input[name=unit_price]").fill("175.50")
    form.locator("input[name=quantity]").fill("40")
    form.locator("input[name=max_amount]").fill("7020")
    _shots(page, "contract-add-pro-service", "#pro-services")
    _submit(page, form, "Add service")

    # Invoice 12.5 hours: the draft invoice it went on opens.
    row = page.locator("#pro-services tbody.item", has_text="Implementation")
    row.locator("summary", has_text="Invoice").click()
    row.locator("input[name=issued_on]").fill("2026-03-02")
    row.locator("input[name=quantity]").fill("12.5")
    row.locator("input[name=note]").fill("PO 4471, weeks 8-9")
    row.get_by_role("button", name="Invoice").click()
    page.wait_for_url("**/invoices/*-*/")
    line = page.locator("tr", has_text="Implementation")
    assert "professional service" in line.locator(".badge").inner_text()
    assert "PO 4471, weeks 8-9" in line.inner_text()
    invoice = Invoice.objects.get(type="SCHEDULED", period_start=datetime(2026, 3, 2, tzinfo=UTC))
    assert invoice.total == Decimal(219375)  # $2,193.75
    _shots(page, "pro-services-invoice")

    # 30 more hours would pass the $7,020.00 maximum: stopped beside the quantity.
    page.goto(f"/contracts/{contract.public_id}/")
    row = page.locator("#pro-services tbody.item", has_text="Implementation")
    row.locator("summary", has_text="Invoice").click()
    row.locator("input[name=issued_on]").fill("2026-03-09")
    row.locator("input[name=quantity]").fill("30")
    row.get_by_role("button", name="Invoice").click()
    error = row.locator(".form-errors")
    error.wait_for()
    left = format_money(Decimal(482625), credit_type_get_default())  # $4,826.25
    assert f"{left} is left to invoice." in error.inner_text()
    assert ProServiceInvoiceItem.objects.count() == 1
    _shots(page, "contract-services-terms-error", "#pro-services")

    page.goto(f"/contracts/{contract.public_id}/")
    assert "left" in page.inner_text("#pro-services")
    _shots(page, "contract-services-terms")
    page.locator("#discounts").scroll_into_view_if_needed()
    _shots(page, "contract-discounts", "#discounts")
    # The February scheduled invoice: the setup fee less the launch discount.
    feb = Invoice.objects.get(type="SCHEDULED", period_start=datetime(2026, 2, 1, tzinfo=UTC))
    assert feb.total == Decimal(125000)  # $1,500.00 - $250.00
    page.goto(f"/invoices/{feb.public_id}/")
    assert (
        page.locator("tr", has_text="Launch discount").locator(".badge").inner_text() == "discount"
    )
    _shots(page, "discount-invoice")
