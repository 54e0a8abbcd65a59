"""One measurement of an alert for one customer, and the rule that says it is in alarm."""

from dataclasses import dataclass
from decimal import Decimal

from alerts.models import LOW_TYPES, Alert


@dataclass(frozen=True)
class Measurement:
    scope: str  # "" for the customer as a whole, else "key=value"
    group_values: dict[str, str]
    value: Decimal
    in_alarm: bool


def scope_of(group_values: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(group_values.items()))


def over_threshold(alert: Alert, value: Decimal) -> bool:
    """Balances (and percentages remaining) alarm at or below the threshold; spend, usage and invoice totals at or above."""
    if alert.alert_type in LOW_TYPES:
        return value <= alert.threshold
    return value >= alert.threshold
