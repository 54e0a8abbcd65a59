"""Finance builds a report in a real browser: picks the dataset and its columns, previews the
first rows (void invoices out unless ticked), at 1440 and 390 px. Screenshots go to
$SCREENSHOT_DIR to be looked at."""

import os
from pathlib import Path

import pytest
from django.conf import settings

from invoicing.services import invoice_void
from reports.tests.factories import billed_world

pytestmark = pytest.mark.browser


@pytest.fixture
def voided(db):
    billed = billed_world()
    invoice_void(invoice=billed.january)
    return billed


def test_choose_columns_and_preview(page, login, fiona, voided):
    login("fiona")
    page.goto("/reports/")
    page.select_option("select[name=dataset]", "invoices")
    page.locator("details.report-columns[open]").wait_for()  # open once the form is touched
    for name in ("contract_id", "credit_type", "subtotal", "subtotal_major", "total", "regenerated_from_id",
                 "created_at", "updated_at", "customer_id", "invoice_id", "issued_at", "finalized_at"):  # fmt: skip
        page.uncheck(f"input[name=columns][value={name}]")
    page.get_by_role("button", name="Preview first 20 rows").click()
    page.wait_for_load_state("networkidle")
    preview = page.locator("#report-preview")
    text = preview.locator("thead").text_content()
    statuses = preview.locator("tbody td:nth-child(3)").all_inner_texts()
    assert statuses == ["DRAFT"] and "total (USD)" in text and "invoice_id" not in text
    page.check("input[name=include_void]")  # a change: the preview follows
    page.wait_for_function("document.querySelectorAll('#report-preview tbody tr').length === 2")
    statuses = preview.locator("tbody td:nth-child(3)").all_inner_texts()
    assert sorted(statuses) == ["DRAFT", "VOID"]

    folder = Path(os.environ.get("SCREENSHOT_DIR", Path(settings.VAR_DIR) / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.locator("#new-report").screenshot(path=str(folder / f"report-builder-{width}.png"))
        wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert wide <= 0, f"the reports page scrolls sideways by {wide}px at {width}px"
