"""The console's one way of writing dates and times. Pure: no Django.

Two kinds of values, written differently on purpose:
- a billing date (an invoice period, a contract's or a rate's start and end, an access
  segment): a calendar date, kept on the wire as midnight UTC. It is written as that UTC date
  ("Dec 4, 2026"), in every user's time zone alike: a period starting Jan 1 starts Jan 1 for a
  reader in New York too (shifted, it would read "Dec 31, 2025, 19:00"). One that is not at
  midnight UTC keeps its UTC time ("Dec 4, 2026, 15:00 UTC").
- a timestamp (created, updated, an audit entry, an event): a moment, written in the reader's
  time zone with the zone's abbreviation ("Dec 4, 2026, 22:35 CET").
"""

from datetime import UTC, date, datetime, time, timedelta, tzinfo

DASH = " \u2013 "  # an en dash between spaces, as in "Jan 1 - Jan 31, 2026"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _date(value: date) -> str:
    return f"{MONTHS[value.month - 1]} {value.day}, {value.year}"


def _aware(value: datetime) -> datetime:
    # A naive datetime in this project is UTC (USE_TZ; the wire is UTC).
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def day_text(value: date | datetime) -> str:
    """A billing date: "Dec 4, 2026" (midnight UTC), else "Dec 4, 2026, 15:00 UTC"."""
    if not isinstance(value, datetime):
        return _date(value)
    at = _aware(value).astimezone(UTC)
    if at.time() == time(0):
        return _date(at)
    return f"{_date(at)}, {at:%H:%M} UTC"


def moment_text(value: datetime | date, zone: tzinfo, *, seconds: bool = False) -> str:
    """A timestamp in `zone`: "Dec 4, 2026, 22:35 CET" (with ":05" seconds when asked)."""
    if not isinstance(value, datetime):  # a plain date has no moment to shift
        return _date(value)
    local = _aware(value).astimezone(zone)
    clock = f"{local:%H:%M:%S}" if seconds else f"{local:%H:%M}"
    return f"{_date(local)}, {clock} {local.tzname() or ''}".rstrip()


def period_text(start: date | datetime, end: date | datetime) -> str:
    """A half-open billing period [start, end) as people read it, by its last day: "Jan 1 -
    Jan 31, 2026" for [Jan 1, Feb 1); "Dec 15, 2025 - Jan 14, 2026" across a year; one day
    alone, "Jan 1, 2026". An end that is not a midnight UTC is a moment: "Jan 1, 2026 - Jan 15,
    2026, 10:30 UTC" (the period stops then). The dash written is an en dash."""
    if not isinstance(start, datetime) or not isinstance(end, datetime):
        return f"{day_text(start)}{DASH}{day_text(end)}"
    first, stop = _aware(start).astimezone(UTC), _aware(end).astimezone(UTC)
    if stop <= first:
        return day_text(first)
    if first.time() != time(0) or stop.time() != time(0):
        return f"{day_text(first)}{DASH}{day_text(stop)}"
    last = (stop - timedelta(days=1)).date()
    if last == first.date():
        return _date(last)
    if last.year == first.year:
        return f"{MONTHS[first.month - 1]} {first.day}{DASH}{_date(last)}"
    return f"{_date(first.date())}{DASH}{_date(last)}"
