"""Subscriptions (fixed recurring fees and seats) on contracts: quantities and periods.

A subscription's quantity over time is the fold of its append-only SubscriptionQuantityChange
rows in (starting_at, pk) order: in effective-date order, then in the order they were sent
(Metronome: "set 12 on May 21, then a delta of -1 on May 21: 11 from that day").

Both quantity management modes fold into one state: `assigned` seat ids plus `unassigned`
seats; the quantity is their sum. QUANTITY_ONLY subscriptions only ever have unassigned seats,
so a SEAT_BASED switch (quantity_management_mode_update) keeps the quantity as unassigned seats.

Billing periods run at `billing_frequency` from `billing_anchor` (by default the contract's
usage statement anchor), clipped to the subscription's window. Invoicing the charges lives in
invoicing/subscriptions.py; creating and updating them from the wire in
subscription_input.py, reading them back in subscription_read.py.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from billing_console.lib.periods import FREQUENCY_MONTHS, Period, add_months, iter_periods
from contracts.models import (
    QuantityChangeType,
    Subscription,
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
