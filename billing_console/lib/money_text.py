"""Money as people read and type it: one rule for every screen, embed, PDF and report.

Amounts are *stored* and sent on the wire in the credit type's unit, as Metronome does: a fiat
credit type counts the currency's minor unit (USD (cents): 2500 is $25.00; JPY: yen; KWD: fils,
1000 to the dinar). People see and type the *major* unit, with the currency's symbol:

    2500 USD cents      -> "$25.00"        5050000 -> "$50,500.00"
    0.03 USD cents      -> "$0.0003"       (a sub-cent price: every significant digit shown)
    120000 EUR cents    -> "€1,200.00"     1200 JPY -> "¥1,200"
    1234 KWD fils       -> "KWD 1.234"     (no symbol everyone reads the same way: the code)
    1234.5 "GPU hours"  -> "1,234.50 GPU hours"   (custom units: their own name, not converted)

Display never rounds: a fiat amount shows at least the currency's decimal places and more when
the amount has them (an unrounded line, a sub-cent price). Negative amounts put the sign first:
"-$2.50". Credit types are duck-typed (`is_fiat`, `currency_code`, `name`): no Django here.
"""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from billing_console.lib.money import CURRENCY_EXPONENTS

# The symbol shown before a fiat amount (CLDR "en" symbols). A code missing here is written
# "CHF 25.00": "$" alone is kept for USD, so no amount in another dollar reads as USD.
SYMBOLS: dict[str, str] = {
    "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "KRW": "₩", "CNY": "CN¥",
    "CAD": "CA$", "AUD": "A$", "NZD": "NZ$", "HKD": "HK$", "MXN": "MX$", "BRL": "R$",
}  # fmt: skip
# Stored amounts hold at most 12 decimal places of the credit type's unit (RateField).
STORED_PLACES = 12
EMPTY = "—"


@dataclass(frozen=True)
class Unit:
    """How a credit type's amounts are converted and labelled."""

    label: str  # "USD", "EUR", "GPU hours"; "" when the credit type is unknown
    exponent: int = 0  # minor units per major unit, as a power of ten (0: not converted)
    symbol: str = ""  # "$"; "" writes the code (fiat) or the name (custom) instead
    fiat: bool = False


def unit_of(credit_type: Any) -> Unit:
    if credit_type is None:
        return Unit("")
    code = (getattr(credit_type, "currency_code", "") or "").upper()
    if getattr(credit_type, "is_fiat", False) and code in CURRENCY_EXPONENTS:
        return Unit(code, CURRENCY_EXPONENTS[code], SYMBOLS.get(code, ""), fiat=True)
    return Unit(getattr(credit_type, "name", "") or "")


def unit_label(credit_type: Any) -> str:
    """The unit people read amounts in: "USD", "EUR", or a custom unit's name."""
    return unit_of(credit_type).label


def to_major(amount: Decimal, credit_type: Any) -> Decimal:
    """Stored units (USD cents) -> what people read (dollars). Exact: a power-of-ten shift."""
    return amount.scaleb(-unit_of(credit_type).exponent)


def to_minor(amount: Decimal, credit_type: Any) -> Decimal:
    """What people typed (dollars) -> stored units (USD cents). Exact: a power-of-ten shift."""
    return amount.scaleb(unit_of(credit_type).exponent)


def _places(value: Decimal, minimum: int) -> int:
    """Decimal places to show: at least `minimum`, more when `value` has significant ones."""
    if not value.is_finite() or value == 0:
        return minimum
    exponent = value.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return max(minimum, -exponent)


def major_text(amount: Any, credit_type: Any, *, grouping: bool = False) -> str:
    """The major-unit number without a symbol ("25.00", "0.0003"): form inputs, CSV cells."""
    if amount is None or amount == "":
        return ""
    unit = unit_of(credit_type)
    value = to_major(Decimal(str(amount)), credit_type)
    places = _places(value, unit.exponent if unit.fiat else 0)
    return f"{value:,.{places}f}" if grouping else f"{value:.{places}f}"


def format_money(amount: Any, credit_type: Any) -> str:
    """An amount stored in `credit_type`'s unit, as people read it (see the module's doc)."""
    if amount is None or amount == "":
        return EMPTY
    unit = unit_of(credit_type)
    value = to_major(Decimal(str(amount)), credit_type)
    sign, value = ("-", -value) if value < 0 else ("", value)
    if unit.fiat:
        number = f"{value:,.{_places(value, unit.exponent)}f}"
        return f"{sign}{unit.symbol}{number}" if unit.symbol else f"{sign}{unit.label} {number}"
    number = f"{value:,.{_places(value, 2)}f}"
    return f"{sign}{number} {unit.label}".strip()


# Keys whose number is money in wire-shaped terms (package terms, contract JSON fields): never
# quantities, sizes or multipliers. A dict with rate_type PERCENTAGE has a fraction as price.
MONEY_KEYS = frozenset(
    {"amount", "unit_price", "price", "threshold_amount", "recharge_to_amount",
     "total_contract_value"}
)  # fmt: skip


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, Decimal)):
        return True
    try:
        return isinstance(value, str) and Decimal(value).is_finite()
    except ArithmeticError:
        return False


def shown_terms(value: Any, credit_type: Any, types: dict[str, Any] | None = None) -> Any:
    """Wire-shaped terms with each amount as people read it ({"amount": 1200000} ->
    {"amount": "$12,000.00"}). A dict naming a `credit_type_id` found in `types` (public id ->
    credit type) is in that unit, with everything inside it (a custom-unit commit)."""
    if isinstance(value, list):
        return [shown_terms(item, credit_type, types) for item in value]
    if not isinstance(value, dict):
        return value
    credit_type = (types or {}).get(str(value.get("credit_type_id")), credit_type)
    percentage = value.get("rate_type") == "PERCENTAGE"
    return {
        key: format_money(inner, credit_type)
        if key in MONEY_KEYS and _is_number(inner) and not (percentage and key == "price")
        else shown_terms(inner, credit_type, types)
        for key, inner in value.items()
    }


# --- typing amounts ----------------------------------------------------------------------------

_NUMBER = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+")


class MoneyError(ValueError):
    """Text that is not an amount of the credit type; the message says how to write it."""


def _strip_unit(text: str, unit: Unit) -> str:
    """The number without the credit type's symbol, code or name ("$25", "25 USD", "EUR 5")."""
    marks = [m for m in (unit.symbol, unit.label) if m]
    for mark in sorted(marks, key=len, reverse=True):
        if text.upper().startswith(mark.upper()):
            return text[len(mark) :].strip()
        if text.upper().endswith(mark.upper()):
            return text[: -len(mark)].strip()
    return text


def parse_money(
    text: str, credit_type: Any, *, sub_unit: bool = False, negative: bool = False
) -> Decimal:
    """Typed major units ("$1,200.50", "1200.5", "0.0003") -> stored units (120050 cents).

    `sub_unit`: allow more decimals than the currency has (prices: "$0.0003" a token); else a
    USD amount takes at most 2 ("12.345" is refused, not rounded). Commas only group thousands:
    "1,5" is refused rather than read as 15. Raises MoneyError."""
    unit = unit_of(credit_type)
    raw = text.strip().replace("\u2212", "-")
    sign = 1
    if raw.startswith(("-", "+")):
        sign, raw = (-1 if raw[0] == "-" else 1), raw[1:].strip()
    raw = _strip_unit(raw, unit)
    if raw.startswith(("-", "+")) and sign == 1:  # "$-25"
        sign, raw = (-1 if raw[0] == "-" else 1), raw[1:].strip()
    if not _NUMBER.fullmatch(raw):
        example = format_money(to_minor(Decimal("1200.5"), credit_type), credit_type)
        if re.fullmatch(r"[\d.,]+", raw) and "," in raw:
            raise MoneyError(f"Use a point for decimals and commas for thousands, e.g. {example}.")
        raise MoneyError(f"Enter an amount in {unit.label or 'numbers'}, e.g. {example}.")
    try:
        major = Decimal(raw.replace(",", "")) * sign
    except InvalidOperation:  # pragma: no cover - the pattern admits only digits
        raise MoneyError("Enter a number.") from None
    if major < 0 and not negative:
        raise MoneyError("An amount must not be negative.")
    decimals = len(raw.partition(".")[2])
    allowed = unit.exponent + STORED_PLACES if sub_unit or not unit.fiat else unit.exponent
    if decimals > allowed:
        raise MoneyError(_too_precise(unit, allowed))
    return Decimal(f"{to_minor(major, credit_type):f}")  # "2500", never "2.5E+3"


def _too_precise(unit: Unit, allowed: int) -> str:
    if not unit.fiat:
        return f"Enter at most {allowed} decimal places."
    if allowed == 0:
        return f"{unit.label} has no decimal places: enter a whole amount."
    return f"{unit.label} amounts have at most {allowed} decimal places."


# Unit prices may be finer than the currency's smallest unit ("$0.0003" a token).
UNIT_PRICE_KEYS = frozenset({"price", "unit_price"})


def terms_to_stored(
    value: Any, credit_type: Any, types: dict[str, Any] | None = None, path: str = ""
) -> Any:
    """Wire-shaped terms typed in major units ({"amount": "$12,000"} or 12000) -> the stored
    unit the API takes ({"amount": Decimal("1200000")}): the inverse of `shown_terms`.
    Raises MoneyError naming the path at fault ("commits[0].amount: ...")."""
    if isinstance(value, list):
        return [
            terms_to_stored(item, credit_type, types, f"{path}[{index}]")
            for index, item in enumerate(value)
        ]
    if not isinstance(value, dict):
        return value
    credit_type = (types or {}).get(str(value.get("credit_type_id")), credit_type)
    percentage = value.get("rate_type") == "PERCENTAGE"
    out = {}
    for key, inner in value.items():
        where = f"{path}.{key}" if path else key
        is_money = key in MONEY_KEYS and not (percentage and key == "price")
        if is_money and isinstance(inner, (int, str, Decimal)) and not isinstance(inner, bool):
            try:
                out[key] = parse_money(str(inner), credit_type, sub_unit=key in UNIT_PRICE_KEYS)
            except MoneyError as err:
                raise MoneyError(f"{where}: {err}") from None
        else:
            out[key] = terms_to_stored(inner, credit_type, types, where)
    return out
