"""Contract console forms. They collect wire-shaped data; the services validate it."""

from datetime import UTC, date, datetime, time

from django import forms

from billing_console.forms import MoneyField, within_input_window
from billing_console.lib.money_text import unit_label
from billing_console.lib.periods import add_months

START_PRESETS = [
    ("this_month", "Start of this month"),
    ("next_month", "Start of next month"),
    ("today", "Today"),
    ("next_quarter", "Start of next quarter"),
    ("date", "On the start date below"),
]
DURATIONS = [
    ("", "The package's term (a rate card: open-ended)"),
    ("12", "12 months"),
    ("24", "24 months"),
    ("open", "Open-ended"),
    ("date", "Until the end date below"),
]
PACKAGE_DEFAULT = object()  # the end date is left to the package (open-ended for a rate card)


def midnight_utc(day) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def preset_start(preset: str, today: date) -> datetime:
    """The start presets deal desk uses most: contracts start on a boundary (UTC midnight)."""
    first = midnight_utc(today.replace(day=1))
    if preset == "today":
        return midnight_utc(today)
    if preset == "this_month":
        return first
    if preset == "next_quarter":
        return add_months(first, 3 - (first.month - 1) % 3)
    return add_months(first, 1)  # next_month


def window_text(start: datetime, end) -> str:
    """'Starts Mar 1, 2026 · ends before Mar 1, 2027' for the create form's preview."""
    text = f"Starts {start:%b} {start.day}, {start.year}"
    if end is PACKAGE_DEFAULT:
        return f"{text} · ends as the package sets (a rate card: open-ended)"
    if end is None:
        return f"{text} · open-ended"
    return f"{text} · ends before {end:%b} {end.day}, {end.year}"


class ContractCreateForm(forms.Form):
    wire_fields = {"rate_card_id": "source", "package_id": "source", "package_alias": "source",
                   "usage_statement_schedule": "frequency", "name": "name"}  # fmt: skip
    wire_top_level_only = True  # errors in the package's own terms are not about these fields
    customer = forms.ChoiceField()
    source = forms.ChoiceField(label="Pricing from")
    name = forms.CharField(
        max_length=200, required=False, help_text="Empty: the package's contract name, if any."
    )
    start = forms.ChoiceField(choices=START_PRESETS, label="Starts")
    starting_at = forms.DateField(
        required=False, label="Start date", widget=forms.DateInput(attrs={"type": "date"}),
        validators=[within_input_window],  # before add_months: 9999-12-31 + 12 months overflows
    )  # fmt: skip
    duration = forms.ChoiceField(choices=DURATIONS, required=False, label="Runs")
    ending_before = forms.DateField(
        required=False,
        label="End date",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Exclusive: the first day not covered.",
        validators=[within_input_window],
    )
    frequency = forms.ChoiceField(
        label="Usage statements",
        required=False,
        choices=[
            ("", "The package's schedule (a rate card: monthly)"),
            ("MONTHLY", "Monthly"),
            ("QUARTERLY", "Quarterly"),
            ("ANNUAL", "Annual"),
            ("WEEKLY", "Weekly"),
        ],
    )

    def __init__(self, *args, customers=(), sources=(), preview_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].choices = [(str(c.public_id), c.name) for c in customers]
        self.fields["source"].choices = sources
        if preview_url:  # the date preview follows the date fields (htmx; plain POST without)
            for name in ("start", "starting_at", "duration", "ending_before"):
                self.fields[name].widget.attrs.update(
                    {
                        "hx-get": preview_url,
                        "hx-include": "closest form",
                        "hx-target": "#date-preview",
                        "hx-swap": "outerHTML",
                        "hx-trigger": "change",
                    }
                )

    def clean(self):
        data = super().clean()
        preset = data.get("start")
        if preset == "date":
            if not data.get("starting_at"):
                self.add_error("starting_at", "Pick a start date (or a start preset).")
                return data
            data["start_dt"] = midnight_utc(data["starting_at"])
        elif preset:
            data["start_dt"] = preset_start(preset, datetime.now(UTC).date())
        else:
            return data
        start, duration = data["start_dt"], data.get("duration") or ""
        if duration in ("12", "24"):
            data["end_dt"] = add_months(start, int(duration))
        elif duration == "open":
            data["end_dt"] = None
        elif duration == "date":
            if not data.get("ending_before"):
                self.add_error("ending_before", "Pick an end date (or a duration).")
                return data
            data["end_dt"] = midnight_utc(data["ending_before"])
            if data["end_dt"] <= start:
                self.add_error("ending_before", "Must be after the start date.")
        else:
            data["end_dt"] = PACKAGE_DEFAULT
        return data

    def to_wire(self) -> tuple[str, dict]:
        """(customer id, /v1/contracts/create body). Unset fields leave the package's terms."""
        data = self.cleaned_data
        kind, _, source_id = data["source"].partition(":")
        wire: dict = {
            "starting_at": data["start_dt"].isoformat(),
            "package_id" if kind == "package" else "rate_card_id": source_id,
        }
        if data.get("name"):
            wire["name"] = data["name"]
        if data["end_dt"] is not PACKAGE_DEFAULT:
            # None is sent on purpose: open-ended even when the package sets a duration.
            wire["ending_before"] = data["end_dt"].isoformat() if data["end_dt"] else None
        if data.get("frequency"):
            wire["usage_statement_schedule"] = {"frequency": data["frequency"]}
        return data["customer"], wire

    def preview(self) -> str:
        """The contract's window as the dates chosen so far give it ('' until they do)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        if "start_dt" not in data or "end_dt" not in data:
            return ""
        return window_text(data["start_dt"], data["end_dt"])


def money_in(form: forms.Form, credit_type, labels: dict[str, str]) -> None:
    """Point the form's MoneyFields at `credit_type`: typed and shown in its major unit
    ("$1,200.50"), cleaned to its stored unit (120050 USD cents). Each label in `labels` gets
    the unit people type in: "Amount (USD)", never "(cents)"."""
    unit = unit_label(credit_type)
    for field in form.fields.values():
        if isinstance(field, MoneyField):
            field.credit_type = credit_type
    for name, label in labels.items():
        if name in form.fields:
            form.fields[name].label = f"{label} ({unit})" if unit else label


class TermsForm(forms.Form):
    wire_fields = {"update_contract_end_date": "ending_before", "update_contract_name": "name",
                   "allow_contract_ending_before_finalized_invoice": "allow_before_finalized"}  # fmt: skip
    name = forms.CharField(max_length=200, required=False, help_text="Empty removes the name.")
    ending_before = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}),
                                    label="Ends before", help_text="Exclusive. Empty: open-ended.")  # fmt: skip
    allow_before_finalized = forms.BooleanField(
        required=False, label="Allow ending before a finalized invoice"
    )

    def to_wire(self, contract) -> dict:
        data = self.cleaned_data
        wire: dict = {}
        if (data.get("name") or "") != (contract.name or ""):
            wire["update_contract_name"] = data.get("name") or None
        end = midnight_utc(data["ending_before"]) if data.get("ending_before") else None
        if end != contract.ending_before:
            wire["update_contract_end_date"] = end.isoformat() if end else None
            wire["allow_contract_ending_before_finalized_invoice"] = bool(
                data.get("allow_before_finalized")
            )
        return wire
