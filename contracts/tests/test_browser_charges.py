"""The scheduled charges card in a real browser (Playwright + Debian's Chromium): one item's
Archive removes that item only, the invoiced one is marked and has no Archive, and the edit
history says what was removed and the old → new end date. Screenshots of the card and the
history at 1440 and 390 px go to $SCREENSHOT_DIR (default var/screenshots)."""

import pytest

from billing_console.tests.screenshots import element_shots
from contracts.edits import contract_edit
from contracts.tests.test_views_charges import monthly_fee_world

pytestmark = pytest.mark.browser


def test_one_item_is_archived_and_the_history_says_which(page, login, dave, db):
    world = monthly_fee_world()
    login("dave")
    page.goto(f"/contracts/{world.contract.public_id}/")
    card = page.locator("#charges")
    assert f"invoiced {world.number}" in card.inner_text()
    element_shots(page, "contract-charges", "#charges")

    march = world.fee.items.get(timestamp__month=3, timestamp__year=2026)
    page.locator(f"#charge-item-{march.public_id} button").click()
    dialog = page.get_by_role("dialog")  # hx-confirm, asked in the page's own <dialog>
    assert "Only this item stops being invoiced" in dialog.inner_text()
    with page.expect_navigation():
        dialog.get_by_role("button", name="Archive item").click()
    assert world.fee.items.count() == 11
    assert "Archive the charge: its 10 upcoming items" in page.locator("#charges").inner_text()
    element_shots(page, "contract-charges-after", "#charges")

    contract_edit(contract=world.contract, data={"update_contract_end_date": "2027-02-01T00:00:00Z"})  # fmt: skip
    page.goto(f"/contracts/{world.contract.public_id}/history")
    history = page.locator(".edit-history")
    assert "removed Mar 1, 2026 $1,000.00" in history.inner_text()
    assert "Mar 1, 2027 → Feb 1, 2027" in history.inner_text()
    element_shots(page, "contract-history", ".edit-history")
