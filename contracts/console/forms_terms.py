"""Console forms of a contract's terms: scheduled charges (commits and credits: forms_commits.py,
its CommitForm importable from here too; overrides: forms_overrides.py). Amounts are typed in
the contract's credit type's major unit ("$1,200.50") and sent in its stored unit (USD cents),
the currency's own decimals at most: they are billed as they are, so "12.345" USD is refused
rather than rounded."""

from django import forms

from billing_console.forms import MoneyField, within_input_window
from billing_console.lib.periods import add_months
from contracts.console.forms import midnight_utc, money_in
from contracts.console.forms_commits import CommitForm

__all__ = ["ChargeForm", "CommitForm"]


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
