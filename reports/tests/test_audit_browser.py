"""The audit log in a real browser (Playwright + Debian's Chromium), as finance ops reads it: a
contract's end date moved and a price raised read as sentences with names, dates and dollars;
the system's own changes stay out of the way until "Show system changes" is ticked.
Screenshots at 1440 and 390 px go to $SCREENSHOT_DIR (default var/screenshots)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from auditlog.context import set_actor

from alerts.services import alert_create
from billing_console.tests.screenshots import element_shots
from contracts.models import ContractEdit
from customers.services import customer_set_name
from invoicing.tests.factories import priced_world
from pricing.services import rate_update

pytestmark = pytest.mark.browser


@pytest.fixture
def world(db, alice):
    world = priced_world(price=2500, contract_extra={
        "name": "Enterprise 2026", "ending_before": "2027-06-01T00:00:00Z",
    })  # fmt: skip
    ContractEdit.objects.create(contract=world.contract, changes={"add_commits": []})
    with set_actor(alice, remote_addr="198.51.100.4"):
        contract = world.contract
        contract.ending_before = datetime(2027, 3, 1, tzinfo=UTC)
        contract.net_payment_terms_days = 45
        contract.save(update_fields=["ending_before", "net_payment_terms_days"])
        rate_update(rate=world.rate, price=Decimal("3000"))
        customer_set_name(customer=world.customer, name="Acme Corp")
        alert_create(data={
            "name": "Spend over $5,000", "alert_type": "spend_threshold_reached",
            "threshold": 500000, "customer_id": str(world.customer.public_id),
        })  # fmt: skip
    return world


def test_finance_reads_the_audit_log(page, login, bob, world):
    login("bob")
    page.goto("/audit-log/")
    table = page.locator("#audit-table")
    rows = table.locator("tr.audit-entry")
    assert rows.count() == 4  # alice's four changes; the set-up was the system's
    text = table.inner_text()
    assert "Acme Corp — Enterprise 2026" in text or "Acme — Enterprise 2026" in text
    assert "end date Jun 1, 2027 → Mar 1, 2027" in " ".join(text.split())
    assert "$25.00 → $30.00" in " ".join(text.split())
    assert "ending_before" not in text and "object (" not in text
    element_shots(page, "audit-log", "main")

    page.get_by_label("Show system changes").check()
    page.locator("tr.audit-entry.system").first.wait_for()
    assert table.locator("tr.audit-entry.system").count() > 0
    assert "system=on" in page.url
    assert "object (" not in table.inner_text()
    element_shots(page, "audit-log-system", "main")
