"""Contract console forms. They collect wire-shaped data; the services validate it."""

from datetime import UTC, date, datetime, time
from decimal import Decimal

from django import forms

from billing_console.forms import within_input_window
from billing_console.lib.money import CURRENCY_EXPONENTS
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


class CommitForm(forms.Form):
    wire_fields = {"type": "kind", "access_schedule": "amount", "schedule_items": "amount",
                   "invoice_schedule": "invoice_amount"}  # fmt: skip
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
    amount = forms.DecimalField(min_value=0, decimal_places=4, max_digits=19)
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

    def __init__(self, *args, products=(), credit_type=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.credit_type = credit_type
        self.fields["product"].choices = [(str(p.public_id), p.name) for p in products]
        self.fields["amount"].label = f"Amount ({unit_label(credit_type)})"
        self.fields["invoice_amount"].label = f"Invoice amount ({unit_label(credit_type)})"

    def clean(self):
        data = super().clean()
        if (
            data.get("starting_at")
            and data.get("ending_before")
            and data["ending_before"] <= data["starting_at"]
        ):
            self.add_error("ending_before", "Must be after the start date.")
        return data

    def to_wire(self) -> dict:
        data = self.cleaned_data
        start, end = midnight_utc(data["starting_at"]), midnight_utc(data["ending_before"])
        wire = {
            "product_id": data["product"],
            "name": data["name"],
            "access_schedule": {
                "schedule_items": [
                    {
                        "amount": str(to_credit_units(data["amount"], self.credit_type)),
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
                "schedule_items": [
                    {
                        "amount": str(to_credit_units(amount, self.credit_type)),
                        "timestamp": start.isoformat(),
                    }
                ]
            }
        return wire


def to_credit_units(amount: Decimal, credit_type) -> Decimal:
    """Console amounts are typed in major units (dollars); fiat credit types count minor units
    (USD cents) on the wire and in the database."""
    code = getattr(credit_type, "currency_code", "")
    if getattr(credit_type, "is_fiat", False) and code in CURRENCY_EXPONENTS:
        return amount.scaleb(CURRENCY_EXPONENTS[code])
    return amount


def from_credit_units(amount: Decimal, credit_type) -> Decimal:
    """The inverse of to_credit_units: USD cents back to dollars for a form's initial value."""
    code = getattr(credit_type, "currency_code", "")
    if getattr(credit_type, "is_fiat", False) and code in CURRENCY_EXPONENTS:
        return amount.scaleb(-CURRENCY_EXPONENTS[code]).normalize()
    return amount.normalize()


def unit_label(credit_type) -> str:
    code = getattr(credit_type, "currency_code", "")
    return (
        code
        if getattr(credit_type, "is_fiat", False) and code
        else getattr(credit_type, "name", "")
    )


def _group_values(text: str) -> dict[str, str]:
    """'region=us-east-1, tier=batch' -> {'region': 'us-east-1', 'tier': 'batch'}."""
    values = {}
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise forms.ValidationError(f"'{part}' is not key=value.")
        values[key.strip()] = value.strip()
    return values


class OverrideForm(forms.Form):
    # Service error paths that belong to a form field (the rest show above the form).
    wire_fields = {"override_specifiers": "product", "overwrite_rate": "price",
                   "applicable_product_tags": "tags", "pricing_group_values": "group_values"}  # fmt: skip
    type = forms.ChoiceField(
        choices=[("MULTIPLIER", "Multiplier (discount or markup)"), ("OVERWRITE", "New flat price")]
    )
    product = forms.ChoiceField(required=False, help_text="Empty: use tags instead.")
    tags = forms.CharField(required=False, help_text="Product tags, comma-separated (e.g. tokens).")
    group_values = forms.CharField(
        required=False,
        label="Only for group values",
        help_text="e.g. region=us-east-1 (comma-separated).",
    )
    multiplier = forms.DecimalField(required=False, min_value=0, max_digits=12, decimal_places=6,
                                    help_text="0.9 is 10% off.")  # fmt: skip
    price = forms.DecimalField(required=False, min_value=0, max_digits=19, decimal_places=6,
                               help_text="New unit price, in the contract's credit type (e.g. USD cents).")  # fmt: skip
    starting_at = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    ending_before = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}),
                                    help_text="Exclusive. Empty: until the contract ends.")  # fmt: skip
    priority = forms.DecimalField(required=False, max_digits=10, decimal_places=2)

    def __init__(self, *args, products=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = [("", "—")] + [
            (str(p.public_id), p.name) for p in products
        ]

    def clean_group_values(self):
        return _group_values(self.cleaned_data.get("group_values", ""))

    def clean(self):
        data = super().clean()
        if data.get("type") == "MULTIPLIER" and data.get("multiplier") is None:
            self.add_error("multiplier", "A multiplier override needs a multiplier.")
        if data.get("type") == "OVERWRITE" and data.get("price") is None:
            self.add_error("price", "A new-price override needs a price.")
        if not data.get("product") and not data.get("tags"):
            self.add_error("product", "Choose a product or give tags.")
        return data

    def to_wire(self) -> dict:
        data = self.cleaned_data
        wire: dict = {
            "type": data["type"],
            "starting_at": midnight_utc(data["starting_at"]).isoformat(),
        }
        if data.get("ending_before"):
            wire["ending_before"] = midnight_utc(data["ending_before"]).isoformat()
        tags = [t.strip() for t in (data.get("tags") or "").split(",") if t.strip()]
        specifier: dict = {}
        if data.get("product"):
            specifier["product_id"] = data["product"]
        if tags:
            specifier["product_tags"] = tags
        if data.get("group_values"):
            specifier["pricing_group_values"] = data["group_values"]
        wire["override_specifiers"] = [specifier]
        if data["type"] == "MULTIPLIER":
            wire["multiplier"] = str(data["multiplier"])
        else:
            wire["overwrite_rate"] = {"rate_type": "FLAT", "price": str(data["price"])}
        if data.get("priority") is not None:
            wire["priority"] = str(data["priority"])
        return wire


class ChargeForm(forms.Form):
    wire_fields = {"schedule": "first_date", "timestamp": "first_date"}
    product = forms.ChoiceField()
    name = forms.CharField(max_length=200, required=False)
    amount = forms.DecimalField(min_value=0, max_digits=19, decimal_places=4)
    first_date = forms.DateField(
        label="Date", widget=forms.DateInput(attrs={"type": "date"}),
        validators=[within_input_window],
    )  # fmt: skip
    months = forms.IntegerField(min_value=1, max_value=120, initial=1, label="Repeat monthly, times",
                                help_text="1 for a one-off fee.")  # fmt: skip

    def __init__(self, *args, products=(), credit_type=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.credit_type = credit_type
        self.fields["product"].choices = [(str(p.public_id), p.name) for p in products]
        self.fields["amount"].label = f"Amount ({unit_label(credit_type)})"

    def to_wire(self) -> dict:
        data = self.cleaned_data
        start = midnight_utc(data["first_date"])
        amount = to_credit_units(data["amount"], self.credit_type)
        items = [
            {"timestamp": add_months(start, m).isoformat(), "amount": str(amount)}
            for m in range(data["months"])
        ]
        wire = {"product_id": data["product"], "schedule": {"schedule_items": items}}
        if data.get("name"):
            wire["name"] = data["name"]
        return wire


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
