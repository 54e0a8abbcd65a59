"""Finance ops in a real browser (Playwright + Debian's Chromium): an invoice whose usage was
partly paid at a commit rate says which units were priced how, and a draft that could not be
computed says why. Screenshots at 1440 and 390 px go to $SCREENSHOT_DIR (default var/screenshots)
to be looked at."""

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings

from billing_console.lib.periods import Period
from contracts.services import contract_create
from customers.services import customer_create
from invoicing.services import contract_invoices_refresh, invoice_compute_usage
from pricing.services import product_create, rate_add, rate_card_create
from usage.services import billable_metric_create, usage_ingest
from usage.sql import SqlMetricFailed

pytestmark = pytest.mark.browser

JAN = datetime(2026, 1, 1, tzinfo=UTC)
FEB = datetime(2026, 2, 1, tzinfo=UTC)


def _shots(page, name: str) -> None:
    folder = Path(os.environ.get("SCREENSHOT_DIR", Path(settings.VAR_DIR) / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)


def _contract(card, **terms):
    customer = customer_create(name="Acme Robotics", ingest_aliases=["acme"])
    return contract_create(customer=customer, data={
        "starting_at": JAN.isoformat(), "rate_card_id": str(card.public_id),
        "usage_statement_schedule": {"frequency": "MONTHLY"}, **terms,
    })  # fmt: skip


def _calls(count: int) -> None:
    for start in range(0, count, 100):
        usage_ingest(events=[
            {"transaction_id": f"c{i}", "customer_id": "acme", "event_type": "call",
             "timestamp": (JAN + timedelta(days=9)).isoformat(), "properties": {}}
            for i in range(start, min(count, start + 100))
        ], now=JAN + timedelta(days=10))  # fmt: skip


@pytest.fixture
def commit_rate_invoice(db):
    # 700 calls at list $0.02; a $4.00 commit at the commit rate $0.01 pays 400 of them.
    metric = billable_metric_create(
        name="calls", event_type_filter={"in_values": ["call"]}, aggregation_type="COUNT"
    )
    api = product_create(name="API calls", type="USAGE", billable_metric=metric)
    fixed = product_create(name="Prepaid commit", type="FIXED")
    card = rate_card_create(name="Standard")
    rate_add(rate_card=card, product=api, starting_at=JAN, rate_type="FLAT", price=2,
             commit_rate={"rate_type": "FLAT", "price": 1})  # fmt: skip
    contract = _contract(card, commits=[{
        "type": "PREPAID", "name": "Discounted commit", "priority": 1, "rate_type": "COMMIT_RATE",
        "product_id": str(fixed.public_id),
        "access_schedule": {"schedule_items": [{"amount": 400, "starting_at": JAN.isoformat(),
                                                "ending_before": "2027-01-01T00:00:00Z"}]},
    }])  # fmt: skip
    _calls(700)
    return invoice_compute_usage(contract=contract, period=Period(JAN, FEB))


def test_an_invoice_says_which_units_a_commit_paid_at_its_commit_rate(
    page, login, fiona, commit_rate_invoice
):
    login("fiona")
    page.goto(f"/invoices/{commit_rate_invoice.public_id}/")
    charges = page.inner_text("section.card:has(h2:text('Charges'))")
    assert "At the commit rate" in charges and "At list price" in charges
    assert "$4.00" in charges and "$6.00" in charges
    _shots(page, "invoice-commit-rate")


@pytest.fixture
def failed_draft(db):
    metric = billable_metric_create(name="units", sql="SELECT SUM(properties.units) FROM events")
    product = product_create(name="Units", type="USAGE", billable_metric=metric)
    card = rate_card_create(name="Standard")
    rate_add(rate_card=card, product=product, starting_at=JAN, rate_type="FLAT", price=3)
    contract = _contract(card)
    failure = SqlMetricFailed('invalid input syntax for type numeric: "lots"')
    with mock.patch("usage.selectors._sql_values_of", side_effect=failure):
        contract_invoices_refresh(contract=contract, through=FEB + timedelta(days=2))
    return contract.invoices.get(period_start=JAN, type="USAGE")


def test_a_draft_that_could_not_be_computed_says_why(page, login, fiona, failed_draft):
    login("fiona")
    page.goto("/invoices/")
    assert "error" in page.inner_text("table")
    _shots(page, "invoice-list-error")
    page.goto(f"/invoices/{failed_draft.public_id}/")
    alert = page.inner_text("[role=alert]")
    assert "could not be computed" in alert and "lots" in alert
    _shots(page, "invoice-failed-draft")


def test_a_failing_sql_metric_says_so_on_its_page(page, login, fiona, failed_draft):
    from usage.models import BillableMetric

    BillableMetric.objects.filter(name="units").update(
        error="sql: billable metric 'units' failed on its events: numeric field overflow",
        error_at=FEB,
    )
    metric = BillableMetric.objects.get(name="units")
    login("fiona")
    page.goto(f"/billable-metrics/{metric.public_id}/")
    assert "failed on a customer" in page.inner_text("[role=alert]")
    _shots(page, "metric-error")
