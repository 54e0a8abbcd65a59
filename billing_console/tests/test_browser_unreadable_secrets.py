"""Secrets stored before the encryption keys changed (SECRETS_ENCRYPTION_KEYS rotated without
the old key), in a real browser (Playwright + Debian's Chromium): an S3 export's page says its
runs fail (and its failed run why) and its form asks for the secret access key again, which an admin enters; the billing
providers page marks the Stripe account whose webhooks are refused. Screenshots at 1440 and
390 px go to $SCREENSHOT_DIR (default var/screenshots)."""

import pytest
from cryptography.fernet import Fernet

from billing_console.tests.screenshots import element_shots
from customers.billing_providers import billing_provider_set_up
from reports.exports import export_run, export_schedule_create
from reports.forms import SECRET_UNREADABLE_HELP
from reports.models import ExportSchedule, RunStatus

pytestmark = pytest.mark.browser


@pytest.fixture
def stored_then_rotated(db, settings, tmp_path):
    settings.EXPORTS_LOCAL_ROOT = tmp_path / "exports"
    settings.REPORTS_DIR = tmp_path / "reports"
    settings.SECRETS_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    schedule = export_schedule_create(dataset="invoice_line_items", data={
        "name": "Lines to S3", "format": "csv", "frequency": "DAILY", "destination": "s3",
        "s3_bucket": "finance-exports", "s3_access_key_id": "AKIAEXAMPLE",
        "s3_secret_access_key": "old-secret"})  # fmt: skip
    billing_provider_set_up(data={
        "billing_provider": "stripe", "delivery_method": "direct_to_billing_provider",
        "configuration": {"name": "US entity", "stripe_secret_key": "sk_test_" + "a" * 24,
                          "stripe_webhook_secret": "whsec_abcdefgh1234"},
    })  # fmt: skip
    settings.SECRETS_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    assert export_run(schedule_id=schedule.pk).status == RunStatus.FAILED  # due at creation
    return schedule


def test_admin_enters_the_export_secret_again_and_sees_the_refused_webhooks(
    page, login, alice, stored_then_rotated
):
    schedule = stored_then_rotated
    login("alice")
    page.goto(f"/exports/{schedule.public_id}/")
    alert = page.locator("main .flash-error")
    assert "can no longer be decrypted" in alert.inner_text()
    assert SECRET_UNREADABLE_HELP in page.locator("#export-form").inner_text()
    assert "enter it again" in page.locator("#export-runs").inner_text()  # the failed run
    element_shots(page, "export-secret-unreadable", "main")

    page.locator("#export-form [name=s3_secret_access_key]").fill("new-secret")
    page.locator("#export-form button[type=submit]").click()
    page.locator("text=Export saved.").wait_for()
    assert page.locator("main .flash-error").count() == 0
    assert ExportSchedule.objects.get(pk=schedule.pk).s3_secret_access_key == "new-secret"

    page.goto("/settings/billing-providers/")
    state = page.locator("#providers .muted:has(.badge.danger)")
    assert state.inner_text() == "webhook secret unreadable: webhooks refused, set it again"
    element_shots(page, "billing-providers-webhook-secret-unreadable", "#provider-panel")
