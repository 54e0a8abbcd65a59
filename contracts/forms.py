"""Contract console forms. They collect wire-shaped data; the services validate it."""

from datetime import UTC, datetime, time

from django import forms

from billing_console.lib.periods import add_months

DATE_PRESETS = [
    ("", "Custom dates"),
    ("month", "Start of next month, 12 months"),
    ("today", "Today, 12 months"),
    ("quarter", "Start of next quarter, 12 months"),
]


def _midnight(day) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def preset_window(preset: str, today) -> tuple[datetime, datetime]:
    """Date presets deal desk uses most: contracts start on a boundary and run a year."""
    if preset == "today":
        start = _midnight(today)
    elif preset == "quarter":
        first = today.replace(day=1)
        months_ahead = 3 - (first.month - 1) % 3
        start = add_months(_midnight(first), months_ahead)
    else:
        start = add_months(_midnight(today.replace(day=1)), 1)
    return start, add_months(start, 12)


class ContractCreateForm(forms.Form):
    customer = forms.ChoiceField()
    source = forms.ChoiceField(label="Pricing from")
    name = forms.CharField(max_length=200, required=False)
    preset = forms.ChoiceField(choices=DATE_PRESETS, required=False, label="Dates")
    starting_at = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    ending_before = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Exclusive. Empty: open-ended.",
    )
    frequency = forms.ChoiceField(
        label="Usage statements",
        choices=[
            ("MONTHLY", "Monthly"),
            ("QUARTERLY", "Quarterly"),
            ("ANNUAL", "Annual"),
            ("WEEKLY", "Weekly"),
        ],
    )

    def __init__(self, *args, customers=(), sources=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].choices = [(str(c.public_id), c.name) for c in customers]
        self.fields["source"].choices = sources

    def clean(self):
        data = super().clean()
        if data.get("preset"):
            start, end = preset_window(data["preset"], datetime.now(UTC).date())
            data["start_dt"], data["end_dt"] = start, end
        else:
            if not data.get("starting_at"):
                self.add_error("starting_at", "Pick a start date or a preset.")
                return data
            data["start_dt"] = _midnight(data["starting_at"])
            data["end_dt"] = _midnight(data["ending_before"]) if data.get("ending_before") else None
        return data


class CommitForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[
            ("PREPAID", "Prepaid commit"),
            ("POSTPAID", "Postpaid commit"),
            ("CREDIT", "Credit (free)"),
        ]
    )
    name = forms.CharField(max_length=200)
    product = forms.ChoiceField(
        help_text="The product the commit or credit is sold as (a FIXED product)."
    )
    amount = forms.DecimalField(
        min_value=0,
        decimal_places=4,
        max_digits=19,
        help_text="In the contract's credit type, e.g. USD cents.",
    )
    starting_at = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    ending_before = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), help_text="Exclusive."
    )
    priority = forms.DecimalField(
        required=False, max_digits=10, decimal_places=2, help_text="Lower is drawn first."
    )
    invoice_amount = forms.DecimalField(
        required=False,
        min_value=0,
        max_digits=19,
        decimal_places=4,
        help_text="Prepaid only: billed on the start date. Empty: the access amount.",
    )

    def __init__(self, *args, products=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = [(str(p.public_id), p.name) for p in products]

    def to_wire(self) -> dict:
        data = self.cleaned_data
        start, end = _midnight(data["starting_at"]), _midnight(data["ending_before"])
        wire = {
            "product_id": data["product"],
            "name": data["name"],
            "access_schedule": {
                "schedule_items": [
                    {
                        "amount": str(data["amount"]),
                        "starting_at": start.isoformat(),
                        "ending_before": end.isoformat(),
                    }
                ]
            },
        }
        if data.get("priority") is not None:
            wire["priority"] = str(data["priority"])
        if data["kind"] != "CREDIT":
            wire["type"] = data["kind"]
        if data["kind"] == "PREPAID":
            amount = (
                data["invoice_amount"] if data.get("invoice_amount") is not None else data["amount"]
            )
            wire["invoice_schedule"] = {
                "schedule_items": [{"amount": str(amount), "timestamp": start.isoformat()}]
            }
        return wire
