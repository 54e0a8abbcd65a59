"""A pricing user defines a billable metric in a real browser, watching the live preview."""

from datetime import timedelta

import pytest
from django.utils import timezone

from billing_console.tests.screenshots import element_shots
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

    # Leaving the field fires its change event: one more preview. Let it finish before the
    # submit, as the live server's requests share one in-memory SQLite connection (two at once
    # fail there, never on a real database).
    page.locator("input[name=aggregation_key]").blur()
    page.wait_for_load_state("networkidle")
    page.click("#metric-form button[type=submit]")
    page.wait_for_url("**/billable-metrics/*-*/")
    assert page.locator("h1").first.inner_text().startswith("Tokens")
    assert "SUM of tokens" in page.locator("#metric-definition").inner_text()
    assert "region in us, eu" in page.locator("#metric-definition").inner_text()
    metric = BillableMetric.objects.get()
    assert metric.property_filters == [{"name": "region", "in_values": ["us", "eu"]}]


def test_find_an_event_by_transaction_id(page, login, bob):
    """Typed into the events explorer: found through its dedupe key; one it cannot find says
    where transaction ids are looked up."""
    customer_create(name="Acme", ingest_aliases=["acme"])
    now = timezone.now()
    usage_ingest(
        events=[
            {
                "transaction_id": f"order-{i}",
                "customer_id": "acme",
                "event_type": "completion",
                "timestamp": (now - timedelta(minutes=i)).isoformat(),
                "properties": {"tokens": i},
            }
            for i in range(1, 4)
        ],  # fmt: skip
        now=now,
    )
    login("bob")
    page.goto("/events/")
    page.locator("input[name=transaction_id]").press_sequentially("order-2")
    page.locator("#event-table .event-row:not(.event-head)").nth(0).wait_for()
    page.wait_for_function(
        "document.querySelectorAll('#event-table details.event-row').length === 1"
    )
    assert "order-2" in page.locator("#event-table").inner_text()
    element_shots(page, "events-by-transaction-id", "main")

    page.locator("input[name=transaction_id]").fill("order-from-last-year")
    page.locator("#event-table .empty", has_text="last 34 days").wait_for()
    element_shots(page, "events-transaction-id-not-found", "main")


def test_archived_events_are_said_where_they_are_missed(page, login, alice, tmp_path):
    from datetime import UTC, datetime

    from usage.retention import events_archive
    from usage.services import billable_metric_create

    customer_create(name="Acme", ingest_aliases=["acme"])
    metric = billable_metric_create(name="Active users",
                                    sql="SELECT COUNT(DISTINCT properties.user) FROM events")  # fmt: skip
    for tid, at in (("old", datetime(2026, 1, 5, tzinfo=UTC)), ("new", timezone.now())):
        usage_ingest(events=[{"transaction_id": tid, "customer_id": "acme", "event_type": "login",
                              "timestamp": at.isoformat(), "properties": {"user": "u1"}}],
                     now=at + timedelta(minutes=1))  # fmt: skip
    run = events_archive(before=datetime(2026, 2, 1, tzinfo=UTC), out=tmp_path / "2026-01.jsonl.gz")

    login("alice")
    page.goto("/events/")
    note = page.locator("#archived-events").inner_text()
    assert "Events before Feb 1, 2026, 00:00 UTC were archived on " in note
    assert str(tmp_path / "2026-01.jsonl.gz") in note
    assert f"manage.py events_restore --run {run.pk} puts them back." in note
    assert page.locator(".event-row", has_text="new").count() >= 1
    element_shots(page, "events-archived", ".page-head")
    page.goto(f"/billable-metrics/{metric.public_id}/")
    kept = page.locator("#usage-kept-from").inner_text()
    assert "Usage before Feb 1, 2026, 00:00 UTC cannot be computed: it is computed from raw" in kept
    element_shots(page, "metric-archived-events", "#metric-header")
