"""Money: Decimal only, one rounding function, currency exponents, Stripe minor units.

Metronome's wire convention: fiat amounts are in the currency's *minor* unit when the credit
type is a fiat currency's "cents" type (USD (cents) is the default pricing unit). Inside, amounts
are Decimal in the credit type's unit; rounding happens once per invoice line, HALF_UP, to the
credit type's exponent.
"""

from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal

# ISO 4217 minor-unit exponents of the fiat currencies we ship as credit types.
CURRENCY_EXPONENTS: dict[str, int] = {
    "USD": 2, "EUR": 2, "GBP": 2, "JPY": 0, "CAD": 2, "AUD": 2, "CHF": 2, "SEK": 2,
    "NOK": 2, "DKK": 2, "INR": 2, "BRL": 2, "MXN": 2, "SGD": 2, "HKD": 2, "NZD": 2,
    "KRW": 0, "CNY": 2, "ZAR": 2, "PLN": 2, "KWD": 3, "BHD": 3,
}  # fmt: skip

ROUNDING_MODES = {"ROUND_HALF_UP": ROUND_HALF_UP, "ROUND_UP": ROUND_UP, "ROUND_DOWN": ROUND_DOWN}


def to_decimal(value: int | str | Decimal) -> Decimal:
    """Parse a wire number without ever passing through binary floating point."""
    if isinstance(value, float):
        raise TypeError("money must not be a float; pass a str or Decimal")
    return value if isinstance(value, Decimal) else Decimal(str(value))


def quantize(amount: Decimal, places: int, rounding: str = ROUND_HALF_UP) -> Decimal:
    """Round to `places` decimal places. The one rounding function (HALF_UP by default)."""
    return amount.quantize(Decimal(1).scaleb(-places), rounding=rounding)


def round_line(amount: Decimal, places: int = 0) -> Decimal:
    """Round an invoice line once, HALF_UP. Cents-denominated credit types round to 0 places
    (a whole cent); a credit type with fractional units passes its own precision."""
    return quantize(amount, places, ROUND_HALF_UP)


def to_minor_units(amount: Decimal, currency: str) -> int:
    """Major units (e.g. 12.34 USD) to an integer of minor units (1234), for Stripe."""
    exponent = CURRENCY_EXPONENTS[currency.upper()]
    return int(quantize(amount, exponent).scaleb(exponent))


def from_minor_units(minor: int, currency: str) -> Decimal:
    """Stripe integer minor units to Decimal major units; never via float division."""
    exponent = CURRENCY_EXPONENTS[currency.upper()]
    return Decimal(minor).scaleb(-exponent)
