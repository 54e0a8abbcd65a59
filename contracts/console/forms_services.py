"""Console forms for discounts and professional services. Like contracts/console/forms.py they
only collect wire-shaped data, amounts typed in major units ("$1,200.50") and sent in the credit
type's stored unit (USD cents); contract_edit and the pro services invoicing service validate it.
Billed amounts take the currency's decimals at most; a service's unit price may be finer."""

from datetime import timedelta

from django import forms

from billing_console.forms import MoneyField, within_input_window
from billing_console.lib.periods import add_months
from billing_console.templatetags.money import format_money
from contracts.console.forms import midnight_utc, money_in

DATE = {"widget": forms.DateInput(attrs={"type": "date"}), "validators": [within_input_window]}
DAY = timedelta(days=1)


class DiscountForm(forms.Form):
    """A fixed amount off the contract's scheduled invoice on a date, or on the same day of
    each month for some months (a recurring schedule, the amount given each month)."""

    wire_fields = {"schedule": "first_date", "timestamp": "first_date",
                   "starting_at": "first_date", "ending_before": "months"}  # fmt: skip
    product = forms.ChoiceField(help_text="The product the discount line is shown under.")
    name = forms.CharField(max_length=200, required=False, help_text="Shown on the invoice.")
    amount = MoneyField()
    first_date = forms.DateField(label="Date", **DATE)
    months = forms.IntegerField(min_value=1, max_value=120, initial=1, label="Repeat monthly, times",
                                help_text="1 for a one-off discount.")  # fmt: skip

    def __init__(self, *args, products=(), credit_type=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.credit_type = credit_type
        self.fields["product"].choices = [(str(p.public_id), p.name) for p in products]
        money_in(self, credit_type, {"amount": "Amount off"})

    def to_wire(self) -> dict:
        data = self.cleaned_data
        start = midnight_utc(data["first_date"])
        amount = str(data["amount"])  # stored unit (USD cents)
        if data["months"] == 1:
            schedule = {"schedule_items": [{"timestamp": start.isoformat(), "amount": amount}]}
        else:  # ending_before is exclusive: the day after the last month's date
            last = add_months(start, data["months"] - 1, start.day)
            schedule = {"recurring_schedule": {
                "starting_at": start.isoformat(), "ending_before": (last + DAY).isoformat(),
                "frequency": "MONTHLY", "amount_distribution": "EACH", "amount": amount,
            }}  # fmt: skip
        wire = {"product_id": data["product"], "schedule": schedule}
        if data.get("name"):
            wire["name"] = data["name"]
        return wire


class ProServiceForm(forms.Form):
    product = forms.ChoiceField(help_text="A professional services product.")
    description = forms.CharField(max_length=2000, required=False, help_text="Shown on invoices.")
    unit_price = MoneyField(sub_unit=True)  # a price per unit (an hour): may be finer than a cent
    quantity = forms.DecimalField(min_value=0, max_digits=19, decimal_places=4, initial=1)
    max_amount = MoneyField(help_text="The most that may ever be invoiced.")

    def __init__(self, *args, products=(), credit_type=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.credit_type = credit_type
        self.fields["product"].choices = [(str(p.public_id), p.name) for p in products]
        if not self.fields["product"].choices:
            self.fields[
                "product"
            ].help_text = "No professional services product yet: create one under Products first."
        money_in(self, credit_type, {"unit_price": "Unit price", "max_amount": "Maximum amount"})

    def to_wire(self) -> dict:
        data = self.cleaned_data
        wire = {
            "product_id": data["product"],
            "quantity": str(data["quantity"]),
            "unit_price": str(data["unit_price"]),  # stored unit (USD cents)
            "max_amount": str(data["max_amount"]),
        }
        if data.get("description"):
            wire["description"] = data["description"]
        return wire


class ProServiceInvoiceForm(forms.Form):
    """Invoice part of a professional service: a quantity at its unit price, or an amount."""

    wire_fields = {"issued_at": "issued_on", "unit_price": "quantity", "metadata": "note"}
    issued_on = forms.DateField(label="Invoice date", **DATE)
    quantity = forms.DecimalField(required=False, min_value=0, max_digits=19, decimal_places=4)
    amount = MoneyField(required=False, help_text="Instead of a quantity.")
    note = forms.CharField(
        max_length=200, required=False, help_text="Shown on the invoice line (a PO number...)."
    )

    def __init__(self, *args, service, credit_type=None, **kwargs):
        super().__init__(*args, auto_id=f"pro-invoice-{service.public_id}-%s", **kwargs)
        self.service, self.credit_type = service, credit_type
        self.fields[
            "quantity"
        ].help_text = f"At {format_money(service.unit_price, credit_type)} each."
        money_in(self, credit_type, {"amount": "Amount"})

    def clean(self):
        data = super().clean()
        if (data.get("quantity") is None) == (data.get("amount") is None):
            raise forms.ValidationError("Give a quantity or an amount (one of them).")
        return data

    def to_wire(self) -> dict:
        data = self.cleaned_data
        line: dict = {"professional_service_id": str(self.service.public_id)}
        if data.get("amount") is not None:
            line["amount"] = str(data["amount"])  # stored unit (USD cents)
        else:
            line["quantity"] = str(data["quantity"])
        if data.get("note"):
            line["metadata"] = data["note"]
        return {"issued_at": midnight_utc(data["issued_on"]).isoformat(), "line_items": [line]}
