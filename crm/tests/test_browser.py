"""Finance reads the Salesforce sync log in a real browser, filters it to the pushes that gave
up, and retries one, which then syncs; an admin sees the settings with no secret shown
(Playwright + Debian's Chromium; screenshots at 1440 and 390 px)."""

import pytest

from billing_console.tests.screenshots import element_shots
from crm.models import SyncRecord
from customers.models import Customer
from invoicing.tests.factories import priced_world

pytestmark = pytest.mark.browser


def _worlds(sf):
    first = priced_world(contract_extra={"name": "Acme 2026", "custom_fields": {"region": "EU"}})
    Customer.objects.filter(pk=first.customer.pk).update(salesforce_account_id="001ACME000000001")
    sf.fail_next(400)  # Salesforce refuses the next push: a field the object does not have
    second = priced_world(contract_extra={"name": "Globex 2026"}, alias="globex")
    Customer.objects.filter(pk=second.customer.pk).update(name="Globex")
    return first, second


def test_the_sync_log_filters_and_retries(page, login, connected, fiona, alice):
    _first, second = _worlds(connected)
    failed = SyncRecord.objects.get(key=f"contract:{second.contract.public_id}")
    assert failed.status == "exhausted"

    login("fiona")
    page.goto("/settings/salesforce/sync-log/")
    rows = page.locator("#sync-log tr.sync-record")
    assert rows.count() == 2
    element_shots(page, "crm-sync-log", "main")

    page.select_option("select[name=status]", "exhausted")
    page.locator("#sync-log tr.sync-record").first.wait_for()
    page.wait_for_function("document.querySelectorAll('#sync-log tr.sync-record').length === 1")
    row = page.locator("#sync-log tr.sync-record")
    assert "Globex 2026" in row.inner_text() and "gave up" in row.inner_text()
    assert "HTTP 400" in row.inner_text()
    element_shots(page, "crm-sync-log-gave-up", "main")

    row.get_by_role("button", name="Retry").click()
    page.wait_for_function("document.querySelectorAll('#sync-log tr.sync-record').length === 0")
    failed.refresh_from_db()
    assert (failed.status, failed.attempt_count) == ("succeeded", 2)
    page.select_option("select[name=status]", "succeeded")
    page.wait_for_function("document.querySelectorAll('#sync-log tr.sync-record').length === 2")

    login("alice")
    page.goto("/settings/salesforce/")
    text = page.locator("main").inner_text()
    assert (
        connected.password not in page.content() and connected.security_token not in page.content()
    )
    assert "password set" in text
    element_shots(page, "crm-settings", "main")
