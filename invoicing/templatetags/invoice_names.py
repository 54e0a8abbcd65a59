"""{{ invoice|invoice_name }}: what people call an invoice in a list, a title or a link: its
number once finalized ("INV-0012"; `invoice_name:"Invoice"` for "Invoice INV-0012"), and before
that "Draft · Jan 1 - Jan 31, 2026" by its period, written by its last day as every billing
period is (billing_console.lib.time_text.period_text), or "Draft · Mar 1, 2026" for a scheduled
invoice dated on one day. A draft has no number yet: the word "draft" never stands in for one."""

from typing import Any

from django import template

from billing_console.lib.time_text import period_text

register = template.Library()


@register.filter
def invoice_name(invoice: Any, prefix: str = "") -> str:
    if invoice.number:
        return f"{prefix} {invoice.number}" if prefix else str(invoice.number)
    return f"Draft · {period_text(invoice.period_start, invoice.period_end)}"
