"""ISO-8601 durations in words: "P7D" -> "7 days", "PT36H" -> "36 hours", "P1Y2M" -> "1 year
2 months"; as an offset from a moment, "-P7D" -> "7 days before", "P1D" -> "1 day after".
Pure: no Django. Text that is not a duration comes back unchanged (it is shown as it was)."""

import re

_PATTERN = re.compile(
    r"^(?P<sign>[-+])?P(?!$)(?:(?P<year>\d+)Y)?(?:(?P<month>\d+)M)?(?:(?P<week>\d+)W)?"
    r"(?:(?P<day>\d+)D)?(?:T(?=\d)(?:(?P<hour>\d+)H)?(?:(?P<minute>\d+)M)?"
    r"(?:(?P<second>\d+)S)?)?$"
)
UNITS = ("year", "month", "week", "day", "hour", "minute", "second")


def duration_words(text: object, *, offset: bool = False) -> str:
    match = _PATTERN.match(text.strip().upper()) if isinstance(text, str) else None
    if match is None:
        return "" if text is None else str(text)
    parts = []
    for unit in UNITS:
        count = int(match.group(unit) or 0)
        if count:
            parts.append(f"{count:,} {unit}{'' if count == 1 else 's'}")
    words = " ".join(parts)
    negative = match.group("sign") == "-"
    if not parts:
        return "at the moment" if offset else "no time"
    if offset:
        return f"{words} {'before' if negative else 'after'}"
    return f"minus {words}" if negative else words
