"""What a failing background pass leaves for finance to see, in a real browser (Playwright +
Debian's Chromium): a lifecycle notification that stopped, a metric whose rollups could not be
built, an invoice whose Stripe sync waits, and a contract whose auto-recharge failed. Screenshots at 1440 and 390 px go to
$SCREENSHOT_DIR (default var/screenshots)."""

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from cryptography.fernet import Fernet
from django.urls import reverse

from alerts.lifecycle import notifications_due, offset_notification_create
from alerts.models import OffsetNotification
from billing_console.tests.screenshots import element_shots
from contracts.models import Commit, Contract
from invoicing.services import invoice_finalize
from invoicing.tests import fake_stripe
from invoicing.tests.factories import recharge_world
from invoicing.tests.stripe_fixtures import stripe_world
from usage import rollups
from usage.models import BillableMetric
from usage.services import billable_metric_create
from usage.tasks import metrics_backfill_missing

pytestmark = pytest.mark.browser


def test_a_stopped_notification_and_a_metric_not_ready(page, login, alice, transactional_db):
    offset_notification_create(
        data={"name": "Renewal reminder", "policy": {"type": "contract.end", "offset": "-P7D"}},
        created_by="alice",
    )
    legacy = offset_notification_create(
        data={"name": "Legacy reminder", "policy": {"type": "contract.end", "offset": "-P1D"}},
        created_by="alice",
    )
    OffsetNotification.objects.filter(pk=legacy.pk).update(offset="-P2100Y")  # stored long ago
    notifications_due(now=datetime.now(UTC) + timedelta(minutes=1))
    metric = billable_metric_create(name="GPU hours", aggregation_type="SUM",
                                    aggregation_key="hours")  # fmt: skip
    BillableMetric.objects.filter(pk=metric.pk).update(rollup_ready=False)
    with mock.patch.object(rollups, "rollups_backfill", side_effect=OSError("No space left")):
        metrics_backfill_missing()

    login("alice")
    page.goto(reverse("alerts:notification-settings"))
    row = page.locator("#offset-table tr", has_text="Legacy reminder")
    assert "Failing since" in row.inner_text()
    assert "'-P2100Y' is longer than 100 years." in row.inner_text()
    assert "Failing since" not in page.locator("#offset-table tr", has_text="Renewal").inner_text()
    element_shots(page, "notification-stopped", "#offset-table")
    # On a phone each row is a block: the actions stay on screen, no sideways scroll.
    page.set_viewport_size({"width": 390, "height": 900})
    archive = row.get_by_role("button", name="Archive").bounding_box()
    assert archive["x"] + archive["width"] <= 390
    page.set_viewport_size({"width": 1440, "height": 900})
    element_shots(page, "notification-settings", "main")

    page.goto(reverse("usage:metric-detail", args=[metric.public_id]))
    flash = page.locator("main .flash-error")
    assert "This metric's usage is not ready" in flash.inner_text()
    assert "OSError: No space left" in flash.inner_text()
    element_shots(page, "metric-rollups-not-ready", "#metric-header")


@pytest.fixture
def fake(settings):
    stripe = fake_stripe.FakeStripe()
    server = fake_stripe.start(stripe)
    settings.STRIPE_API_BASE = stripe.url
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    yield stripe
    server.shutdown()
    server.server_close()


def test_an_invoice_whose_stripe_sync_waits(page, login, alice, transactional_db, fake, settings):
    settings.SECRETS_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    world = stripe_world(fake)
    invoice = world.january_invoice()
    settings.SECRETS_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]  # the old key dropped
    invoice_finalize(invoice=invoice)  # the sync runs on commit (eager), and waits

    login("alice")
    page.goto(reverse("invoicing:invoice-detail", args=[invoice.public_id]))
    reason = page.locator("#no-card-payment")
    assert "Not fully sent to Stripe yet (retried):" in reason.inner_text()
    assert "API key can no longer be decrypted" in reason.inner_text()
    element_shots(page, "invoice-stripe-sync-waits", "#no-card-payment")


def test_a_recharge_that_failed(page, login, alice, transactional_db):
    world = recharge_world()
    Contract.objects.filter(pk=world.contract.pk).update(
        threshold_error="internal error (RuntimeError); details are in the server log.",
        threshold_error_at=datetime.now(UTC),
    )
    login("alice")
    page.goto(reverse("contracts:contract-detail", args=[world.contract.public_id]))
    flash = page.locator("#thresholds .flash-error")
    assert "Not charged: the last evaluation failed" in flash.inner_text()
    element_shots(page, "contract-threshold-failed", "#thresholds")


def test_marketplace_metering_that_stopped(page, login, alice, transactional_db):
    from customers.models import CustomerBillingProviderConfiguration
    from invoicing.marketplaces.models import MarketplaceMeteringCursor
    from invoicing.tests.test_marketplaces import aws_world

    aws_world()
    MarketplaceMeteringCursor.objects.create(
        configuration=CustomerBillingProviderConfiguration.objects.get(), recorded_through=datetime(2026, 12, 5, 9, tzinfo=UTC),
        error="internal error (KeyError); details are in the server log.",
        error_at=datetime(2026, 12, 5, 9, 6, tzinfo=UTC),
    )  # fmt: skip
    login("alice")
    page.goto(reverse("invoicing:marketplace-metering"))
    section = page.locator("section:has(#stalled-title)")
    assert "Acme (AWS Marketplace): stopped at the hour from" in section.inner_text()
    element_shots(page, "marketplace-metering-stopped", "section:has(#stalled-title)")


def test_a_commit_segment_that_cannot_expire(page, login, alice, transactional_db):
    from contracts.terms import ledger
    from contracts.tests.test_ledger import _commit, _month
    from invoicing.tests.factories import FEB, JAN, priced_world

    world = priced_world(price=5)
    credit = _commit(world, (100, JAN, FEB), kind="CREDIT")
    shared = _commit(world, (40, JAN, FEB), kind="CREDIT")
    Commit.objects.filter(pk=shared.pk).update(contract=None)  # the customer's, every contract's
    _month(world, JAN)
    with mock.patch.object(ledger, "segment_close", side_effect=LookupError("no rollover target")):
        ledger.segments_expire(now=FEB + timedelta(days=1))
    login("alice")
    page.goto(reverse("contracts:contract-detail", args=[world.contract.public_id]))
    row = page.locator(f"#commit-{credit.public_id}")  # expired, still listed while stuck
    assert (
        "What is left of $1.00 (Jan 1, 2026 – Feb 1, 2026) has not expired: failing since"
        in row.inner_text()
    )
    assert "LookupError: no rollover target" in row.inner_text()
    element_shots(page, "commit-segment-stuck", f"#commit-{credit.public_id}")
    page.goto(reverse("contracts:customer-commits", args=[world.customer.public_id]))
    row = page.locator(f"#customer-commit-{shared.public_id}")
    assert "What is left has not expired: failing since" in row.inner_text()
    element_shots(page, "customer-commit-segment-stuck", f"#customer-commit-{shared.public_id}")
