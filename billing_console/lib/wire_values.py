"""Values as the wire writes them: instants in RFC 3339 with `Z`, Decimals as JSON numbers."""

from decimal import Decimal
from typing import Any


def iso(value: Any) -> str | None:
    """An aware datetime as RFC 3339 (`2026-01-01T00:00:00Z`); None stays None."""
    return value.isoformat().replace("+00:00", "Z") if value else None


def number(value: Decimal | None) -> int | float | None:
    """A Decimal as a JSON number: integral values as ints (225, not 225.0)."""
    if value is None:
        return None
    normalized = value.normalize()
    return int(normalized) if normalized == normalized.to_integral_value() else float(normalized)
