"""Threshold billing and auto-recharge in a real browser (Playwright + Debian's Chromium):
finance turns on "bill when unbilled usage reaches $1,000.00" behind a Stripe payment gate and
an auto-recharge to $1,000.00 below $200.00, on the contract page, and reads both back in words.
The Stripe fields show only with the Stripe gate (CSS, no script); an error shows beside its
field. Screenshots at 1440 and 390 px go to $SCREENSHOT_DIR (default var/screenshots)."""

import pytest

from billing_console.tests.screenshots import element_shots
from contracts.models import Contract
from contracts.tests.factories import console_world

pytestmark = pytest.mark.browser


@pytest.fixture
def world(db):
    return console_world()


def test_finance_turns_on_threshold_billing_and_auto_recharge(page, login, fiona, world):
    login("fiona")
    page.goto(f"/contracts/{world.contract.public_id}/")
    card = page.locator("#thresholds")
    assert "Not set up" in card.locator("#spend-threshold").inner_text()
    element_shots(page, "contract-thresholds-empty", "#thresholds")

    card.locator("summary", has_text="Set up threshold billing").click()
    form = page.locator("#spend-threshold-form")
    stripe_type = form.locator("select[name=stripe_payment_type]")
    assert not stripe_type.is_visible()  # only with the Stripe gate
    form.locator("input[name=threshold_amount]").fill("$1,000.00")
    form.locator("select[name=product]").select_option(label="Prepaid commit")
    form.locator("select[name=payment_gate_type]").select_option("STRIPE")
    assert stripe_type.is_visible()
    element_shots(page, "contract-thresholds-spend-form", "#thresholds")
    with page.expect_navigation():
        form.get_by_role("button", name="Save threshold billing").click()
    spend = Contract.objects.get(pk=world.contract.pk).spend_threshold_configuration
    assert spend["threshold_amount"] == 100000 and spend["is_enabled"] is True  # USD cents
    words = page.locator("#spend-threshold").inner_text()
    assert "On When unbilled usage reaches $1,000.00, bill it (Prepaid commit)" in words
    assert "Payment gate: Stripe invoice" in words

    # Auto-recharge: a target below the trigger is refused beside its field, then fixed.
    page.locator("#recharge summary", has_text="Set up auto-recharge").click()
    form = page.locator("#recharge-form")
    form.locator("input[name=threshold_amount]").fill("$200")
    form.locator("input[name=recharge_to_amount]").fill("150")
    form.locator("select[name=product]").select_option(label="Prepaid commit")
    form.get_by_role("button", name="Save auto-recharge").click()
    error = page.locator("#recharge-form .field-error")
    error.wait_for()
    assert error.inner_text() == "Must be more than the balance that triggers it ($200.00)."
    element_shots(page, "contract-thresholds-recharge-error", "#thresholds")
    form = page.locator("#recharge-form")
    form.locator("input[name=recharge_to_amount]").fill("$1,000.00")
    with page.expect_navigation():
        form.get_by_role("button", name="Save auto-recharge").click()
    words = page.locator("#recharge").inner_text()
    assert "When the prepaid balance falls below $200.00, recharge to $1,000.00" in words
    assert "Payment gate: none" in words
    element_shots(page, "contract-thresholds", "#thresholds")

    # The change form comes back as typed, in dollars.
    page.locator("#spend-threshold summary", has_text="Change threshold billing").click()
    form = page.locator("#spend-threshold-form")
    assert form.locator("input[name=threshold_amount]").input_value() == "1000.00"
    assert form.locator("select[name=payment_gate_type]").input_value() == "STRIPE"
