"""The scheduled charges card: archiving one upcoming item removes that item only (recorded as
an update_scheduled_charges edit, as the API would), an invoiced item is refused (422), the
whole charge is its own action; items by date with the invoiced ones marked; and the edit
history's old → new."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from contracts.edits import contract_edit
from contracts.models import Commit, ContractEdit, ScheduledCharge, ScheduledChargeItem
from contracts.tests.factories import HTMX
from invoicing.models import Invoice
from invoicing.services import contract_invoices_refresh, invoice_finalize
from invoicing.tests.factories import priced_world
from pricing.services import product_create

NOW = datetime(2026, 4, 20, 12, tzinfo=UTC)


def _month(year: int, month: int, day: int = 1) -> str:
    return f"{year}-{month:02d}-{day:02d}T00:00:00Z"


def monthly_fee_world():
    """A Platform fee of 12 monthly items from Feb 2026 (Feb's invoice finalized), and a later
    added one-off Onboarding dated before them all."""
    world = priced_world(contract_extra={"ending_before": _month(2027, 3)})
    fee = product_create(name="Platform fee", type="FIXED")
    months = [(2026 + (m - 1) // 12, (m - 1) % 12 + 1) for m in range(2, 14)]
    for name, items in (
        ("Platform fee", [{"timestamp": _month(y, m), "amount": 100_000} for y, m in months]),
        ("Onboarding", [{"timestamp": _month(2026, 1, 15), "amount": 50_000}]),
    ):
        contract_edit(contract=world.contract, data={"add_scheduled_charges": [
            {"product_id": str(fee.public_id), "name": name, "schedule": {"schedule_items": items}}]})  # fmt: skip
    with time_machine.travel(NOW, tick=False):
        contract_invoices_refresh(contract=world.contract)
        feb = Invoice.objects.get(type="SCHEDULED", period_start=datetime(2026, 2, 1, tzinfo=UTC))
        world.number = invoice_finalize(invoice=feb).number
    world.fee = ScheduledCharge.objects.get(name="Platform fee")
    return world


@pytest.fixture
def world(db):
    return monthly_fee_world()


def _item(world, month: int) -> ScheduledChargeItem:
    return world.fee.items.get(timestamp=datetime(2026, month, 1, tzinfo=UTC))


def _archive_item(client, world, item, **extra):
    url = reverse("contracts:contract-archive-charge-item", args=[world.contract.public_id, item.public_id])  # fmt: skip
    with time_machine.travel(NOW, tick=False):
        return client.post(url, **extra)


def _page(client, world, name: str = "contract-detail") -> str:
    with time_machine.travel(NOW, tick=False):
        return client.get(reverse(f"contracts:{name}", args=[world.contract.public_id])).content.decode()  # fmt: skip


def _card(client, world) -> str:
    return _page(client, world).split('id="charges-card"')[1].split("</table>")[0]


def test_archiving_one_item_leaves_the_other_eleven_and_records_the_edit(client, dave, world):
    client.force_login(dave)
    march = _item(world, 3)
    response = _archive_item(client, world, march, **HTMX)
    assert response.status_code == 200 and response["HX-Redirect"]
    assert world.fee.items.count() == 11 and not world.fee.items.filter(pk=march.pk).exists()
    world.fee.refresh_from_db()
    assert world.fee.archived_at is None
    edit = ContractEdit.objects.order_by("-pk").first()
    assert edit.actor == "dave" and "update_scheduled_charges" in edit.changes
    assert edit.wire["update_scheduled_charges"][0]["invoice_schedule"] == {
        "remove_schedule_items": [{"id": str(march.public_id)}]
    }
    assert "removed Mar 1, 2026 $1,000.00" in _page(client, world, "contract-history")


def test_an_invoiced_item_cannot_be_archived_alone(client, dave, world):
    client.force_login(dave)
    february = _item(world, 2)
    response = _archive_item(client, world, february, **HTMX)
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="charges-card"' in html and "<html" not in html  # the card alone
    assert f"finalized invoice {world.number}" in html
    assert world.fee.items.count() == 12
    response = _archive_item(client, world, february)  # without htmx: the page, with the refusal
    assert response.status_code == 422 and f"finalized invoice {world.number}" in response.content.decode()  # fmt: skip


def test_archiving_the_whole_charge_is_its_own_action(client, dave, world):
    client.force_login(dave)
    assert "Archive the charge: its 11 upcoming items" in _page(client, world)
    url = reverse("contracts:contract-archive-item", args=[world.contract.public_id, "charge", world.fee.public_id])  # fmt: skip
    with time_machine.travel(NOW, tick=False):
        client.post(url, **HTMX)
    world.fee.refresh_from_db()
    assert world.fee.archived_at is not None
    assert "Platform fee" not in _card(client, world)


def test_items_are_by_date_and_invoiced_ones_are_marked(client, dave, world):
    client.force_login(dave)
    card = _card(client, world)
    assert card.index("Onboarding") < card.index("Platform fee")  # its only item comes first
    dates = [f"{datetime(y, m, 1):%b} 1, {y}" for y, m in [(2026, m) for m in range(2, 13)] + [(2027, 1)]]  # fmt: skip
    positions = [card.index(d) for d in dates]
    assert positions == sorted(positions)
    february = card.split(f'id="charge-item-{_item(world, 2).public_id}"')[1].split("</tr>")[0]
    assert 'class="muted"' in card.split(f"charge-item-{_item(world, 2).public_id}")[1][:20]
    assert f"invoiced {world.number}" in february and "Archive item" not in february
    march = card.split(f'id="charge-item-{_item(world, 3).public_id}"')[1].split("</tr>")[0]
    assert "badge" not in march and "Archive item" in march


def test_history_shows_old_and_new_values(client, dave, world):
    client.force_login(dave)
    product = product_create(name="Prepaid", type="FIXED")
    segment = {"amount": 10_000, "starting_at": _month(2026, 1), "ending_before": _month(2027, 1)}
    contract_edit(contract=world.contract, data={"add_commits": [{"type": "PREPAID", "product_id": str(product.public_id),
        "name": "Annual", "priority": 5, "access_schedule": {"schedule_items": [segment]}}]})  # fmt: skip
    commit = Commit.objects.get(name="Annual")
    with time_machine.travel(NOW, tick=False):
        contract_edit(contract=world.contract, data={"update_contract_end_date": _month(2027, 2)})
        contract_edit(contract=world.contract, data={"update_commits": [{"commit_id": str(commit.public_id), "priority": 2, "name": "Annual 2026"}]})  # fmt: skip
    history = _page(client, world, "contract-history")
    assert "Mar 1, 2027 → Feb 1, 2027" in history
    assert "priority 5 → 2" in history and "name Annual → Annual 2026" in history
    # An edit recorded before old values were: the new value only.
    edit = ContractEdit.objects.filter(changes__has_key="update_contract_end_date").get()
    edit.changes.pop("previous")
    edit.save(update_fields=["changes"])
    history = _page(client, world, "contract-history")
    assert "→ Feb 1, 2027" in history and "Mar 1, 2027 → Feb 1, 2027" not in history
