"""Pure rating functions: Decimal in, Decimal out, no Django, no clock.

Each function returns the *unrounded* amount and a breakdown; rounding happens once per invoice
line in invoicing (billing_console.lib.money.round_line).
"""

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal
from typing import Any

ZERO = Decimal(0)

ROUNDING = {"ROUND_UP": ROUND_UP, "ROUND_DOWN": ROUND_DOWN, "ROUND_HALF_UP": ROUND_HALF_UP}


@dataclass(frozen=True)
class Tier:
    """`size` units at `price` each; the last tier has no size (unbounded)."""

    size: Decimal | None
    price: Decimal


@dataclass(frozen=True)
class TierUse:
    tier: int  # 1-based
    starting_at: Decimal  # units before this tier (tier lower bound)
    quantity: Decimal
    price: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Rated:
    amount: Decimal
    details: tuple[Any, ...] = ()


def flat(quantity: Decimal, price: Decimal) -> Rated:
    """quantity x price."""
    return Rated(quantity * price)


def tiered(
    quantity: Decimal, tiers: tuple[Tier, ...] | list[Tier], already_used: Decimal = ZERO
) -> Rated:
    """Graduated tiers: each unit is priced by the tier it falls in. `already_used` units (earlier
    pieces of the same statement, or earlier invoices when tiers span them) fill tiers first."""
    if quantity < 0:
        # Negative usage (corrections) is priced at the tier the running total sits in.
        return _negative_tiered(quantity, tiers, already_used)
    details: list[TierUse] = []
    total = ZERO
    lower = ZERO
    start = already_used
    end = already_used + quantity
    for index, tier in enumerate(tiers, start=1):
        upper = None if tier.size is None else lower + tier.size
        lo = max(lower, start)
        hi = end if upper is None else min(upper, end)
        if hi > lo:
            amount = (hi - lo) * tier.price
            details.append(TierUse(index, lower, hi - lo, tier.price, amount))
            total += amount
        if upper is None or upper >= end:
            break
        lower = upper
    return Rated(total, tuple(details))


def _negative_tiered(
    quantity: Decimal, tiers: tuple[Tier, ...] | list[Tier], already_used: Decimal
) -> Rated:
    lower = ZERO
    for index, tier in enumerate(tiers, start=1):
        upper = None if tier.size is None else lower + tier.size
        if upper is None or already_used < upper:
            amount = quantity * tier.price
            return Rated(amount, (TierUse(index, lower, quantity, tier.price, amount),))
        lower = upper
    return Rated(ZERO)


def percentage(base: Decimal, fraction: Decimal) -> Rated:
    """A share of other charges: `fraction` 0.1 is 10%; over 1 (100%) is allowed."""
    return Rated(base * fraction, ({"base": base, "fraction": fraction},))


def subscription(
    quantity: Decimal,
    price: Decimal,
    *,
    prorated: bool = False,
    used: Decimal = ZERO,
    whole: Decimal = ZERO,
) -> Rated:
    """quantity x price for a billing period; when prorated, scaled by used/whole (e.g. seconds
    of the period the subscription was active)."""
    amount = quantity * price
    if prorated and whole > 0:
        fraction = used / whole
        return Rated(amount * fraction, ({"fraction": fraction, "full_amount": amount},))
    return Rated(amount)


def custom(quantity: Decimal, rule: dict[str, Any]) -> Rated:
    """A CUSTOM rate: a minimum and/or maximum charge around a unit price.
    rule = {"unit_price": "2", "minimum": "100", "maximum": "1000"} (each optional)."""
    unit = Decimal(str(rule.get("unit_price", 0)))
    amount = quantity * unit
    applied = None
    if rule.get("minimum") is not None and amount < Decimal(str(rule["minimum"])):
        amount, applied = Decimal(str(rule["minimum"])), "minimum"
    if rule.get("maximum") is not None and amount > Decimal(str(rule["maximum"])):
        amount, applied = Decimal(str(rule["maximum"])), "maximum"
    return Rated(amount, ({"unit_price": unit, "applied": applied},) if applied else ())


def convert_quantity(
    quantity: Decimal,
    *,
    factor: Decimal | None = None,
    operation: str | None = None,
    decimal_places: int | None = None,
    rounding_method: str | None = None,
) -> Decimal:
    """A product's quantity conversion (MULTIPLY/DIVIDE by factor), then its rounding."""
    if factor is not None:
        if factor == 0:
            raise ValueError("conversion factor must not be 0")
        quantity = quantity * factor if operation == "MULTIPLY" else quantity / factor
    if decimal_places is not None:
        mode = ROUNDING[rounding_method or "ROUND_HALF_UP"]
        quantity = quantity.quantize(Decimal(1).scaleb(-int(decimal_places)), rounding=mode)
    return quantity


def validate_tiers(tiers: list[Tier]) -> str | None:
    """Why these tiers are unusable, or None: sizes positive, only the last tier unbounded,
    prices not negative."""
    if not tiers:
        return "at least one tier is required."
    for index, tier in enumerate(tiers):
        if tier.price < 0:
            return f"[{index}].price: must not be negative."
        if tier.size is None and index != len(tiers) - 1:
            return f"[{index}].size: is required on every tier but the last."
        if tier.size is not None and tier.size <= 0:
            return f"[{index}].size: must be greater than 0."
    return None


def quantity_for_amount(
    amount: Decimal, tiers: tuple[Tier, ...] | list[Tier], already_used: Decimal = ZERO
) -> Decimal:
    """The inverse of `tiered`: how many units, after `already_used`, `amount` pays for at
    these (graduated) prices. Free units are all covered; a flat price is one unbounded tier."""
    covered = ZERO
    left = amount
    lower = ZERO
    for tier in tiers:
        upper = None if tier.size is None else lower + tier.size
        room = None if upper is None else max(ZERO, upper - max(lower, already_used + covered))
        if room is None or room > 0:
            if tier.price == 0:
                if room is None:
                    return covered  # an unbounded free tier: no amount is ever needed
                covered += room
            else:
                units = left / tier.price
                if room is not None and units > room:
                    units = room
                covered += units
                left -= units * tier.price
                if left <= 0:
                    return covered
        if upper is None:
            break
        lower = upper
    return covered


def subscription_rate_in_force(rate: Any, billing_frequency: str, at: Any) -> bool:
    """Whether `rate` (a Rate row or the rating core's copy of one) prices a subscription
    billed at `billing_frequency` at the moment `at`: a SUBSCRIPTION rate for that frequency
    (or for any), in force then."""
    return (
        rate.rate_type == "SUBSCRIPTION"
        and rate.billing_frequency in ("", billing_frequency)
        and rate.starting_at <= at
        and (rate.ending_before is None or at < rate.ending_before)
    )
