"""A pricing user defines a billable metric in a real browser, watching the live preview."""

from datetime import timedelta

import pytest
from django.utils import timezone

from customers.services import customer_create
from usage.models import BillableMetric
from usage.services import usage_ingest

pytestmark = pytest.mark.browser


def test_define_a_metric_with_the_live_preview(page, login, alice):
    acme = customer_create(name="Acme", ingest_aliases=["acme"])
    now = timezone.now()
    usage_ingest(
        events=[
            {
                "transaction_id": tid,
                "customer_id": "acme",
                "event_type": "completion",
                "timestamp": (now - timedelta(hours=hours)).isoformat(),
                "properties": {"tokens": tokens, "region": region},
            }
            for tid, hours, tokens, region in (
                ("t1", 1, 100, "us"),
                ("t2", 2, 250, "us"),
                ("t3", 3, 50, "eu"),
                ("t4", 4, 999, "apac"),
            )
        ],  # fmt: skip
        now=now,
    )
    login("alice")
    page.goto("/billable-metrics/")
    page.click("text=New billable metric")
    page.wait_for_url("**/billable-metrics/create")
    page.select_option("select[name=preview_customer]", str(acme.public_id))
    page.select_option("select[name=lookback]", "24h")
    page.locator("#preview-total", has_text="4").wait_for()  # COUNT of every event

    page.fill("input[name=name]", "Tokens")
    page.fill("input[name=event_types]", "completion")
    page.select_option("select[name=aggregation_type]", "SUM")
    # SUM without a key: the validation error shows in the preview, nothing is saved
    page.locator("#metric-preview .form-errors", has_text="aggregation_key").wait_for()
    page.locator("textarea[name=property_filters]").press_sequentially("region in us,eu")
    page.locator("input[name=aggregation_key]").press_sequentially("tokens")
    page.locator("#preview-total", has_text="400").wait_for()
    assert "3 of 4 events matched" in page.locator("#preview-counts").inner_text()
    assert not BillableMetric.objects.exists()

    page.click("#metric-form button[type=submit]")
    page.wait_for_url("**/billable-metrics/*-*/")
    assert page.locator("h1").first.inner_text().startswith("Tokens")
    assert "SUM of tokens" in page.locator("#metric-definition").inner_text()
    assert "region in us, eu" in page.locator("#metric-definition").inner_text()
    metric = BillableMetric.objects.get()
    assert metric.property_filters == [{"name": "region", "in_values": ["us", "eu"]}]
