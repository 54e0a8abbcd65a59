"""update_scheduled_charges of a v2 edit (contracts/terms/charge_edits.py) through the official
SDK: items added, changed and removed read back as sent; a draft SCHEDULED invoice is recomputed
to the cent (or voided when nothing is left on it); an item on a finalized invoice cannot change,
and nothing can be dated into a finalized one."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import metronome
import pytest
import time_machine

from billing_console.tests.read_back import ReadBack, assert_shows
from contracts.edits import contract_edit
from contracts.models import ContractEdit, ScheduledChargeItem
from contracts.wire.fields import CONTRACT_EDIT
from contracts.wire.fields.charge_updates import CHARGE_UPDATES
from invoicing.models import Invoice
from invoicing.services import contract_invoices_refresh, invoice_finalize
from invoicing.tests.factories import priced_world
from pricing.services import product_create

pytestmark = pytest.mark.sdk

NOW = datetime(2026, 4, 20, 12, tzinfo=UTC)
PATH = "update_scheduled_charges[]"


def _at(month: int, day: int = 1) -> str:
    return f"2026-{month:02d}-{day:02d}T00:00:00Z"


@pytest.fixture
def shop(db):
    world = priced_world()
    fee = product_create(name="Platform fee", type="FIXED")
    contract_edit(contract=world.contract, data={"add_scheduled_charges": [
        {"product_id": str(fee.public_id), "name": "Platform fee", "schedule": {"schedule_items": [
            {"timestamp": _at(m), "amount": a} for m, a in ((2, 100_000), (3, 100_000), (4, 50_000))]}},
        {"product_id": str(fee.public_id), "name": "Support", "schedule": {"schedule_items": [
            {"timestamp": _at(2, 15), "unit_price": 2_500, "quantity": 4}]}},
    ]})  # fmt: skip
    ids = {"customer_id": str(world.customer.public_id), "contract_id": str(world.contract.public_id)}  # fmt: skip
    return world, ids


def _charges(sdk, ids) -> dict[str, dict[str, Any]]:
    got = sdk.v2.contracts.retrieve(**ids).data.to_dict(mode="json")
    return {c["name"]: c for c in got["scheduled_charges"]}


def _items(charge: dict) -> dict[str, dict]:
    return {i["timestamp"][:10]: i for i in charge["schedule"]["schedule_items"]}


def test_update_scheduled_charges_read_back_as_sent(sdk, shop):
    _world, ids = shop
    before = _charges(sdk, ids)
    fee, support = before["Platform fee"], before["Support"]
    feb, mar, apr = (_items(fee)[f"2026-0{m}-01"]["id"] for m in (2, 3, 4))
    sent = [
        {"scheduled_charge_id": fee["id"], "netsuite_sales_order_id": "SO-1001",
         "invoice_schedule": {
             "update_schedule_items": [{"id": feb, "timestamp": _at(2, 2), "amount": 120_000},
                                       {"id": mar, "unit_price": 1_234.5, "quantity": 3}],
             "remove_schedule_items": [{"id": apr}],
             "add_schedule_items": [{"timestamp": _at(6), "unit_price": 50_000, "quantity": 2,
                                     "amount": 100_000}]}},
        {"scheduled_charge_id": support["id"],
         "invoice_schedule": {"add_schedule_items": [{"timestamp": _at(7), "amount": 777}]}},
    ]  # fmt: skip
    edit = sdk.v2.contracts.edit(**ids, update_scheduled_charges=sent).data.edit
    after = _charges(sdk, ids)

    rb = ReadBack()
    rb.seen |= {f"{PATH}.scheduled_charge_id", f"{PATH}.invoice_schedule"}
    for update, name in zip(sent, ("Platform fee", "Support"), strict=True):
        row = after[name]
        assert row["id"] == update["scheduled_charge_id"]
        schedule, items = update["invoice_schedule"], row["schedule"]["schedule_items"]
        by_id = {i["id"]: i for i in items}
        for changed in schedule.get("update_schedule_items", []):
            rb.seen.add(f"{PATH}.invoice_schedule.update_schedule_items")
            rb.check(changed, by_id[changed["id"]], f"{PATH}.invoice_schedule.update_schedule_items[]")  # fmt: skip
        for removed in schedule.get("remove_schedule_items", []):
            assert removed["id"] not in by_id
            rb.seen |= {f"{PATH}.invoice_schedule.remove_schedule_items{t}" for t in ("", "[].id")}
        added = schedule.get("add_schedule_items", [])
        rb.items(added, items, f"{PATH}.invoice_schedule.add_schedule_items[]", key="timestamp")
    assert _items(after["Platform fee"])["2026-03-01"]["amount"] == 3_703.5  # 3 x 1,234.5
    rb.check("SO-1001", after["Platform fee"]["netsuite_sales_order_id"], f"{PATH}.netsuite_sales_order_id")  # fmt: skip

    # The edit as returned (and listed by getEditHistory), in the SDK's shape.
    assert [u.id for u in edit.update_scheduled_charges] == [fee["id"], support["id"]]
    assert edit.update_scheduled_charges[0].invoice_schedule.remove_schedule_items[0].id == apr
    history = sdk.v2.contracts.get_edit_history(**ids).data
    assert [u.id for u in history[-1].update_scheduled_charges] == [fee["id"], support["id"]]

    # null clears the NetSuite id; an unknown item is a 400 naming it.
    sdk.v2.contracts.edit(**ids, update_scheduled_charges=[
        {"scheduled_charge_id": fee["id"], "netsuite_sales_order_id": None}])  # fmt: skip
    assert _charges(sdk, ids)["Platform fee"]["netsuite_sales_order_id"] is None
    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v2.contracts.edit(**ids, update_scheduled_charges=[{
            "scheduled_charge_id": fee["id"],
            "invoice_schedule": {"remove_schedule_items": [{"id": apr}]}}])  # fmt: skip
    assert err.value.body["message"].startswith(
        "update_scheduled_charges[0].invoice_schedule.remove_schedule_items[0].id: no schedule item"
    )
    assert_shows(rb.seen, CHARGE_UPDATES, CONTRACT_EDIT)


def _scheduled() -> list[tuple[str, str, Decimal]]:
    return [
        (f"{i.period_start:%b %-d}", i.status, i.total)
        for i in Invoice.objects.filter(type="SCHEDULED").order_by("period_start", "pk")
    ]


def test_edits_recompute_drafts_and_leave_finalized_invoices_alone(sdk, shop):
    world, ids = shop
    with time_machine.travel(NOW, tick=False):
        contract_invoices_refresh(contract=world.contract)
        feb_invoice = Invoice.objects.get(type="SCHEDULED", period_start=datetime(2026, 2, 1, tzinfo=UTC))  # fmt: skip
        number = invoice_finalize(invoice=feb_invoice).number
    fee = _charges(sdk, ids)["Platform fee"]
    feb, mar, apr = (_items(fee)[f"2026-0{m}-01"]["id"] for m in (2, 3, 4))

    # A draft is recomputed at once, to the cent: 3 x $12.345 = $37.035, rounded half up to
    # $37.04; the April draft has nothing left on it and is voided.
    with time_machine.travel(NOW, tick=False):
        sdk.v2.contracts.edit(**ids, update_scheduled_charges=[{
            "scheduled_charge_id": fee["id"], "invoice_schedule": {
                "update_schedule_items": [{"id": mar, "unit_price": 1_234.5, "quantity": 3}],
                "remove_schedule_items": [{"id": apr}]}}])  # fmt: skip
    assert _scheduled() == [
        ("Feb 1", "FINALIZED", Decimal("100000")),
        ("Feb 15", "DRAFT", Decimal("10000")),  # Support: 4 x $25.00, untouched
        ("Mar 1", "DRAFT", Decimal("3704")),
        ("Apr 1", "VOID", Decimal("50000")),
    ]
    march = Invoice.objects.get(type="SCHEDULED", period_start=datetime(2026, 3, 1, tzinfo=UTC))
    [line] = march.lines.all()
    assert (line.quantity, line.unit_price, line.total_unrounded) == (3, Decimal("1234.5"), Decimal("3703.5"))  # fmt: skip
    edit = ContractEdit.objects.filter(changes__has_key="update_scheduled_charges").get()
    assert edit.changes["draft_invoices"]["voided"] == [
        str(Invoice.objects.get(type="SCHEDULED", status="VOID").public_id)
    ]

    # What a finalized invoice says does not change: each of these is a 400 naming the field.
    on_feb = f"is on finalized invoice {number} (2026-02-01T00:00:00Z), which does not change."
    into_feb = f"the scheduled invoice of 2026-02-01T00:00:00Z is finalized ({number})"
    refused = [
        ({"update_schedule_items": [{"id": feb, "amount": 1}]}, "update_schedule_items[0].id", on_feb),
        ({"remove_schedule_items": [{"id": feb}]}, "remove_schedule_items[0].id", on_feb),
        ({"add_schedule_items": [{"timestamp": _at(2), "amount": 5}]}, "add_schedule_items[0].timestamp", into_feb),
        ({"update_schedule_items": [{"id": mar, "timestamp": _at(2)}]}, "update_schedule_items[0].timestamp", into_feb),
        ({"update_schedule_items": [{"id": mar, "amount": 100, "unit_price": 10, "quantity": 3}]},
         "update_schedule_items[0].amount", "must equal unit_price times quantity (30)"),
    ]  # fmt: skip
    items = sorted(ScheduledChargeItem.objects.values_list("timestamp", "amount"))
    edits = ContractEdit.objects.count()
    for schedule, field, why in refused:
        with time_machine.travel(NOW, tick=False), pytest.raises(metronome.BadRequestError) as err:
            sdk.v2.contracts.edit(**ids, update_scheduled_charges=[
                {"scheduled_charge_id": fee["id"], "invoice_schedule": schedule}])  # fmt: skip
        message = err.value.body["message"]
        assert message.startswith(f"update_scheduled_charges[0].invoice_schedule.{field}: "), (
            message
        )
        assert why in message
    assert sorted(ScheduledChargeItem.objects.values_list("timestamp", "amount")) == items
    assert ContractEdit.objects.count() == edits
    assert _scheduled()[0] == ("Feb 1", "FINALIZED", Decimal("100000"))


def test_nothing_new_is_dated_into_a_finalized_scheduled_invoice(sdk, shop):
    """add_scheduled_charges, add_discounts and a new commit's invoice schedule dated at the
    moment of a finalized SCHEDULED invoice would never be invoiced: a 400 naming the item,
    and nothing written."""
    world, ids = shop
    with time_machine.travel(NOW, tick=False):
        contract_invoices_refresh(contract=world.contract)
        feb = Invoice.objects.get(type="SCHEDULED", period_start=datetime(2026, 2, 1, tzinfo=UTC))
        number = invoice_finalize(invoice=feb).number
    product = str(product_create(name="Setup", type="FIXED").public_id)
    into_feb = f"the scheduled invoice of 2026-02-01T00:00:00Z is finalized ({number})"
    item = {"timestamp": _at(2), "amount": 500}
    refused = [
        ({"add_scheduled_charges": [{"product_id": product, "schedule": {
            "schedule_items": [{"timestamp": _at(5), "amount": 1}, item]}}]},
         "add_scheduled_charges[0].schedule.schedule_items[1].timestamp"),
        ({"add_discounts": [{"product_id": product, "schedule": {"schedule_items": [item]}}]},
         "add_discounts[0].schedule.schedule_items[0].timestamp"),
        ({"add_commits": [{"product_id": product, "type": "PREPAID",
                           "access_schedule": {"schedule_items": [
                               {"amount": 500, "starting_at": _at(2), "ending_before": _at(12)}]},
                           "invoice_schedule": {"schedule_items": [item]}}]},
         "add_commits[0].invoice_schedule.schedule_items[0].timestamp"),
    ]  # fmt: skip
    charges = ScheduledChargeItem.objects.count()
    edits = ContractEdit.objects.count()
    for body, field in refused:
        with time_machine.travel(NOW, tick=False), pytest.raises(metronome.BadRequestError) as err:
            sdk.v2.contracts.edit(**ids, **body)
        message = err.value.body["message"]
        assert message.startswith(f"{field}: "), message
        assert into_feb in message
    assert ScheduledChargeItem.objects.count() == charges
    assert ContractEdit.objects.count() == edits
    assert world.contract.commits.count() == 0
    assert world.contract.discounts.count() == 0
