"""{{ amount|money:credit_type }}: an amount in a credit type's unit, as finance reads it.

Fiat credit types hold minor units (USD (cents)), shown in major units with the currency code:
5050000 USD (cents) -> "USD 50,500.00". Custom credit types show their own name.
"""

from decimal import Decimal
from typing import Any

from django import template

from billing_console.lib.money import CURRENCY_EXPONENTS

register = template.Library()


def format_money(amount: Any, credit_type: Any) -> str:
    if amount is None or amount == "":
        return "—"
    value = Decimal(str(amount))
    code = getattr(credit_type, "currency_code", "") or ""
    if getattr(credit_type, "is_fiat", False) and code in CURRENCY_EXPONENTS:
        exponent = CURRENCY_EXPONENTS[code]
        major = value.scaleb(-exponent)
        places = (
            max(exponent, min(-major.normalize().as_tuple().exponent, 6))
            if major != 0
            else exponent
        )
        return f"{code} {major:,.{places}f}"
    name = getattr(credit_type, "name", "") or ""
    normalized = value.normalize()
    places = (
        max(2, min(-normalized.as_tuple().exponent, 6))
        if normalized != normalized.to_integral()
        else 2
    )
    return f"{value:,.{places}f} {name}".strip()


@register.filter
def money(amount: Any, credit_type: Any) -> str:
    return format_money(amount, credit_type)
