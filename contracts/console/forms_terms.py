"""Console forms of a contract's terms: commits and credits, overrides, scheduled charges."""

from django import forms

from billing_console.forms import within_input_window
from billing_console.lib.periods import add_months
from contracts.console.forms import midnight_utc, to_credit_units, unit_label


class CommitForm(forms.Form):
    wire_fields = {"type": "kind", "access_schedule": "amount", "schedule_items": "amount",
                   "invoice_schedule": "invoice_amount", "do_not_invoice": "do_not_invoice"}  # fmt: skip
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
    do_not_invoice = forms.BooleanField(
        required=False,
        label="Do not invoice",
        help_text="Prepaid only: the balance is usable, but no purchase invoice is issued "
        "(billed outside this system).",
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
        if data.get("do_not_invoice") and data.get("kind") != "PREPAID":
            self.add_error("do_not_invoice", "Only a prepaid commit is invoiced.")
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
            if data.get("do_not_invoice"):
                wire["invoice_schedule"]["do_not_invoice"] = True
        return wire


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
