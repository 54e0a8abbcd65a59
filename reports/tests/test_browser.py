"""Finance starts a report in a real browser, watches its progress bar move, downloads the CSV.

The build runs where it runs in production: in a Celery worker (an embedded one, in a thread,
on an in-memory broker), not inline in the request. REPORT_CHUNK_DELAY_MS slows each batch of
rows so that the one-second htmx polling has progress to show.
"""

import time
from decimal import Decimal

import pytest
from django.db import connections

from invoicing.models import LineItem
from reports.tests.factories import billed_world, read_csv

pytestmark = pytest.mark.browser

EXTRA_LINES = 400


@pytest.fixture
def celery_worker(live_server):
    """A real Celery worker consuming what the console enqueues."""
    from celery import signals
    from celery.contrib.testing.app import TestApp, setup_default_app
    from celery.contrib.testing.worker import start_worker

    import reports.tasks  # noqa: F401 - the task the console enqueues

    def close_connections(**kwargs):  # the worker thread's own database connections
        connections.close_all()

    app = TestApp(
        config={"task_always_eager": False},
        task_cls="celery.contrib.django.task:DjangoTask",
    )
    signals.task_postrun.connect(close_connections, weak=False)
    try:
        with setup_default_app(app):
            app.set_default()
            app.set_current()
            with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
                yield app
    finally:
        signals.task_postrun.disconnect(close_connections)


@pytest.fixture
def many_lines(transactional_db):
    billed = billed_world()
    LineItem.objects.bulk_create(
        LineItem(invoice=billed.february, position=i + 1, type="USAGE", name=f"Extra {i}",
                 quantity=Decimal(1), unit_price=Decimal(3), total_unrounded=Decimal(3),
                 total=Decimal(3))
        for i in range(EXTRA_LINES)
    )  # fmt: skip
    return billed


def test_start_a_report_watch_it_progress_and_download_it(
    page, login, fiona, many_lines, celery_worker, settings, tmp_path
):
    settings.REPORTS_DIR = tmp_path / "reports"
    settings.REPORT_CHUNK_SIZE = 40  # 402 rows: 11 batches
    settings.REPORT_CHUNK_DELAY_MS = 350  # about 4 seconds in all
    login("fiona")
    page.goto("/reports/")
    page.select_option("select[name=dataset]", "invoice_line_items")
    page.click("#report-form button[type=submit]")
    page.wait_for_url("**/reports/*-*/")

    seen: list[tuple[str, int]] = []  # (status, value of the progress bar) as the page shows it
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        section = page.locator("#run-progress")
        status = section.get_attribute("data-status")
        value = int(page.locator("#run-progress-bar").get_attribute("value") or 0)
        if not seen or seen[-1] != (status, value):
            seen.append((status, value))
        if status in ("SUCCEEDED", "FAILED"):
            break
        time.sleep(0.1)
    assert seen[-1] == ("SUCCEEDED", 402), seen
    moving = [value for status, value in seen if status == "RUNNING" and 0 < value < 402]
    assert len(set(moving)) >= 2, seen  # the bar was seen part-way, at least twice
    assert moving == sorted(moving)
    assert "402 rows" in page.locator("#run-progress-text").inner_text()

    with page.expect_download() as info:
        page.click("#run-download")
    download = info.value
    assert download.suggested_filename.startswith("invoice_line_items-")
    rows = read_csv(download.path().read_bytes())
    assert len(rows) == 402
    assert list(rows[0]) == [
        "line_item_id", "invoice_id", "invoice_number", "invoice_status", "customer_id",
        "customer_name", "contract_id", "credit_type", "currency", "period_start", "period_end",
        "position", "type", "name", "product_id", "pricing_group_values", "presentation_group_values",
        "starting_at", "ending_before", "quantity", "unit_price", "unit_price (USD)",
        "total_unrounded", "total_unrounded (USD)", "total", "total (USD)",
        "commit_id",
        # NetSuite (reports/datasets/netsuite.py): the line's ids, its contract's sales order,
        # and a professional service line's billing dates
        "netsuite_item_id", "commit_netsuite_item_id", "commit_netsuite_sales_order_id",
        "netsuite_sales_order_id", "netsuite_invoice_billing_start", "netsuite_invoice_billing_end",
    ]  # fmt: skip
    # 1000 (January) + 500 (February) + 400 extra lines of 3 cents
    assert sum(Decimal(r["total"]) for r in rows) == Decimal("2700")
