"""A finance user creates a customer in a real browser (Playwright + Debian's Chromium)."""

import pytest

pytestmark = pytest.mark.browser


def test_create_customer_through_the_console(page, login, alice):
    login("alice")
    page.goto("/customers/")
    # An empty name: the error renders inline, in place of the form.
    page.click("#create-form button[type=submit]")
    error = page.locator("#create-form .field-error")
    error.wait_for()
    assert "This field is required" in error.inner_text()

    page.fill("#create-form input[name=name]", "Browser Co")
    page.fill("#create-form input[name=ingest_aliases]", "browser-co")
    page.click("#create-form button[type=submit]")
    page.wait_for_url("**/customers/*/")
    assert page.locator("h1").first.inner_text().startswith("Browser Co")

    page.goto("/customers/")
    page.fill("input[name=q]", "Browser")
    page.locator("#customer-table", has_text="Browser Co").wait_for()
    assert "browser-co" in page.locator("#customer-table").inner_text()
