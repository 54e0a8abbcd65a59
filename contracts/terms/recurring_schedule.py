"""A schedule's `recurring_schedule` (discounts; scheduled charges share the shape) expanded into
the point-in-time items Metronome reads back as `schedule_items`.

One item at `starting_at` and then every `frequency` (month-based ones keep the start's day of
month, clamped to the month's end), while before `ending_before`. The amount is unit_price x
quantity, or `amount` alone (unit price = amount, quantity 1). `amount_distribution`:

- EACH: every item carries the whole amount (its unit price and quantity as sent);
- DIVIDED: the amount is split evenly, each item amount / n, unrounded (each invoice line is
  then rounded once, so the lines may differ from the amount by a unit of the last place);
- DIVIDED_ROUNDED: the split in whole units of the credit type's last place (whole cents for
  USD): each item the amount / n rounded down, the units left over one each to the first items
  (and any fraction of a unit to the last), so the items sum to the amount exactly.

A divided item has quantity 1 and its share as unit price.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from billing_console.lib.money import quantize
from billing_console.lib.periods import add_months
from billing_console.wire import Reader
from contracts.wire.read import window_from_wire

MONTHS = {"MONTHLY": 1, "QUARTERLY": 3, "SEMI_ANNUAL": 6, "ANNUAL": 12}
FREQUENCIES = (*MONTHS, "WEEKLY")
DISTRIBUTIONS = ("DIVIDED", "DIVIDED_ROUNDED", "EACH")
MAX_ITEMS = 1000  # a weekly schedule over decades would write thousands of rows
PLACES = 12  # a RateField's decimal places: an unrounded share is kept to these


@dataclass(frozen=True)
class ScheduleItem:
    timestamp: datetime
    amount: Decimal  # credit type unit, unrounded
    quantity: Decimal
    unit_price: Decimal


def timestamps(start: datetime, end: datetime, frequency: str) -> list[datetime]:
    out: list[datetime] = []
    while len(out) <= MAX_ITEMS:
        index = len(out)
        moment = (
            start + timedelta(days=7 * index)
            if frequency == "WEEKLY"
            else add_months(start, MONTHS[frequency] * index, start.day)
        )
        if moment >= end:
            return out
        out.append(moment)
    return out


def recurring_items(reader: Reader, *, places: int = 0) -> list[ScheduleItem]:
    """The items of a recurring_schedule; amounts must not be negative. `places` are the
    credit type's (0 for a fiat type counted in its minor unit)."""
    start, end = window_from_wire(reader, end_required=True)
    frequency = reader.choice("frequency", FREQUENCIES, required=True)
    distribution = reader.choice("amount_distribution", DISTRIBUTIONS, required=True)
    zero = Decimal(0)
    amount = reader.decimal("amount", minimum=zero)
    unit_price = reader.decimal("unit_price", minimum=zero)
    quantity = reader.decimal("quantity", minimum=zero)
    if amount is not None and (unit_price is not None or quantity is not None):
        raise reader.fail("amount", "is sent instead of unit_price and quantity, not with them.")
    if amount is None:
        if unit_price is None or quantity is None:
            raise reader.fail("amount", "is required (or unit_price and quantity).")
        amount = unit_price * quantity
    else:
        unit_price, quantity = amount, Decimal(1)
    moments = timestamps(start, end, frequency)  # type: ignore[arg-type]
    if not moments:
        raise reader.fail("ending_before", "leaves no date for the schedule: it must be later.")
    if len(moments) > MAX_ITEMS:
        raise reader.fail("ending_before", f"gives more than {MAX_ITEMS} dates.")
    if distribution == "EACH":
        return [ScheduleItem(m, amount, quantity, unit_price) for m in moments]
    shares = divide(amount, len(moments), places if distribution == "DIVIDED_ROUNDED" else None)
    return [ScheduleItem(m, s, Decimal(1), s) for m, s in zip(moments, shares, strict=True)]


def divide(amount: Decimal, count: int, places: int | None) -> list[Decimal]:
    """`amount` in `count` shares: in whole units of `places` summing to it exactly, or
    (places None) equal shares kept to a RateField's precision."""
    if places is None:
        return [quantize(amount / count, PLACES)] * count
    unit = Decimal(1).scaleb(-places)
    base = quantize(amount / count, places, ROUND_DOWN)
    extra = int((amount - base * count) / unit)  # whole units left over: 0 <= extra < count
    shares = [base + unit] * extra + [base] * (count - extra)
    shares[-1] += amount - sum(shares, Decimal(0))  # a fraction of a unit sent, if any
    return shares
