"""HTML input for the usage console: metric definitions typed as short lines, event search."""

from datetime import timedelta
from typing import Any

from django import forms

from billing_console.forms import within_input_window
from usage.models import AggregationType

LOOKBACKS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
STATUSES = [("active", "Active"), ("archived", "Archived"), ("all", "All")]


def _values(raw: str) -> list[str]:
    return [v.strip() for v in raw.split(",") if v.strip()]


def parse_property_filter(line: str) -> dict[str, Any]:
    """`region in us-east-1,eu-west-1`, `tier not in free`, `model exists`, `model not exists`."""
    words = line.split(None, 1)
    if len(words) < 2:
        raise ValueError(f"“{line}”: write “NAME exists”, “NAME in A,B” or “NAME not in A,B”.")
    name, rest = words[0], words[1].strip()
    low = rest.lower()
    if low == "exists":
        return {"name": name, "exists": True}
    if low in ("not exists", "does not exist", "missing"):
        return {"name": name, "exists": False}
    for prefix, key in (("not in ", "not_in_values"), ("in ", "in_values")):
        if low.startswith(prefix):
            values = _values(rest[len(prefix) :])
            if not values:
                raise ValueError(f"“{line}”: list at least one value after “{prefix.strip()}”.")
            return {"name": name, key: values}
    raise ValueError(f"“{line}”: write “NAME exists”, “NAME in A,B” or “NAME not in A,B”.")


class MetricDefinitionForm(forms.Form):
    """A structured billable metric, as typed in the console."""

    name = forms.CharField(max_length=200)
    event_types = forms.CharField(
        required=False,
        label="Event types",
        help_text="Comma-separated; events of other types are ignored. Empty = any type.",
    )
    property_filters = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "mono"}),
        help_text="One per line: <code>region in us-east-1,eu-west-1</code>, "
        "<code>model exists</code>, <code>tier not in free</code>.",
    )
    aggregation_type = forms.ChoiceField(
        choices=AggregationType.choices, initial=AggregationType.COUNT, label="Aggregation"
    )
    aggregation_key = forms.CharField(
        required=False,
        max_length=200,
        label="Aggregation key",
        help_text="The property summed, maxed, counted uniquely or taken last.",
    )
    group_keys = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "mono"}),
        label="Group keys",
        help_text="One group per line, properties comma-separated: <code>region</code> or "
        "<code>region, model</code>.",
    )

    def clean_event_types(self) -> list[str]:
        return _values(self.cleaned_data["event_types"])

    def clean_property_filters(self) -> list[dict[str, Any]]:
        filters, problems = [], []
        for number, line in enumerate(self.cleaned_data["property_filters"].splitlines(), 1):
            if not line.strip():
                continue
            try:
                filters.append(parse_property_filter(line.strip()))
            except ValueError as err:
                problems.append(f"Line {number}: {err}")
        if problems:
            raise forms.ValidationError(problems)
        return filters

    def clean_group_keys(self) -> list[list[str]]:
        lines = self.cleaned_data["group_keys"].splitlines()
        return [keys for line in lines if (keys := _values(line))]

    def definition(self) -> dict[str, Any]:
        """The keyword arguments of metric_validate / billable_metric_create (minus name)."""
        data = self.cleaned_data
        types = data["event_types"]
        return {
            "event_type_filter": {"in_values": types} if types else {},
            "property_filters": data["property_filters"],
            "aggregation_type": data["aggregation_type"],
            "aggregation_key": data["aggregation_key"],
            "group_keys": data["group_keys"],
            "sql": None,
        }


class MetricPreviewForm(MetricDefinitionForm):
    """The draft definition plus whose events to preview it over. The name is not needed."""

    name = forms.CharField(max_length=200, required=False)
    preview_customer = forms.CharField(required=False, label="Customer")
    lookback = forms.ChoiceField(
        choices=[("24h", "Last 24 hours"), ("7d", "Last 7 days"), ("30d", "Last 30 days")],
        initial="7d",
        required=False,
        label="Look-back",
    )

    def __init__(self, *args: Any, customers: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "Choose a customer…"), *((str(c.public_id), c.name) for c in customers)]
        self.fields["preview_customer"].widget = forms.Select(choices=choices)

    def clean_lookback(self) -> str:
        return self.cleaned_data["lookback"] or "7d"


class MetricNameForm(forms.Form):
    name = forms.CharField(max_length=200)


class MetricFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search")
    status = forms.ChoiceField(required=False, choices=STATUSES)
    aggregation = forms.ChoiceField(
        required=False,
        choices=[("", "Any aggregation"), *AggregationType.choices, ("SQL", "SQL")],
    )


class EventSearchForm(forms.Form):
    transaction_id = forms.CharField(required=False, max_length=128, label="Transaction id")
    customer = forms.CharField(required=False, max_length=255, help_text="Id or ingest alias.")
    event_type = forms.CharField(required=False, max_length=255, label="Event type")
    since = forms.DateTimeField(
        required=False,
        label="From (UTC)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        validators=[within_input_window],
    )
    until = forms.DateTimeField(
        required=False,
        label="Before (UTC)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        validators=[within_input_window],
    )
