"""Editing scheduled charges in place: update_scheduled_charges of a /v2/contracts/edit (its
invoice schedule's add_, update_ and remove_schedule_items).

A finalized invoice never changes what it says: an item already on a finalized SCHEDULED
invoice cannot be changed or removed, and no item can be moved or added to a moment whose
SCHEDULED invoice is finalized, or to the contract's end or after (it would never be invoiced).
Items on a draft are free to change; the draft is recomputed after the edit
(contracts.signals.contract_billing_changed).
"""

from datetime import datetime
from decimal import Decimal
from typing import Any

from billing_console.wire import Reader
from contracts.models import Contract, ScheduledCharge, ScheduledChargeItem
from contracts.terms.create import priced_item
from contracts.terms.external_ids import external_id_from_wire
from contracts.terms.finalized_moments import finalized_scheduled_invoices, open_moment, when
from contracts.wire.read import uuid_from_wire

ON_FINALIZED = (
    "this schedule item is on finalized invoice {number} ({when}), which does not change."
)
AMOUNT_MISMATCH = "must equal unit_price times quantity ({expected}), or be sent alone."


def _item(charge: ScheduledCharge, reader: Reader, finalized: dict) -> ScheduledChargeItem:
    public_id = uuid_from_wire(reader, "id", reader.str("id", required=True))
    item = charge.items.filter(public_id=public_id).first()
    if item is None:
        raise reader.fail("id", f"no schedule item {public_id} on this scheduled charge.")
    if item.timestamp in finalized:
        number = finalized[item.timestamp]
        raise reader.fail("id", ON_FINALIZED.format(number=number, when=when(item.timestamp)))
    return item


def _reprice(row: ScheduledChargeItem, reader: Reader) -> None:
    """Amount alone: one unit at that price. Quantity or unit price: the amount follows them
    (an amount sent with them must agree), so an invoice line always reads quantity times price."""
    quantity = reader.decimal("quantity", minimum=Decimal(0))
    unit_price = reader.decimal("unit_price", minimum=Decimal(0))
    amount = reader.decimal("amount", minimum=Decimal(0))
    if quantity is None and unit_price is None:
        if amount is not None:
            row.amount, row.quantity, row.unit_price = amount, Decimal(1), amount
        return
    row.quantity = quantity if quantity is not None else row.quantity
    row.unit_price = unit_price if unit_price is not None else row.unit_price
    expected = row.quantity * row.unit_price
    if amount is not None and amount != expected:
        raise reader.fail("amount", AMOUNT_MISMATCH.format(expected=f"{expected.normalize():f}"))
    row.amount = expected


def _was(row: ScheduledChargeItem) -> dict[str, str]:
    return {"timestamp": row.timestamp.isoformat(), "amount": f"{row.amount.normalize():f}"}


def _schedule(
    charge: ScheduledCharge, schedule: Reader, finalized: dict, end: datetime | None, was: dict
) -> None:
    for item in schedule.children("remove_schedule_items"):
        row = _item(charge, item, finalized)
        was[str(row.public_id)] = _was(row)
        row.delete()
    for item in schedule.children("update_schedule_items"):
        row = _item(charge, item, finalized)
        was[str(row.public_id)] = _was(row)
        moment = item.datetime("timestamp")
        if moment is not None:
            row.timestamp = open_moment(item, moment, finalized, end)
        _reprice(row, item)
        row.save()
    for item in schedule.children("add_schedule_items"):
        moment = open_moment(item, item.datetime("timestamp", required=True), finalized, end)  # type: ignore[arg-type]
        amount, quantity, unit_price = priced_item(item)
        ScheduledChargeItem.objects.create(
            charge=charge,
            timestamp=moment,
            amount=amount,
            quantity=quantity,
            unit_price=unit_price,
        )


def scheduled_charges_update_from_wire(
    contract: Contract,
    reader: Reader,
    key: str = "update_scheduled_charges",
    was: dict | None = None,
) -> list[dict[str, Any]]:
    """Apply each update_scheduled_charges item; returns them as applied, for the edit record
    ({"id": <charge id>, "invoice_schedule": {...}, ...as sent}). `was` collects each removed
    or updated schedule item's timestamp and amount before the edit, by item id."""
    was = {} if was is None else was
    finalized = finalized_scheduled_invoices(contract)
    applied = []
    for item in reader.children(key):
        public_id = uuid_from_wire(
            item, "scheduled_charge_id", item.str("scheduled_charge_id", required=True)
        )
        charge = ScheduledCharge.objects.filter(contract=contract, public_id=public_id).first()
        if charge is None:
            raise item.fail("scheduled_charge_id", f"no such item on this contract: {public_id}.")
        if charge.archived_at is not None:
            raise item.fail("scheduled_charge_id", "the scheduled charge is archived.")
        if "netsuite_sales_order_id" in item.data:  # null clears it
            charge.netsuite_sales_order_id = external_id_from_wire(item, "netsuite_sales_order_id")
            charge.save(update_fields=["netsuite_sales_order_id"])
        schedule = item.child("invoice_schedule")
        if schedule is not None:
            _schedule(charge, schedule, finalized, contract.ending_before, was)
        body = {k: v for k, v in item.data.items() if k != "scheduled_charge_id"}
        applied.append({"id": str(charge.public_id), **body})
    return applied
