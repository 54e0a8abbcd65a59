"""The input the usage queries (usage.api.usage_queries) share: the window size field, a
group_by body, the period's windows and the check that group keys are declared on the metric."""

from datetime import UTC, datetime
from typing import Any

from rest_framework import serializers

from billing_console.api import ApplicationError
from usage import selectors
from usage.models import BillableMetric

MAX_WINDOWS = 2000  # per customer and metric in one request
MAX_GROUP_VALUES = 200  # Metronome's cap on group values returned or filtered on


class GroupBySerializer(serializers.Serializer):
    key = serializers.CharField(max_length=200)
    values = serializers.ListField(
        child=serializers.CharField(max_length=2000, allow_blank=True),
        required=False,
        max_length=MAX_GROUP_VALUES,
    )


class WindowSizeField(serializers.ChoiceField):
    """HOUR, DAY or NONE; lower case accepted (Metronome's docs spell it both ways)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=["HOUR", "DAY", "NONE"], **kwargs)

    def to_internal_value(self, data: Any) -> str:
        return super().to_internal_value(data.upper() if isinstance(data, str) else data)


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def query_windows(data: dict[str, Any]) -> selectors.Windows:
    """The period's windows; DAY windows start at UTC midnight and HOUR windows on the hour."""
    starting_on, ending_before = _utc(data["starting_on"]), _utc(data["ending_before"])
    size = data["window_size"]
    if ending_before <= starting_on:
        raise ApplicationError("ending_before: must be after starting_on.")
    step = selectors.WINDOW_SIZES.get(size)
    if step is not None:
        for name, moment in (("starting_on", starting_on), ("ending_before", ending_before)):
            aligned = moment.replace(minute=0, second=0, microsecond=0)
            if size == "DAY":
                aligned = aligned.replace(hour=0)
            if moment != aligned:
                boundary = "UTC midnight" if size == "DAY" else "an hour boundary"
                raise ApplicationError(f"{name}: must fall on {boundary} for {size} windows.")
    windows = selectors.Windows(starting_on, ending_before, size)
    if windows.count() > MAX_WINDOWS:
        raise ApplicationError(
            f"ending_before: the period holds {windows.count()} {size} windows; at most "
            f"{MAX_WINDOWS} per request."
        )
    return windows


def group_keys_allow(metric: BillableMetric, keys: list[str], field: str, exact: bool) -> None:
    """Group keys must be declared on the metric: `exact` needs one declared (compound) key
    with exactly these properties, otherwise each property must appear in one."""
    if metric.sql:
        raise ApplicationError(f"{field}: SQL billable metrics cannot be grouped.")
    declared = [set(group) for group in metric.group_keys or []]
    if exact:
        ok = set(keys) in declared and len(set(keys)) == len(keys)
    else:
        ok = all(any(key in group for group in declared) for key in keys)
    if not ok:
        names = ", ".join("[" + ", ".join(g) + "]" for g in metric.group_keys) or "none"
        raise ApplicationError(
            f"{field}: {', '.join(keys)} is not a group key of billable metric '{metric.name}' "
            f"(its group keys: {names})."
        )
