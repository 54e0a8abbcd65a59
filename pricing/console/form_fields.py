"""Form pieces the console's forms share: UTC date-times, comma-separated lists, and the
search-and-status filter of the list pages. Forms only parse text into the shapes the services
take; the business rules (negative prices, overlaps, tier order...) live in pricing.services."""

from datetime import UTC, datetime
from typing import Any

from django import forms

from billing_console.forms import within_input_window

STATUS_CHOICES = [("active", "Active"), ("archived", "Archived"), ("all", "All")]
DATETIME_HELP = "UTC, e.g. 2025-01-01 or 2025-01-01 00:00."


def split_list(raw: str) -> list[str]:
    """ "a, b\\nc" -> ["a", "b", "c"] (empty items dropped, order kept, duplicates removed)."""
    items = [item.strip() for item in (raw or "").replace("\n", ",").split(",")]
    return list(dict.fromkeys(item for item in items if item))


def join_list(values: list[str] | None) -> str:
    return ", ".join(values or [])


class UtcDateTimeField(forms.DateTimeField):
    """A date or date-time typed in UTC (the console shows every time in UTC)."""

    widget = forms.DateTimeInput(attrs={"placeholder": "YYYY-MM-DD HH:MM"})
    default_validators = [within_input_window]

    def to_python(self, value: Any) -> datetime | None:
        result = super().to_python(value)
        if result is None:
            return None
        return result.replace(tzinfo=UTC) if result.tzinfo is None else result.astimezone(UTC)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, datetime):
            value = value.astimezone(UTC)
            return value.strftime(
                "%Y-%m-%d" if value.hour == value.minute == 0 else "%Y-%m-%d %H:%M"
            )
        return value


class ListFilterForm(forms.Form):
    """Search and status of a list page (rate cards, packages)."""

    q = forms.CharField(required=False, label="Search")
    status = forms.ChoiceField(required=False, choices=STATUS_CHOICES)
