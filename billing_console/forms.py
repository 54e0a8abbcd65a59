from datetime import UTC, date, datetime, time

from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import TemplatesSetting

from billing_console.lib.periods import EARLIEST, LATEST, within_window


class ConsoleFormRenderer(TemplatesSetting):
    """`{{ form }}` renders our markup, with errors beside each field, everywhere (Luke Plant)."""

    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What uses this token, e.g. 'ingest service'.")
    read_only = forms.BooleanField(
        required=False,
        label="Read-only",
        help_text="GET calls and the list, get, search and preview POSTs only; "
        "any other call answers 403.",
    )


def within_input_window(value: date | datetime) -> None:
    """Validator for console date fields: the window every input instant lies in (README,
    "Input limits"); a date near year 9999 would otherwise overflow as its day's end."""
    moment = value if isinstance(value, datetime) else datetime.combine(value, time.min, UTC)
    if not within_window(moment):
        raise ValidationError(
            f"Must be between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}.", code="out_of_range"
        )
