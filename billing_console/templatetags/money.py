"""{{ amount|money:credit_type }}: an amount stored in a credit type's unit, as people read it.

The one display rule of the console, embeds, PDFs and audit diffs (billing_console.lib.money_text):
5050000 USD cents -> "$50,500.00", 0.03 -> "$0.0003", 1200 JPY -> "¥1,200", 1234 KWD fils ->
"KWD 1.234", 1234.5 of a custom unit -> "1,234.50 GPU hours". `{{ credit_type|money_unit }}`
names the unit people read ("USD", "GPU hours"), never the stored one ("USD (cents)").
"""

from typing import Any

from django import template

from billing_console.lib.money_text import format_money, unit_label

register = template.Library()

__all__ = ["format_money", "money", "money_unit"]


@register.filter
def money(amount: Any, credit_type: Any) -> str:
    return format_money(amount, credit_type)


@register.filter
def money_unit(credit_type: Any) -> str:
    return unit_label(credit_type)
