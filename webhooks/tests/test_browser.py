"""Finance creates a webhook endpoint in a real browser, sends a test event that the receiver
rejects, and redelivers it from the delivery log (Playwright + Debian's Chromium)."""

import pytest
from standardwebhooks.webhooks import Webhook

from webhooks.models import Delivery, WebhookEndpoint
from webhooks.tests.receiver import receiver

pytestmark = pytest.mark.browser


def test_create_endpoint_test_event_and_redeliver(page, login, fiona):
    with receiver([500, 200]) as hook:
        login("fiona")
        page.click("nav.mainnav summary:has-text('Settings')")  # the group opens
        page.click("nav.mainnav >> text=Webhooks")
        page.fill("input[name=url]", hook.url)
        page.fill("input[name=description]", "ERP listener")
        page.click("button:has-text('Create endpoint')")
        secret = page.locator("#new-secret")
        secret.wait_for()
        endpoint = WebhookEndpoint.objects.get()
        assert secret.inner_text() == endpoint.secret
        page.reload()
        assert page.locator("#new-secret").count() == 0  # shown once

        page.click("button:has-text('Send test event')")
        row = page.locator("#delivery-log tr.delivery")
        row.locator(".code:has-text('500')").wait_for()
        assert "failed, retrying" in row.inner_text()

        row.get_by_role("button", name="Redeliver").click()
        page.locator("#delivery-log tr.delivery .code:has-text('200')").wait_for()
        row = page.locator("#delivery-log tr.delivery")
        assert "succeeded" in row.inner_text()
        assert row.locator(".attempt-count").inner_text() == "2"
        first, second = hook.wait_for(2)

    delivery = Delivery.objects.get()
    assert [a.response_code for a in delivery.attempts.all()] == [500, 200]
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == delivery.webhook_id
    assert Webhook(endpoint.secret).verify(second.body, second.headers)["type"] == "webhook.test"
