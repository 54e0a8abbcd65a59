"""Subscriptions from the wire: create (contracts.create, add_subscriptions) and update
(update_subscriptions: quantity changes, seat assignments, mode switches), each checked
against the contract's rates and the quantity timeline before anything is written."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from billing_console.api import ApplicationError
from billing_console.lib.wire_values import iso, number
from billing_console.wire import Reader
from contracts.models import (
    Contract,
    QuantityChangeType,
    Subscription,
    SubscriptionQuantityChange,
)
from contracts.terms.subscriptions import NegativeQuantity, subscription_end, subscription_timeline

COLLECTION_SCHEDULES = ("ADVANCE", "ARREARS")
INVOICE_BEHAVIORS = ("BILL_IMMEDIATELY", "BILL_ON_NEXT_COLLECTION_DATE")
BILLING_FREQUENCIES = ("MONTHLY", "QUARTERLY", "ANNUAL", "WEEKLY")
PLACEMENTS = ("ON_USAGE_INVOICE", "ON_SCHEDULED_INVOICE")
MODES = ("QUANTITY_ONLY", "SEAT_BASED")
ROUNDING_METHODS = ("HALF_UP", "FLOOR", "CEILING")
ZERO = Decimal(0)


# --- validation -----------------------------------------------------------------------------


def _rounding(reader: Reader, key: str) -> dict[str, Any] | None:
    child = reader.child(key)
    if child is None:
        return None
    return {
        "decimal_places": number(child.decimal("decimal_places", required=True)),
        "rounding_method": child.choice("rounding_method", ROUNDING_METHODS, required=True),
    }


def _rate_check(reader: Reader, contract: Contract, sub: Subscription) -> None:
    """The subscription_rate must match a SUBSCRIPTION rate of the contract's rate card."""
    from pricing import selectors as pricing_selectors

    if contract.rate_card is None:
        raise reader.fail("subscription_rate", "the contract has no rate card to price it.")
    rates = [
        r
        for r in pricing_selectors.rates_for(
            contract.rate_card,
            starting_at=sub.starting_at,
            ending_before=sub.ending_before,
            product=sub.product,
        )
        if r.rate_type == "SUBSCRIPTION" and r.billing_frequency in ("", sub.billing_frequency)
    ]
    if not rates:
        raise reader.fail(
            "subscription_rate",
            f"the rate card has no {sub.billing_frequency} SUBSCRIPTION rate for product "
            f"{sub.product.public_id}.",
        )


def _product(reader: Reader) -> Any:
    from contracts.wire.read import product_from_wire as product_get

    product = product_get(reader, "product_id")
    if product.type != "SUBSCRIPTION":
        raise reader.fail("product_id", "must be a SUBSCRIPTION product.")
    return product


def _add_change(
    sub: Subscription,
    kind: str,
    at: datetime,
    path: str,
    paths: dict[int, str],
    quantity: Decimal | None = None,
    seats: list[str] | None = None,
) -> None:
    change = SubscriptionQuantityChange.objects.create(
        subscription=sub, starting_at=at, type=kind, quantity=quantity, seat_ids=seats or []
    )
    paths[change.pk] = path


def _check_timeline(sub: Subscription, paths: dict[int, str]) -> None:
    try:
        subscription_timeline(sub)
    except NegativeQuantity as err:
        path = paths.get(err.change.pk, "quantity")
        raise ApplicationError(
            f"{path}: would make the quantity negative ({err.quantity.normalize():f}) from "
            f"{iso(err.change.starting_at)}."
        ) from None


def subscription_create_from_wire(reader: Reader, *, contract: Contract) -> Subscription:
    """One subscription of a contract create or an add_subscriptions edit."""
    from contracts.wire.read import window_from_wire

    collection = reader.choice("collection_schedule", COLLECTION_SCHEDULES, required=True)
    proration = reader.child("proration", required=True)
    rate = reader.child("subscription_rate", required=True)
    assert proration is not None and rate is not None
    behavior = proration.choice(
        "invoice_behavior",
        INVOICE_BEHAVIORS,
        default="BILL_IMMEDIATELY" if collection == "ADVANCE" else "BILL_ON_NEXT_COLLECTION_DATE",
    )
    if behavior == "BILL_IMMEDIATELY" and collection != "ADVANCE":
        raise proration.fail("invoice_behavior", "BILL_IMMEDIATELY needs an ADVANCE subscription.")
    if reader.has("starting_at"):
        start, end = window_from_wire(reader)
    else:
        start, end = contract.starting_at, reader.datetime("ending_before")
        if end is not None and end <= start:
            raise reader.fail("ending_before", "must be after starting_at.")
    if start < contract.starting_at:
        raise reader.fail("starting_at", "may not be before the contract starts.")
    if contract.ending_before and start >= contract.ending_before:
        raise reader.fail("starting_at", "must be before the contract ends.")
    cycle = reader.child("billing_cycle_config")
    anchor, placement = contract.usage_statement_anchor, "ON_USAGE_INVOICE"
    if cycle is not None:
        anchor = cycle.datetime("anchor_date") or anchor
        placement = cycle.choice("invoice_placement", PLACEMENTS, default=placement)
    mode = reader.choice("quantity_management_mode", MODES, default="QUANTITY_ONLY")
    seat_config = reader.child("seat_config", required=mode == "SEAT_BASED")
    sub = Subscription(
        contract=contract,
        product=_product(rate),
        name=reader.str("name", max_length=200),
        description=reader.str("description"),
        collection_schedule=collection,
        billing_frequency=rate.choice("billing_frequency", BILLING_FREQUENCIES, required=True),
        billing_anchor=anchor,
        invoice_placement=placement,
        is_prorated=bool(proration.bool("is_prorated", True)),
        invoice_behavior=behavior,
        proration_rounding=_rounding(proration, "rounding"),
        quantity_management_mode=mode,
        starting_at=start,
        ending_before=end,
        custom_fields=reader.str_map("custom_fields"),
    )
    _rate_check(reader, contract, sub)
    paths: dict[int, str] = {}
    if mode == "QUANTITY_ONLY":
        quantity = reader.decimal("initial_quantity", required=True, minimum=ZERO)
        sub.save()
        _add_change(sub, QuantityChangeType.SET, start, "initial_quantity", paths, quantity)
    else:
        assert seat_config is not None
        sub.seat_group_key = seat_config.str("seat_group_key", required=True, max_length=200)
        seats = seat_config.str_list("initial_seat_ids")
        if not seat_config.has("initial_seat_ids"):
            raise seat_config.fail("initial_seat_ids", "is required.")
        unassigned = seat_config.decimal("initial_unassigned_seats", minimum=ZERO) or ZERO
        sub.save()
        if seats:
            _add_change(sub, QuantityChangeType.ADD_SEATS, start, "seat_config", paths, None, seats)
        _add_change(sub, QuantityChangeType.ADD_UNASSIGNED, start, "seat_config", paths, unassigned)
    return sub


def _changes_from_wire(item: Reader, sub: Subscription, paths: dict[int, str]) -> int:
    """quantity_updates and seat_updates of one update_subscriptions item; the count."""
    count = 0
    updates = item.children("quantity_updates")
    if updates and sub.quantity_management_mode != "QUANTITY_ONLY":
        raise item.fail("quantity_updates", "a SEAT_BASED subscription changes by seat_updates.")
    for update in updates:
        at = _change_start(update, sub)
        quantity = update.decimal("quantity", minimum=ZERO)
        delta = update.decimal("quantity_delta")
        if (quantity is None) == (delta is None):
            raise update.fail("quantity", "give either quantity or quantity_delta.")
        if delta is not None and delta == 0:
            raise update.fail("quantity_delta", "may not be zero.")
        kind = QuantityChangeType.SET if quantity is not None else QuantityChangeType.DELTA
        key = "quantity" if quantity is not None else "quantity_delta"
        _add_change(
            sub, kind, at, f"{update.path}.{key}", paths, quantity if delta is None else delta
        )
        count += 1
    seat_updates = item.child("seat_updates")
    if seat_updates is None:
        return count
    if sub.quantity_management_mode != "SEAT_BASED":
        raise item.fail("seat_updates", "only a SEAT_BASED subscription has seats.")
    for key, kind in (
        ("add_seat_ids", QuantityChangeType.ADD_SEATS),
        ("remove_seat_ids", QuantityChangeType.REMOVE_SEATS),
    ):
        for update in seat_updates.children(key):
            seats = update.str_list("seat_ids")
            if not seats:
                raise update.fail("seat_ids", "needs at least one seat id.")
            _add_change(sub, kind, _change_start(update, sub), update.path, paths, None, seats)
            count += 1
    for key, kind in (
        ("add_unassigned_seats", QuantityChangeType.ADD_UNASSIGNED),
        ("remove_unassigned_seats", QuantityChangeType.REMOVE_UNASSIGNED),
    ):
        for update in seat_updates.children(key):
            quantity = update.decimal("quantity", required=True, positive=True)
            _add_change(sub, kind, _change_start(update, sub), update.path, paths, quantity)
            count += 1
    return count


def _change_start(update: Reader, sub: Subscription) -> datetime:
    at = update.datetime("starting_at", required=True)
    assert at is not None
    if at < sub.starting_at:
        raise update.fail("starting_at", "may not be before the subscription starts.")
    end = subscription_end(sub)
    if end is not None and at >= end:
        raise update.fail("starting_at", "must be before the subscription ends.")
    return at


def subscription_update_from_wire(reader: Reader, *, contract: Contract) -> Subscription:
    """One update_subscriptions item: end date, name, rounding, mode, quantity or seats."""
    from contracts.wire.read import uuid_from_wire

    public_id = uuid_from_wire(
        reader, "subscription_id", reader.str("subscription_id", required=True)
    )
    sub = Subscription.objects.filter(
        contract=contract, public_id=public_id, archived_at__isnull=True
    ).first()
    if sub is None:
        raise reader.fail("subscription_id", f"no such subscription on this contract: {public_id}.")
    if "ending_before" in reader.data:
        end = reader.datetime("ending_before")
        if end is not None and end <= sub.starting_at:
            raise reader.fail("ending_before", "must be after the subscription's starting_at.")
        sub.ending_before = end
    if reader.has("name"):
        sub.name = reader.str("name", max_length=200)
    if "proration_rounding" in reader.data:
        sub.proration_rounding = _rounding(reader, "proration_rounding")
    mode_update = reader.child("quantity_management_mode_update")
    if mode_update is not None:
        mode_update.choice("quantity_management_mode", ("SEAT_BASED",), required=True)
        if sub.quantity_management_mode == "SEAT_BASED":
            raise mode_update.fail("quantity_management_mode", "the subscription is SEAT_BASED.")
        seat_config = mode_update.child("seat_config", required=True)
        assert seat_config is not None
        sub.seat_group_key = seat_config.str("seat_group_key", required=True, max_length=200)
        sub.quantity_management_mode = "SEAT_BASED"
    sub.save()
    paths: dict[int, str] = {}
    _changes_from_wire(reader, sub, paths)
    _check_timeline(sub, paths)
    return sub
