"""Signed ISO-8601 durations ("P7D", "-PT2H", "P1M2DT3H") applied to moments. Pure: no Django.

Months and years are calendar months (Jan 31 + P1M = Feb 28), so a duration is kept as
(months, days, seconds) and not collapsed into a timedelta.
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from billing_console.lib.periods import add_months

LONGEST_YEARS = 100
LONGEST_DAYS = LONGEST_YEARS * 12 * 31  # as longest() counts months
_PATTERN = re.compile(
    r"^(?P<sign>[-+])?P(?!$)(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?"
    r"(?:(?P<days>\d+)D)?(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?"
    r"(?:(?P<seconds>\d+)S)?)?$"
)


@dataclass(frozen=True)
class Duration:
    sign: int  # +1 after the moment, -1 before it
    months: int
    days: int
    seconds: int

    def apply(self, moment: datetime) -> datetime:
        shifted = add_months(moment, self.sign * self.months) if self.months else moment
        return shifted + self.sign * timedelta(days=self.days, seconds=self.seconds)

    def longest(self) -> timedelta:
        """An upper bound of |duration| (31-day months), for widening database windows."""
        return timedelta(days=31 * self.months + self.days, seconds=self.seconds)


def parse_duration(text: str) -> Duration:
    """Raise ValueError unless `text` is an ISO-8601 duration of whole units."""
    match = _PATTERN.match(text.strip().upper()) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"'{text}' is not an ISO-8601 duration such as P7D, -PT2H or P1M.")
    parts = {k: int(v) for k, v in match.groupdict().items() if k != "sign" and v}
    bound = (
        (parts.get("years", 0) * 12 + parts.get("months", 0)) * 31
        + parts.get("weeks", 0) * 7
        + parts.get("days", 0)
        + (parts.get("hours", 0) * 3600 + parts.get("minutes", 0) * 60 + parts.get("seconds", 0))
        / 86400
    )
    if bound > LONGEST_DAYS:  # beyond the calendar's range once applied to a moment
        raise ValueError(f"'{text}' is longer than {LONGEST_YEARS} years.")
    return Duration(
        sign=-1 if match.group("sign") == "-" else 1,
        months=parts.get("years", 0) * 12 + parts.get("months", 0),
        days=parts.get("weeks", 0) * 7 + parts.get("days", 0),
        seconds=parts.get("hours", 0) * 3600
        + parts.get("minutes", 0) * 60
        + parts.get("seconds", 0),
    )
