"""{{ value|day }}, {{ value|when }}, {{ text|duration }}: dates, times and durations as the
console writes them (billing_console.lib.time_text, .duration_text).

- `day` for billing dates (periods, contract, rate and segment dates): the UTC calendar date,
  the same for every reader: "Dec 4, 2026".
- `when` for timestamps (created, updated, audit, events): in the user's time zone (activated
  per request by billing_console.time_zones), "Dec 4, 2026, 22:35 CET"; `when:"s"` adds seconds.
- `period` for a half-open billing period, by its last day: `{{ start|period:end }}` gives
  "Jan 1 - Jan 31, 2026" (an en dash) for [Jan 1, Feb 1).
- `duration` for ISO-8601 durations: "P7D" -> "7 days"; `duration:"offset"`: "-P7D" -> "7
  days before".
Empty values give "" (so `|default:"never"` still applies).
"""

from datetime import date, datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from billing_console.lib.duration_text import duration_words
from billing_console.lib.time_text import day_text, moment_text, period_text

register = template.Library()


def _value(value: Any) -> date | datetime | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        return parse_datetime(value)
    return None


@register.filter
def day(value: Any) -> str:
    parsed = _value(value)
    return day_text(parsed) if parsed is not None else ""


@register.filter
def period(start: Any, end: Any) -> str:
    first, stop = _value(start), _value(end)
    if first is None or stop is None:
        return day(start)
    return period_text(first, stop)


@register.filter
def when(value: Any, precision: str = "") -> str:
    parsed = _value(value)
    if parsed is None:
        return ""
    return moment_text(parsed, timezone.get_current_timezone(), seconds=precision == "s")


@register.filter
def duration(value: Any, kind: str = "") -> str:
    return duration_words(value, offset=kind == "offset")
