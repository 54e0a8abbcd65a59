"""Values as the wire writes them: instants in RFC 3339 UTC with `Z`, Decimals as JSON numbers
(exact integers as int, anything else as the float nearest the exact decimal string)."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any


def iso(value: Any) -> str | None:
    """An aware datetime as RFC 3339 in UTC (`2026-01-01T00:00:00Z`); None stays None."""
    if not value:
        return None
    if isinstance(value, datetime):
        value = value.astimezone(UTC)
    return value.isoformat().replace("+00:00", "Z")


def number(value: Decimal | str | int | None) -> int | float | None:
    """A Decimal as a JSON number: integral values as ints (225, not 225.0)."""
    if value is None:
        return None
    exact = value if isinstance(value, Decimal) else Decimal(str(value))
    if exact == exact.to_integral_value():
        return int(exact)
    return float(str(exact.normalize()))
