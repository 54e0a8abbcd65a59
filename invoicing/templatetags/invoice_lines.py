"""A line's unit price and tier math as every invoice view shows them (the console's page, its
PDF, consolidated statements, embeds): `{{ line|unit_price:invoice.credit_type }}` is the price
charged, or "avg $0.01235" for a tiered line (its amount over its quantity, rounded for reading:
invoicing.line_notes); `{{ line|tier_math:invoice.credit_type }}` lists what each tier cost."""

from typing import Any

from django import template

from invoicing import line_notes

register = template.Library()


@register.filter
def unit_price(line: Any, credit_type: Any) -> str:
    return line_notes.unit_price_text(line, credit_type)


@register.filter
def tier_math(line: Any, credit_type: Any) -> list[str]:
    return line_notes.tier_math(line, credit_type)
