"""{% invoice_tax invoice as tax %}: the invoice's tax as its provider computed it (or None),
for the console invoice page and the PDF, with no change to their views."""

from typing import Any

from django import template

from tax.models import InvoiceTax

register = template.Library()


@register.simple_tag
def invoice_tax(invoice: Any) -> InvoiceTax | None:
    if invoice is None or not invoice.pk:
        return None
    return InvoiceTax.objects.filter(invoice=invoice).prefetch_related("lines__line").first()


@register.simple_tag
def plus(a: Any, b: Any) -> Any:
    """a + b (the total with tax), None when either is missing."""
    return None if a is None or b is None else a + b


@register.filter
def percent(rate: Any) -> str:
    """A provider's rate, a decimal fraction as a string ("0.04875"), as people read it: 4.875%."""
    from decimal import Decimal, InvalidOperation

    try:
        value = (Decimal(str(rate)) * 100).normalize()
    except InvalidOperation:
        return str(rate)
    return f"{value:f}%"
