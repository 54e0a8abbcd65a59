"""Creating an alert in a real browser (Playwright + Debian's Chromium): choosing the type
swaps in its fields, and the new alert shows in the list."""

import pytest

from alerts.models import Alert
from alerts.tests.factories import spend_world

pytestmark = pytest.mark.browser


def test_create_a_usage_alert_through_the_type_specific_form(page, login, alice, transactional_db):
    world = spend_world()
    login("alice")
    page.click("nav.mainnav summary:has-text('Billing')")  # the group opens
    page.click("nav.mainnav >> text=Alerts")
    page.wait_for_url("**/alerts/")
    page.click("text=New alert")
    page.wait_for_url("**/alerts/create")
    assert page.locator("#type-fields [name=group_key]").is_visible()  # spend is the default

    page.select_option("select[name=alert_type]", "usage_threshold_reached")
    page.locator("#type-fields[data-alert-type=usage_threshold_reached]").wait_for()
    assert page.locator("#type-fields [name=group_key]").count() == 0
    page.fill("input[name=name]", "Heavy caller")
    page.fill("input[name=threshold]", "5000")
    page.click("button:has-text('Create alert')")
    page.locator("#alert-form .field-error").wait_for()  # no metric chosen: 422, form stays
    assert "is required" in page.locator("#alert-form .field-error").inner_text()

    page.select_option("select[name=billable_metric]", str(world.metric.public_id))
    page.click("button:has-text('Create alert')")
    page.wait_for_url("**/alerts/*/")
    assert "Alert “Heavy caller” created." in page.locator("#messages").inner_text()
    alert = Alert.objects.get()
    assert (alert.alert_type, alert.billable_metric_id) == (
        "usage_threshold_reached",
        world.metric.pk,
    )

    page.click("nav.mainnav summary:has-text('Billing')")  # the group opens
    page.click("nav.mainnav >> text=Alerts")
    row = page.locator("#alert-table tr", has_text="Heavy caller")
    row.wait_for()
    assert "Usage threshold reached" in row.inner_text()
    assert "5,000 calls" in row.inner_text()  # a usage threshold counts the metric, not money
