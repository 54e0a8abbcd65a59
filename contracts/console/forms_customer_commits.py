"""The customer page's add form for a customer-level commit or credit: the contract page's
CommitForm (through its public interface: `__init__(products=, credit_type=)`, `to_wire()`,
`wire_fields`, and the field groups its template shows) plus what the customer level adds on
the wire of /customerCommits/create and /customerCredits/create: the contracts it applies to,
the contract its purchase is invoiced on, and a custom pricing unit; minus rollover, which
only a contract's commits take. The service (contracts.terms.customer_commits) validates it;
what it refuses comes back beside the field."""

from django import forms

from billing_console.forms import MoneyField
from billing_console.lib.money_text import unit_label
from contracts.console.forms_terms import CommitForm

NOT_AT_CUSTOMER_LEVEL = ("rollover",)  # rollover_fraction: refused by /customerCommits/create


def contract_label(contract) -> str:
    """A contract as finance tells it apart from the customer's others: name and start."""
    start = contract.starting_at
    when = f"from {start:%b} {start.day}, {start.year}"
    return f"{contract.name} ({when})" if contract.name else f"Contract {when}"


class CustomerCommitForm(CommitForm):
    wire_fields = {
        **CommitForm.wire_fields,
        "applicable_contract_ids": "applicable_contracts",
        "invoice_contract_id": "invoice_contract",
        "credit_type_id": "unit",
    }
    unit = forms.ChoiceField(
        required=False,
        label="Unit",
        help_text="A custom pricing unit draws that unit; the purchase is still invoiced in "
        "the currency.",
    )
    invoice_contract = forms.ChoiceField(
        required=False,
        label="Invoice on contract",
        help_text="The contract whose invoices bill the purchase (a prepaid commit that is "
        "invoiced, or a postpaid one).",
    )
    applicable_contracts = forms.MultipleChoiceField(
        required=False,
        label="Applies to contracts",
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every contract of the customer, present and future.",
    )

    def __init__(
        self, *args, products=(), credit_type=None, contracts=(), custom_units=(), **kwargs
    ):
        super().__init__(*args, products=products, credit_type=credit_type, **kwargs)
        for name in NOT_AT_CUSTOMER_LEVEL:
            self.fields.pop(name, None)
        self.fiat = credit_type  # the customer's currency: invoices are always in it
        self.custom_units = {str(c.public_id): c for c in custom_units}
        contract_choices = [(str(c.public_id), contract_label(c)) for c in contracts]
        self.fields["applicable_contracts"].choices = contract_choices
        self.fields["invoice_contract"].choices = [("", "—"), *contract_choices]
        if len(contract_choices) == 1:
            self.initial.setdefault("invoice_contract", contract_choices[0][0])
        # Customer level: the service requires a priority (Metronome does too).
        self.fields["priority"].required = True
        self.fields["priority"].help_text = "Lower is drawn first; required at customer level."
        if self.custom_units:
            self.fields["unit"].choices = [
                ("", unit_label(credit_type) or "Currency"),
                *((key, unit.name) for key, unit in self.custom_units.items()),
            ]
        else:
            del self.fields["unit"]
        self._units_from_choice()

    def _units_from_choice(self) -> None:
        """Access amounts are typed in the unit chosen (read before cleaning: it decides how
        "1,200.50" is read); invoice amounts always in the currency."""
        key = self.add_prefix("unit")
        chosen_id = self.data.get(key) if self.is_bound else self.initial.get("unit")
        chosen = self.custom_units.get(str(chosen_id or "")) or self.fiat
        for name, field in self.fields.items():
            if not isinstance(field, MoneyField):
                continue
            invoiced = name.startswith("invoice_amount")
            field.credit_type = self.fiat if invoiced else chosen
            unit = unit_label(field.credit_type)
            label = "Invoice amount" if invoiced else "Amount"
            field.label = f"{label} ({unit})" if unit else label

    def scope_fields(self) -> list:
        """What it pays for: the contracts first, then the products and tags."""
        return [self["applicable_contracts"], *super().scope_fields()]

    def head_fields(self) -> list:
        return [f for f in super().head_fields() if f.name != "applicable_contracts"]

    def clean(self):
        data = super().clean()
        custom, invoiced = bool(data.get("unit")), not data.get("do_not_invoice")
        if custom and invoiced and data.get("kind") == "PREPAID":
            if data.get("invoice_amount") is None:
                self.add_error(
                    "invoice_amount",
                    "Give the amount invoiced, in the currency: the access is in a custom unit.",
                )
        if data.get("kind") == "CREDIT" and data.get("invoice_contract"):
            self.add_error("invoice_contract", "A credit is free: it is not invoiced.")
        return data

    @property
    def is_credit(self) -> bool:
        return self.cleaned_data["kind"] == "CREDIT"

    def to_wire(self) -> dict:
        """The body of /customerCommits/create (or /customerCredits/create), customer_id apart."""
        data = self.cleaned_data
        wire = super().to_wire()
        if data.get("unit"):
            wire["access_schedule"]["credit_type_id"] = data["unit"]
        if data.get("applicable_contracts"):
            wire["applicable_contract_ids"] = list(data["applicable_contracts"])
        if data.get("invoice_contract") and not self.is_credit:
            wire["invoice_contract_id"] = data["invoice_contract"]
        return wire
