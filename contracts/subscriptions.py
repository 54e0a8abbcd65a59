"""Subscriptions (fixed recurring fees and seats) on contracts: create, update, read back.

A subscription's quantity over time is the fold of its append-only SubscriptionQuantityChange
rows in (starting_at, pk) order: in effective-date order, then in the order they were sent
(Metronome: "set 12 on May 21, then a delta of -1 on May 21: 11 from that day").

Both quantity management modes fold into one state: `assigned` seat ids plus `unassigned`
seats; the quantity is their sum. QUANTITY_ONLY subscriptions only ever have unassigned seats,
so a SEAT_BASED switch (quantity_management_mode_update) keeps the quantity as unassigned seats.

Billing periods run at `billing_frequency` from `billing_anchor` (by default the contract's
usage statement anchor), clipped to the subscription's window. Invoicing the charges lives in
invoicing/subscriptions.py; this module only knows quantities and periods.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from billing_console.api import ApplicationError
from billing_console.lib.periods import FREQUENCY_MONTHS, Period, add_months, iter_periods
from billing_console.wire import Reader
from contracts.models import (
    Contract,
    QuantityChangeType,
    Subscription,
    SubscriptionQuantityChange,
)

COLLECTION_SCHEDULES = ("ADVANCE", "ARREARS")
INVOICE_BEHAVIORS = ("BILL_IMMEDIATELY", "BILL_ON_NEXT_COLLECTION_DATE")
BILLING_FREQUENCIES = ("MONTHLY", "QUARTERLY", "ANNUAL", "WEEKLY")
PLACEMENTS = ("ON_USAGE_INVOICE", "ON_SCHEDULED_INVOICE")
MODES = ("QUANTITY_ONLY", "SEAT_BASED")
ROUNDING_METHODS = ("HALF_UP", "FLOOR", "CEILING")
ZERO = Decimal(0)


# --- the quantity fold (pure) ---------------------------------------------------------------


@dataclass(frozen=True)
class SeatState:
    assigned: tuple[str, ...] = ()
    unassigned: Decimal = ZERO

    @property
    def quantity(self) -> Decimal:
        return Decimal(len(self.assigned)) + self.unassigned


class NegativeQuantity(ValueError):
    def __init__(self, change: Any, quantity: Decimal) -> None:
        super().__init__(f"would make the quantity {quantity}")
        self.change = change
        self.quantity = quantity


def apply_change(state: SeatState, change: Any) -> SeatState:
    """One change applied to a state; raises NegativeQuantity for an impossible one."""
    kind, quantity, seats = change.type, change.quantity or ZERO, list(change.seat_ids or [])
    assigned, unassigned = list(state.assigned), state.unassigned
    if kind == QuantityChangeType.SET:
        unassigned = quantity - len(assigned)
    elif kind in (QuantityChangeType.DELTA, QuantityChangeType.ADD_UNASSIGNED):
        unassigned += quantity
    elif kind == QuantityChangeType.REMOVE_UNASSIGNED:
        unassigned -= min(quantity, max(unassigned, ZERO))
    elif kind == QuantityChangeType.ADD_SEATS:
        for seat in seats:
            if seat in assigned:
                continue
            assigned.append(seat)
            if unassigned >= 1:
                unassigned -= 1  # an unassigned seat is filled: the quantity is unchanged
    elif kind == QuantityChangeType.REMOVE_SEATS:
        assigned = [seat for seat in assigned if seat not in seats]
    if unassigned < 0:
        raise NegativeQuantity(change, Decimal(len(assigned)) + unassigned)
    return SeatState(tuple(assigned), unassigned)


def timeline(changes: list[Any]) -> list[tuple[datetime, SeatState]]:
    """(moment, state from then on) for each distinct moment at which changes apply."""
    state = SeatState()
    out: list[tuple[datetime, SeatState]] = []
    for change in sorted(changes, key=lambda c: (c.starting_at, c.pk or 0)):
        state = apply_change(state, change)
        if out and out[-1][0] == change.starting_at:
            out[-1] = (change.starting_at, state)
        else:
            out.append((change.starting_at, state))
    return out


def state_at(points: list[tuple[datetime, SeatState]], at: datetime) -> SeatState:
    current = SeatState()
    for moment, state in points:
        if moment > at:
            break
        current = state
    return current


def quantity_steps(
    points: list[tuple[datetime, SeatState]], period: Period
) -> tuple[Decimal, list[tuple[datetime, Decimal, Decimal]]]:
    """The quantity at the period's start and each change inside it: (moment, before, after)."""
    start = state_at(points, period.start).quantity
    steps, before = [], start
    for moment, state in points:
        if period.start < moment < period.end and state.quantity != before:
            steps.append((moment, before, state.quantity))
            before = state.quantity
    return start, steps


# --- periods --------------------------------------------------------------------------------


def subscription_end(sub: Subscription) -> datetime | None:
    return sub.ending_before or sub.contract.ending_before


def _rewound_anchor(anchor: datetime, frequency: str, before: datetime) -> datetime:
    """`anchor` moved back by whole periods until it is at or before `before`."""
    steps = 0
    moved = anchor
    while moved > before:
        steps += 1
        if frequency in FREQUENCY_MONTHS:
            moved = add_months(anchor, -FREQUENCY_MONTHS[frequency] * steps, anchor.day)
        else:
            moved = anchor - timedelta(days=(7 if frequency == "WEEKLY" else 1) * steps)
    return moved


def billing_periods(
    anchor: datetime, frequency: str, start: datetime, end: datetime | None, until: datetime
) -> Iterator[tuple[Period, Period]]:
    """(clipped, full) periods of a schedule anchored at `anchor`, within [start, end), for
    every period that starts before `until`."""
    for full in iter_periods(_rewound_anchor(anchor, frequency, start), frequency):
        if full.start >= until or (end is not None and full.start >= end):
            return
        if full.end <= start:
            continue  # the anchor's period ends where a later-starting subscription begins
        clipped = full.intersect(Period(start, end or full.end))
        if clipped is not None:
            yield clipped, full


def subscription_periods(sub: Subscription, until: datetime) -> Iterator[tuple[Period, Period]]:
    return billing_periods(
        sub.billing_anchor, sub.billing_frequency, sub.starting_at, subscription_end(sub), until
    )


def subscription_timeline(sub: Subscription) -> list[tuple[datetime, SeatState]]:
    return timeline(list(sub.quantity_changes.all()))


# --- validation -----------------------------------------------------------------------------


def _rounding(reader: Reader, key: str) -> dict[str, Any] | None:
    from contracts.wire import number

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
    from contracts.wire_read import product_from_wire as product_get

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
            f"{_iso(err.change.starting_at)}."
        ) from None


def subscription_create_from_wire(reader: Reader, *, contract: Contract) -> Subscription:
    """One subscription of a contract create or an add_subscriptions edit."""
    from contracts.wire_read import window_from_wire

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
    from contracts.wire_read import uuid_from_wire

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


# --- reading back ---------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    from contracts.wire import iso

    return iso(value)


def _periods_around(sub: Subscription, now: datetime) -> dict[str, Any]:
    """Previous, current and next billing periods (clipped) around `now`."""
    horizon = now + timedelta(days=800)
    previous = current = upcoming = None
    for clipped, _full in subscription_periods(sub, horizon):
        if clipped.end <= now:
            previous = clipped
        elif clipped.start <= now:
            current = clipped
        else:
            upcoming = clipped
            break
    return {
        key: {"starting_at": _iso(p.start), "ending_before": _iso(p.end)}
        for key, p in (("previous", previous), ("current", current), ("next", upcoming))
        if p is not None
    }


def quantity_schedule(sub: Subscription, now: datetime) -> list[dict[str, Any]]:
    """The current quantity and future changes, as the SDK's quantity_schedule."""
    from contracts.wire import number

    points = subscription_timeline(sub)
    end = subscription_end(sub)
    out: list[dict[str, Any]] = []
    for index, (moment, state) in enumerate(points):
        following = points[index + 1][0] if index + 1 < len(points) else end
        if following is not None and following <= now:
            continue  # wholly in the past
        item = {"quantity": number(state.quantity), "starting_at": _iso(moment)}
        if following is not None:
            item["ending_before"] = _iso(following)
        out.append(item)
    return out


def subscription_to_wire(sub: Subscription, *, now: datetime, credit_type_id: str) -> dict:
    """A subscription in the SDK's Subscription shape."""
    proration: dict[str, Any] = {
        "invoice_behavior": sub.invoice_behavior,
        "is_prorated": sub.is_prorated,
    }
    if sub.proration_rounding:
        proration["rounding"] = sub.proration_rounding
    data: dict[str, Any] = {
        "id": str(sub.public_id),
        "billing_periods": _periods_around(sub, now),
        "collection_schedule": sub.collection_schedule,
        "created_at": _iso(sub.created_at),
        "proration": proration,
        "quantity_management_mode": sub.quantity_management_mode,
        "quantity_schedule": quantity_schedule(sub, now),
        "starting_at": _iso(sub.starting_at),
        "ending_before": _iso(sub.ending_before),
        "subscription_rate": {
            "billing_frequency": sub.billing_frequency,
            "product": {"id": str(sub.product.public_id), "name": sub.product.name},
        },
        "billing_cycle_config": {
            "anchor_date": _iso(sub.billing_anchor),
            "invoice_placement": sub.invoice_placement,
        },
        "custom_fields": sub.custom_fields,
        "description": sub.description or None,
        "name": sub.name or None,
        "fiat_credit_type_id": credit_type_id,
        "seat_config": {"seat_group_key": sub.seat_group_key} if sub.seat_group_key else None,
    }
    return {k: v for k, v in data.items() if v is not None}


def subscription_unit_price(sub: Subscription, at: datetime) -> Decimal | None:
    """The rate card's SUBSCRIPTION price for the subscription's product at `at`."""
    from pricing import selectors as pricing_selectors

    if sub.contract.rate_card is None:
        return None
    for rate in pricing_selectors.rates_for(
        sub.contract.rate_card, starting_at=at, ending_before=None, product=sub.product
    ):
        if (
            rate.rate_type == "SUBSCRIPTION"
            and rate.billing_frequency in ("", sub.billing_frequency)
            and rate.starting_at <= at
            and (rate.ending_before is None or at < rate.ending_before)
        ):
            return rate.price
    return None


def quantity_history(sub: Subscription, *, now: datetime) -> list[dict[str, Any]]:
    """Past and current quantities with their prices (getSubscriptionQuantityHistory): no
    future changes."""
    from contracts.wire import number

    out = []
    for moment, state in subscription_timeline(sub):
        if moment > now:
            break
        price = subscription_unit_price(sub, moment) or ZERO
        out.append(
            {
                "starting_at": _iso(moment),
                "data": [
                    {
                        "quantity": number(state.quantity),
                        "unit_price": number(price),
                        "total": number(state.quantity * price),
                    }
                ],
            }
        )
    return out


def seats_history(
    sub: Subscription,
    *,
    starting_at: datetime | None = None,
    ending_before: datetime | None = None,
    covering_date: datetime | None = None,
) -> list[dict[str, Any]]:
    """Segments of assigned seats and total quantity (getSubscriptionSeatsHistory)."""
    points = subscription_timeline(sub)
    end = subscription_end(sub)
    out = []
    for index, (moment, state) in enumerate(points):
        following = points[index + 1][0] if index + 1 < len(points) else end
        if covering_date is not None and not (
            moment <= covering_date and (following is None or covering_date < following)
        ):
            continue
        if starting_at is not None and following is not None and following <= starting_at:
            continue
        if ending_before is not None and moment > ending_before:
            continue
        out.append(
            {
                "starting_at": _iso(moment),
                "ending_before": _iso(following),
                "assigned_seat_ids": list(state.assigned),
                "total_quantity": int(state.quantity),
            }
        )
    return out
