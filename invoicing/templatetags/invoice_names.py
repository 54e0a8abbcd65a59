"""{{ invoice|invoice_name }}: what people call an invoice in a list, a title or a link: its
number once finalized ("INV-0012"; `invoice_name:"Invoice"` for "Invoice INV-0012"), and before
that "Draft · Jan 1 – Feb 1, 2026" by its period (half-open, as billed: the end is the day after
the last one billed), or "Draft · Mar 1, 2026" for a scheduled invoice dated on one day. A draft
has no number yet: the word "draft" never stands in for one."""  # noqa: RUF002

from typing import Any

from django import template
from django.template.defaultfilters import date

register = template.Library()
DASH = "\u2013"  # the en dash of a range: "Jan 1 – Feb 1, 2026"  # noqa: RUF003


def period_words(start: Any, end: Any) -> str:
    """Start – end, the start's year too across a new year; one day alone."""  # noqa: RUF002
    if not end or end == start:
        return date(start, "M j, Y")
    same_year = date(start, "Y") == date(end, "Y")
    return f"{date(start, 'M j' if same_year else 'M j, Y')} {DASH} {date(end, 'M j, Y')}"


@register.filter
def invoice_name(invoice: Any, prefix: str = "") -> str:
    if invoice.number:
        return f"{prefix} {invoice.number}" if prefix else str(invoice.number)
    return f"Draft · {period_words(invoice.period_start, invoice.period_end)}"
