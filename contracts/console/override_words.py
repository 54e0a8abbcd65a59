"""An override's terms in words, for the contract page's overrides table and the edit history:
"20% off list", "10% over list", "new unit price $0.0025", "tiered: list price for 1000, then 50% off
list". A multiplier of the list price reads as a percent off it (0.8 is 20% off); the table
keeps the multiplier beside the words, as the exact figure the API has.

Prices are in the contract's credit type (an overwrite keeps the rate's credit type, which the
contract's rate card sets; a custom-unit rate would read in the contract's fiat unit here)."""

from decimal import Decimal
from typing import Any

from billing_console.lib.money_text import format_money

HUNDRED = Decimal(100)


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}"  # 10, not 1E+1


def plain(value: Decimal) -> Decimal:
    """Without trailing zeros or an exponent: 0.800000 -> 0.8, 10.0 -> 10 (never 1E+1)."""
    return Decimal(_number(value))


def percent_off(multiplier: Decimal) -> Decimal:
    """0.8 -> 20 (percent off the list price); 1.1 -> -10 (a 10% markup)."""
    return plain((1 - multiplier) * HUNDRED)


def multiplier_of(percent: Decimal) -> Decimal:
    """20 (percent off the list price) -> 0.8, exactly."""
    return plain((HUNDRED - percent) / HUNDRED)


def multiplier_words(multiplier: Any) -> str:
    value = Decimal(str(multiplier))
    if value < 1:
        return f"{_number(percent_off(value))}% off list"
    if value > 1:
        return f"{_number(-percent_off(value))}% over list"
    return "list price"


def _rate_words(rate: dict, credit_type: Any) -> str:
    kind = rate.get("rate_type")
    if kind == "PERCENTAGE":  # price is a fraction of the spend it applies to
        return f"new rate {_number(Decimal(str(rate.get('price', 0))) * HUNDRED)}%"
    if kind == "TIERED":
        prices = [format_money(tier.get("price"), credit_type) for tier in rate.get("tiers") or []]
        return "new tiered price " + ", then ".join(prices)
    if kind == "CUSTOM" or rate.get("price") is None:
        return "new custom rate"
    return f"new unit price {format_money(rate['price'], credit_type)}"


def _tier_words(tiers: list[dict]) -> str:
    parts = []
    for tier in tiers:
        size = f" for {_number(Decimal(str(tier['size'])))}" if tier.get("size") else ""
        parts.append(f"{multiplier_words(tier.get('multiplier', 1))}{size}")
    return "tiered: " + ", then ".join(parts)


def override_words(terms: dict, credit_type: Any) -> str:
    """Wire-shaped override terms (type, multiplier, overwrite_rate, tiers) in words."""
    if terms.get("multiplier") is not None:
        return multiplier_words(terms["multiplier"])
    if terms.get("overwrite_rate"):
        return _rate_words(terms["overwrite_rate"], credit_type)
    if terms.get("tiers"):
        return _tier_words(terms["tiers"])
    return str(terms.get("type", "")).lower()


def override_row_words(override: Any, credit_type: Any) -> tuple[str, str]:
    """(words, exact figure) of an Override row: ("20% off list", "× 0.8")."""  # noqa: RUF002
    terms = {"type": override.type, "multiplier": override.multiplier,
             "overwrite_rate": override.overwrite_rate, "tiers": override.tiers}  # fmt: skip
    exact = f"× {_number(override.multiplier)}" if override.multiplier is not None else ""  # noqa: RUF001
    return override_words(terms, credit_type), exact
