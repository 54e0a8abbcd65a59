"""Console forms of a contract's terms: commits and credits, scheduled charges (overrides:
forms_overrides.py). Amounts are typed in the contract's credit type's major unit ("$1,200.50")
and sent in its stored unit (USD cents), the currency's own decimals at most: they are billed
as they are, so "12.345" USD is refused rather than rounded."""

from django import forms

from billing_console.forms import MoneyField, within_input_window
from billing_console.lib.periods import add_months
from contracts.console.forms import midnight_utc, money_in


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
    amount = MoneyField()
    starting_at = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    ending_before = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), help_text="Exclusive."
    )
    priority = forms.DecimalField(
        required=False, max_digits=10, decimal_places=2, help_text="Lower is drawn first."
    )
    invoice_amount = MoneyField(
        required=False,
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
        money_in(self, credit_type, {"amount": "Amount", "invoice_amount": "Invoice amount"})

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
                        "amount": str(data["amount"]),  # stored unit (USD cents)
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
                        "amount": str(amount),
                        "timestamp": start.isoformat(),
                    }
                ]
            }
            if data.get("do_not_invoice"):
                wire["invoice_schedule"]["do_not_invoice"] = True
        return wire


class ChargeForm(forms.Form):
    wire_fields = {"schedule": "first_date", "timestamp": "first_date"}
    product = forms.ChoiceField()
    name = forms.CharField(max_length=200, required=False)
    amount = MoneyField()
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
        money_in(self, credit_type, {"amount": "Amount"})

    def to_wire(self) -> dict:
        data = self.cleaned_data
        start = midnight_utc(data["first_date"])
        amount = data["amount"]  # stored unit (USD cents)
        items = [
            {"timestamp": add_months(start, m).isoformat(), "amount": str(amount)}
            for m in range(data["months"])
        ]
        wire = {"product_id": data["product"], "schedule": {"schedule_items": items}}
        if data.get("name"):
            wire["name"] = data["name"]
        return wire
