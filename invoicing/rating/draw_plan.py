"""Drawdown planning, pure: which commit segments pay for how much of each line, at what price.

No Django and no clock: the caller (invoicing.rating.drawdown) turns commits, segments, rates
and overrides into the plain values below and makes lines and draws of what comes back.

A usage line is a quantity priced by its list `Pricer` (rate card and contract overrides) in
the line's own unit: the contract's fiat, or a custom pricing unit that `to_fiat` converts.
Each segment that may pay for the line offers its terms: the list price, or its own price (a
COMMIT_RATE commit's commit rate, or the list price under its commit-specific overrides).
Segments are visited in the caller's order (priority, soonest expiry, age). A segment in the
line's unit pays for as much of the quantity still owed as its balance covers at its price; a
fiat segment pays the converted amount of a custom-unit line; a segment in another custom
unit pays nothing. What no segment covers stays at the list price and is owed. A postpaid
commit records the spend but does not pay: the usage stays on the invoice.

When a segment's price differs from the list price, the units it pays for become a line of
their own at that price, and the line keeps the rest; otherwise the line is unchanged and the
segment draws from its rounded total, as before such prices existed.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from billing_console.lib.money import round_line
from pricing import rating

ZERO = Decimal(0)


@dataclass(frozen=True)
class Pricer:
    """A price per unit: graduated tiers (a flat price is one unbounded tier), in the line's
    unit. `label` says which price it is for the invoice (LIST_RATE, COMMIT_RATE, ...)."""

    tiers: tuple[rating.Tier, ...]
    label: str = "LIST_RATE"
    detail: Any = None  # the caller's price object, handed back on the split line

    def cost(self, quantity: Decimal, used: Decimal) -> Decimal:
        return rating.tiered(quantity, self.tiers, already_used=used).amount

    def covers(self, amount: Decimal, used: Decimal) -> Decimal:
        return rating.quantity_for_amount(amount, self.tiers, already_used=used)


@dataclass(frozen=True)
class LineIn:
    """A line that segments may pay for. `pricer` None: amount-only (composite, subscription
    lines): segments draw from `total` and nothing is repriced."""

    total: Decimal  # the line's rounded fiat total at its list price
    quantity: Decimal = ZERO
    used: Decimal = ZERO  # units priced before this line (tiers)
    pricer: Pricer | None = None
    unit: Any = None  # None: the contract's fiat; else a custom unit's key
    to_fiat: Decimal = Decimal(1)  # fiat per unit of `unit`
    unit_places: int = 0  # decimal places of an amount in `unit`


@dataclass(frozen=True)
class SegmentIn:
    key: Any
    unit: Any  # None: the contract's fiat
    available: Decimal  # what the segment can give this invoice, in its unit
    pays: bool = True  # False for a postpaid commit: spend is tracked, usage still owed
    unit_places: int = 0


@dataclass
class Portion:
    """Units of a line paid for by a segment at a price other than the list price."""

    segment: Any
    quantity: Decimal
    pricer: Pricer
    native: Decimal  # rounded cost in the line's unit
    fiat: Decimal  # rounded cost in fiat


@dataclass
class LineOut:
    """The plan for one line: `portions` at their own prices, then the rest at list."""

    portions: list[Portion] = field(default_factory=list)
    list_quantity: Decimal = ZERO
    list_native: Decimal = ZERO
    list_fiat: Decimal = ZERO


@dataclass
class DrawOut:
    segment: Any
    amount: Decimal = ZERO  # in the segment's unit
    fiat: Decimal = ZERO  # what the applied line takes off the invoice
    lines: list[int] = field(default_factory=list)


class _Line:
    """Working state of one line while segments pay for it."""

    def __init__(self, line: LineIn) -> None:
        self.line = line
        self.remaining = line.quantity
        self.used = line.used
        custom = line.unit is not None and line.pricer is not None
        self.owed = (
            round_line(line.pricer.cost(line.quantity, line.used), line.unit_places)
            if custom
            else line.total
        )  # the list-priced part still owed, in the line's unit
        self.list_taken = ZERO  # paid by list-price segments, in the line's unit
        self.out = LineOut()

    def native_to(self, amount: Decimal, segment: SegmentIn) -> Decimal:
        if segment.unit == self.line.unit:
            return amount
        return round_line(amount * self.line.to_fiat, segment.unit_places)

    def from_segment(self, amount: Decimal, segment: SegmentIn) -> Decimal:
        return amount if segment.unit == self.line.unit else amount / self.line.to_fiat

    def fiat(self, native: Decimal) -> Decimal:
        if self.line.unit is None:
            return native
        return round_line(native * self.line.to_fiat, 0)

    def take_at_list(self, segment: SegmentIn, available: Decimal) -> Decimal:
        cost = self.native_to(self.owed, segment)
        take = min(cost, available)
        if take <= 0 or not segment.pays:
            return take
        native = self.owed if take == cost else self.from_segment(take, segment)
        pricer = self.line.pricer
        if pricer is not None:
            units = self.remaining if take == cost else pricer.covers(native, self.used)
            self.remaining -= units
            self.used += units
        self.owed -= native
        self.list_taken += native
        return take

    def take_at(self, segment: SegmentIn, available: Decimal, pricer: Pricer) -> Decimal:
        if self.remaining <= 0:
            return ZERO
        full = round_line(pricer.cost(self.remaining, self.used), self.line.unit_places)
        cost = self.native_to(full, segment)
        take = min(cost, available)
        if take == cost:
            units, native = self.remaining, full
        else:
            native = self.from_segment(take, segment)
            units = pricer.covers(native, self.used)
        if units <= 0:
            return ZERO
        self.out.portions.append(Portion(segment.key, units, pricer, native, self.fiat(native)))
        self.remaining -= units
        self.used += units
        base = self.line.pricer
        self.owed = round_line(base.cost(self.remaining, self.used), self.line.unit_places)  # type: ignore[union-attr]
        return take

    def finish(self) -> LineOut:
        out = self.out
        if out.portions:
            priced_apart = sum((p.quantity for p in out.portions), ZERO)
            out.list_quantity = self.line.quantity - priced_apart
            out.list_native = self.list_taken + self.owed
            out.list_fiat = self.fiat(out.list_native)
        return out


def plan(
    lines: list[LineIn], offers: list[list[tuple[SegmentIn, Pricer | None]]]
) -> tuple[list[LineOut], list[DrawOut]]:
    """For each line (in order), the segments that may pay for it in the order they pay, each
    with its price (None: the list price). Returns each line's plan and each segment's draw."""
    available: dict[Any, Decimal] = {}
    draws: dict[Any, DrawOut] = {}
    outs = []
    for index, (line, line_offers) in enumerate(zip(lines, offers, strict=True)):
        work = _Line(line)
        for segment, pricer in line_offers:
            if segment.unit is not None and segment.unit != line.unit:
                continue  # a custom-unit segment pays only for usage priced in its unit
            left = available.setdefault(segment.key, segment.available)
            if left <= 0:
                continue
            if pricer is None or line.pricer is None:
                if work.owed <= 0:
                    continue
                take = work.take_at_list(segment, left)
                fiat = take if segment.unit is None else work.fiat(take)
            else:
                take = work.take_at(segment, left, pricer)
                fiat = work.out.portions[-1].fiat if take > 0 else ZERO
            if take <= 0:
                continue
            available[segment.key] = left - take
            draw = draws.setdefault(segment.key, DrawOut(segment.key))
            draw.amount += take
            draw.fiat += fiat if segment.pays else ZERO
            draw.lines.append(index)
        outs.append(work.finish())
    return outs, list(draws.values())
