"""Discounts from the wire (`discounts[]` of a create, `add_discounts[]` of a v2 edit) and back.

A discount's amounts are sent positive, as the size of the reduction (the SDK's schedule item:
amount, or unit_price x quantity); invoicing bills each item as a negative line on the SCHEDULED
invoice at its timestamp (invoicing/scheduled_terms.py). A negative amount is refused rather
than guessed at. The schedule is `schedule_items` or a `recurring_schedule`, stored as the items
it expands to (contracts/terms/recurring_schedule.py) and read back as `schedule_items`.
"""

from typing import Any

from billing_console.custom_fields import custom_fields_validate
from billing_console.lib.wire_values import iso, number
from billing_console.wire import MAX_NUMBER, Reader
from contracts.models import Contract, Discount, DiscountItem
from contracts.terms.create import priced_item
from contracts.terms.finalized_moments import (
    INTO_FINALIZED,
    before_end,
    finalized_scheduled_invoices,
    when,
)
from contracts.terms.recurring_schedule import ScheduleItem, recurring_items
from contracts.wire.read import product_from_wire

POSITIVE = "a discount's amount is the size of the reduction: send it as a positive number."


def _checked_sign(item: Reader) -> None:
    for key in ("amount", "unit_price", "quantity"):
        value = item.decimal(key)
        if value is not None and value < 0:
            raise item.fail(key, POSITIVE)


def _point_items(schedule: Reader) -> list[ScheduleItem]:
    items = []
    for item in schedule.children("schedule_items"):
        _checked_sign(item)
        timestamp = item.datetime("timestamp", required=True)
        amount, quantity, unit_price = priced_item(item)
        items.append(
            ScheduleItem(
                timestamp,  # type: ignore[arg-type]
                amount,
                quantity,
                unit_price,
            )
        )
    return items


def schedule_from_wire(schedule: Reader) -> list[ScheduleItem]:
    """The items of a discount's `schedule`: its schedule_items or its recurring_schedule."""
    recurring = schedule.child("recurring_schedule")
    if recurring is not None and schedule.list("schedule_items"):
        raise schedule.fail("recurring_schedule", "is sent instead of schedule_items, not with them.")  # fmt: skip
    if recurring is not None:
        _checked_sign(recurring)
        items = recurring_items(recurring)
        key = "recurring_schedule"
    else:
        items = _point_items(schedule)
        key = "schedule_items"
    if not items:
        raise schedule.fail("schedule_items", "needs at least one item (or a recurring_schedule).")
    if any(i.amount >= MAX_NUMBER for i in items):  # unit_price x quantity, past what is stored
        raise schedule.fail(key, "gives an amount out of range.")
    return items


def discount_create_from_wire(reader: Reader, contract: Contract) -> Discount:
    product = product_from_wire(reader, "product_id")
    name = reader.str("name", max_length=200)
    custom_fields = reader.str_map("custom_fields")
    if custom_fields:
        custom_fields_validate(entity="discount", values=custom_fields)
    schedule = reader.child("schedule", required=True)
    items = schedule_from_wire(schedule)  # type: ignore[arg-type]
    finalized = finalized_scheduled_invoices(contract)
    recurring = schedule.has("recurring_schedule")  # type: ignore[union-attr]
    for index, item in enumerate(items):  # it would never be invoiced
        key = "recurring_schedule" if recurring else f"schedule_items[{index}].timestamp"
        if item.timestamp in finalized:
            why = INTO_FINALIZED.format(when=when(item.timestamp), number=finalized[item.timestamp])
            raise schedule.fail(key, why)  # type: ignore[union-attr]
        before_end(schedule, item.timestamp, contract.ending_before, key)  # type: ignore[arg-type]
    discount = Discount.objects.create(
        contract=contract,
        product=product,
        name=name,
        custom_fields=custom_fields,
        netsuite_sales_order_id=reader.str("netsuite_sales_order_id", max_length=255),
    )
    for i in items:  # one by one: each row gets its audit log entry
        DiscountItem.objects.create(
            discount=discount,
            timestamp=i.timestamp,
            amount=i.amount,
            quantity=i.quantity,
            unit_price=i.unit_price,
        )
    return discount


def discount_to_wire(discount: Discount) -> dict[str, Any]:
    """The SDK's shared Discount: amounts as sent (positive, the credit type's unit)."""
    data = {
        "id": str(discount.public_id),
        "product": {"id": str(discount.product.public_id), "name": discount.product.name},
        "name": discount.name or None,
        "custom_fields": discount.custom_fields,
        "netsuite_sales_order_id": discount.netsuite_sales_order_id or None,
        "schedule": {
            "schedule_items": [
                {
                    "id": str(i.public_id),
                    "amount": number(i.amount),
                    "quantity": number(i.quantity),
                    "unit_price": number(i.unit_price),
                    "timestamp": iso(i.timestamp),
                }
                for i in discount.items.all()
            ]
        },
    }
    return {k: v for k, v in data.items() if v is not None}


def contract_discounts(contract: Contract) -> list[Discount]:
    return list(
        contract.discounts.select_related("product").prefetch_related("items").order_by("pk")
    )
