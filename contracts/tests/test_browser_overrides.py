"""Overrides in a real browser (Playwright + Debian's Chromium): deal desk adds "20% off" and a
new unit price of $0.0025 on the contract page. The form shows only the chosen type's field
(CSS, no script) and keeps what was typed when the type changes; an error shows beside the
field; the table lists the terms in words. Screenshots at 1440 and 390 px go to
$SCREENSHOT_DIR (default var/screenshots)."""

from decimal import Decimal

import pytest

from billing_console.tests.screenshots import element_shots
from contracts.models import Override
from contracts.tests.factories import console_world

pytestmark = pytest.mark.browser


@pytest.fixture
def world(db):
    return console_world()


def _open_add_form(page):
    page.locator("#overrides summary", has_text="Add an override").click()
    form = page.locator("#override-form")
    form.wait_for()  # loaded when the details opens (?form=override-form)
    return form


def _visible(form) -> dict[str, bool]:
    return {
        name: form.locator(f"[name={name}]").is_visible()
        for name in ("percent_off", "multiplier", "price")
    }


def test_deal_desk_adds_percent_off_and_a_sub_cent_price(page, login, dave, world):
    login("dave")
    page.goto(f"/contracts/{world.contract.public_id}/")
    form = _open_add_form(page)
    assert _visible(form) == {"percent_off": True, "multiplier": False, "price": False}
    form.locator("select[name=product]").select_option(label="Calls")
    form.locator("input[name=percent_off]").fill("120")
    form.locator("input[name=starting_at]").fill("2026-02-01")
    form.get_by_role("button", name="Add override").click()
    error = page.locator("#override-form .field-error")
    error.wait_for()
    assert error.inner_text() == "At most 100% off. For a markup, choose a multiplier."
    element_shots(page, "contract-override-error", "#overrides")

    form = page.locator("#override-form")
    form.locator("input[name=percent_off]").fill("20% off")
    element_shots(page, "contract-override-percent-off", "#overrides")
    with page.expect_navigation():
        form.get_by_role("button", name="Add override").click()
    assert Override.objects.get().multiplier == Decimal("0.8")
    row = page.locator("#overrides tbody.item").first
    assert "20% off list" in row.inner_text() and "× 0.8" in row.inner_text()  # noqa: RUF001

    # A new unit price: choosing the type swaps the field shown, no request made.
    form = _open_add_form(page)
    form.locator("select[name=type]").select_option("OVERWRITE")
    assert _visible(form) == {"percent_off": False, "multiplier": False, "price": True}
    form.locator("select[name=product]").select_option(label="Calls")
    form.locator("input[name=price]").fill("$0.0025")
    form.locator("input[name=starting_at]").fill("2026-03-01")
    element_shots(page, "contract-override-new-price", "#overrides")
    with page.expect_navigation():
        form.get_by_role("button", name="Add override").click()
    price = Override.objects.get(type="OVERWRITE")
    assert price.overwrite_rate == {"rate_type": "FLAT", "price": "0.25"}  # USD cents
    assert "New unit price $0.0025" in page.inner_text("#overrides")

    # The edit form comes back in the terms typed: 20 (percent off), $0.0025.
    first = page.locator("#overrides tbody.item", has_text="20% off list")
    first.locator("summary", has_text="Edit").click()
    edit = first.locator("form")
    assert edit.locator("select[name=type]").input_value() == "PERCENT_OFF"
    assert edit.locator("input[name=percent_off]").input_value() == "20"
    edit.locator("select[name=type]").select_option("MULTIPLIER")
    assert edit.locator("input[name=multiplier]").input_value() == "0.8"
    edit.locator("select[name=type]").select_option("PERCENT_OFF")
    element_shots(page, "contract-override-edit", "#overrides")
    page.locator("#overrides summary", has_text="Edit").first.click()  # closed again
    element_shots(page, "contract-overrides", "#overrides")
