"""Console forms for the contract page's items: edit a commit or credit, add and edit recurring
commits and credits (subscriptions: forms_subscriptions.py; overrides: forms_overrides.py).
Like contracts/forms.py they only collect wire-shaped data, amounts typed in major units
("$1,200.50") and sent in the credit type's stored unit (USD cents); contract_edit validates it."""

from decimal import Decimal

from django import forms

from billing_console.forms import MoneyField
from billing_console.lib.money_text import unit_of
from contracts.console.forms import midnight_utc, money_in

DATE = {"widget": forms.DateInput(attrs={"type": "date"})}
FREQUENCIES = [
    ("", "Each usage statement period"),
    ("MONTHLY", "Monthly"),
    ("QUARTERLY", "Quarterly"),
    ("ANNUAL", "Annual"),
    ("WEEKLY", "Weekly"),
]
PRORATIONS = [
    ("FIRST_AND_LAST", "Prorate the first and last periods"),
    ("FIRST", "Prorate the first period"),
    ("LAST", "Prorate the last period"),
    ("NONE", "No proration"),
]


def iso_day(day) -> str | None:
    return midnight_utc(day).isoformat() if day else None


def same_day(moment, day) -> bool:
    return (moment.date() if moment else None) == day


def item_field_id(prefix: str, item) -> str:
    """Each row's form gets its own element ids (several forms of one kind on the page)."""
    return f"{prefix}-{item.public_id}-%s"


def _amount(value) -> Decimal:
    return Decimal(str(value))


def _finer_than_currency(amount: Decimal | None, credit_type) -> bool:
    """Whether a stored amount has more decimals than its currency (0.5 USD cents): the API
    may set such an amount, and an edit form shows it and takes it back unchanged."""
    unit = unit_of(credit_type)
    if amount is None or not unit.fiat:
        return False
    return amount != amount.to_integral_value()


class CommitEditForm(forms.Form):
    """Name, priority and the end of the access schedule (its last item) of a commit or credit."""

    wire_fields = {"access_schedule": "ending_before", "update_schedule_items": "ending_before"}

    name = forms.CharField(max_length=200, required=False)
    priority = forms.DecimalField(
        required=False, max_digits=10, decimal_places=2, help_text="Lower is drawn first."
    )
    ending_before = forms.DateField(
        required=False,
        label="Access ends before",
        help_text="Exclusive; moves the end of the last access schedule item.",
        **DATE,
    )

    def __init__(self, data=None, *, commit, **kwargs):
        self.commit = commit
        self.segment = list(commit.segments.all())[-1] if commit.segments.all() else None
        initial = {
            "name": commit.name,
            "priority": f"{commit.priority.normalize():f}" if commit.priority is not None else None,
            "ending_before": self.segment.ending_before.date() if self.segment else None,
        }
        super().__init__(data, initial=initial, auto_id=item_field_id("commit", commit), **kwargs)
        if self.segment is None:
            del self.fields["ending_before"]

    def to_wire(self) -> dict:
        """A /v2/contracts/edit body, or {} when nothing changed."""
        data, commit = self.cleaned_data, self.commit
        item: dict = {}
        if data["name"] != commit.name:
            item["name"] = data["name"]
        if data["priority"] != commit.priority:
            item["priority"] = str(data["priority"]) if data["priority"] is not None else None
        end = data.get("ending_before")
        if self.segment is not None and end and not same_day(self.segment.ending_before, end):
            item["access_schedule"] = {
                "update_schedule_items": [{"id": str(self.segment.public_id), "ending_before": iso_day(end)}]
            }  # fmt: skip
        if not item:
            return {}
        if commit.is_credit:
            return {"update_credits": [{"credit_id": str(commit.public_id), **item}]}
        return {"update_commits": [{"commit_id": str(commit.public_id), **item}]}


class RecurringForm(forms.Form):
    """A recurring commit (invoiced each period) or recurring credit (free), optionally per seat."""

    wire_fields = {"access_amount": "access_amount", "unit_price": "access_amount",
                   "commit_duration": "periods", "recurrence_frequency": "frequency",
                   "subscription_config": "subscription", "invoice_amount": "invoice_amount"}  # fmt: skip

    kind = forms.ChoiceField(
        choices=[("COMMIT", "Recurring commit (prepaid)"), ("CREDIT", "Recurring credit (free)")]
    )
    name = forms.CharField(max_length=200, required=False)
    product = forms.ChoiceField(help_text="The product each period's grant is sold as.")
    priority = forms.DecimalField(
        max_digits=10, decimal_places=2, help_text="Lower is drawn first."
    )
    frequency = forms.ChoiceField(choices=FREQUENCIES, required=False, label="Every")
    access_amount = MoneyField()
    invoice_amount = MoneyField(
        required=False, help_text="Commits only: billed each period. Empty: the access amount."
    )
    periods = forms.IntegerField(
        min_value=1, max_value=120, initial=1, label="Usable for (periods)",
        help_text="How many periods each period's grant stays usable.",
    )  # fmt: skip
    proration = forms.ChoiceField(choices=PRORATIONS)
    starting_at = forms.DateField(**DATE)
    ending_before = forms.DateField(
        required=False, help_text="Exclusive. Empty: until the contract ends.", **DATE
    )
    subscription = forms.ChoiceField(
        required=False,
        label="Per seat of",
        help_text="Optional: the amount is per seat of this subscription.",
    )
    allocation = forms.ChoiceField(
        required=False,
        choices=[("POOLED", "Pooled across seats"), ("INDIVIDUAL", "One balance per seat")],
    )

    def __init__(self, *args, products=(), subscriptions=(), credit_type=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.credit_type = credit_type
        self.fields["product"].choices = [(str(p.public_id), p.name) for p in products]
        self.fields["subscription"].choices = [("", "—")] + [
            (str(s.public_id), str(s)) for s in subscriptions
        ]
        money_in(self, credit_type, {"access_amount": "Access amount per period",
                                     "invoice_amount": "Invoice amount per period"})  # fmt: skip

    def clean(self):
        data = super().clean()
        if data.get("kind") == "CREDIT" and data.get("invoice_amount") is not None:
            self.add_error("invoice_amount", "A recurring credit is not invoiced.")
        start, end = data.get("starting_at"), data.get("ending_before")
        if start and end and end <= start:
            self.add_error("ending_before", "Must be after the start date.")
        return data

    def to_wire(self, *, credit_type_id: str) -> dict:
        data = self.cleaned_data
        access = data["access_amount"]  # stored unit (USD cents)
        item: dict = {
            "product_id": data["product"],
            "priority": str(data["priority"]),
            "access_amount": {"unit_price": str(access), "quantity": "1"},
            "commit_duration": {"value": data["periods"], "unit": "PERIODS"},
            "proration": data["proration"],
            "starting_at": iso_day(data["starting_at"]),
        }
        for key in ("name", "frequency"):
            if data.get(key):
                item["recurrence_frequency" if key == "frequency" else key] = data[key]
        if data.get("ending_before"):
            item["ending_before"] = iso_day(data["ending_before"])
        if data.get("subscription"):
            del item["access_amount"]["quantity"]  # per seat: the seats are the quantity
            item["subscription_config"] = {
                "subscription_id": data["subscription"],
                "allocation": data.get("allocation") or "POOLED",
                "apply_seat_increase_config": {"is_prorated": True},
            }
        if data["kind"] == "CREDIT":
            return {"add_recurring_credits": [item]}
        invoiced = data.get("invoice_amount")
        price = invoiced if invoiced is not None else access
        item["invoice_amount"] = {
            "credit_type_id": credit_type_id,
            "quantity": "1",
            "unit_price": str(price),
        }
        return {"add_recurring_commits": [item]}


class RecurringEditForm(forms.Form):
    """What update_recurring_commits / update_recurring_credits change in place: the end date and
    the per-period amounts (periods already issued keep theirs)."""

    wire_fields = {"access_amount": "access_amount", "invoice_amount": "invoice_amount"}

    ending_before = forms.DateField(
        required=False, help_text="Exclusive. Empty: until the contract ends.", **DATE
    )
    access_amount = MoneyField()
    invoice_amount = MoneyField()

    def __init__(self, data=None, *, item, credit_type=None, **kwargs):
        self.item, self.credit_type = item, credit_type
        access = _amount(item.access_amount["unit_price"])
        invoice = item.invoice_amount
        initial = {
            "ending_before": item.ending_before.date() if item.ending_before else None,
            "access_amount": access,  # stored unit: the field shows it in major units
            "invoice_amount": _amount(invoice["unit_price"]) if invoice else None,
        }
        super().__init__(data, initial=initial, auto_id=item_field_id("recurring", item), **kwargs)
        if item.kind == "CREDIT" or not invoice:
            del self.fields["invoice_amount"]
        money_in(self, credit_type, {"access_amount": "Access unit price",
                                     "invoice_amount": "Invoice unit price"})  # fmt: skip
        quantity = item.access_amount.get("quantity")
        if quantity not in (None, 1):
            self.fields["access_amount"].label += f" × quantity {quantity}"  # noqa: RUF001
        for name, field in self.fields.items():
            if isinstance(field, MoneyField) and _finer_than_currency(initial[name], credit_type):
                field.sub_unit = True  # set finer through the API: saved back as it is

    def to_wire(self) -> dict:
        data, item = self.cleaned_data, self.item
        update: dict = {}
        if not same_day(item.ending_before, data.get("ending_before")):
            update["ending_before"] = iso_day(data.get("ending_before"))
        access = data["access_amount"]  # stored unit (USD cents)
        if access != _amount(item.access_amount["unit_price"]):
            update["access_amount"] = {"unit_price": str(access)}
        if "invoice_amount" in self.fields:
            invoice = data["invoice_amount"]
            if invoice != _amount(item.invoice_amount["unit_price"]):
                update["invoice_amount"] = {"unit_price": str(invoice)}
        if not update:
            return {}
        if item.kind == "CREDIT":
            return {"update_recurring_credits": [{"recurring_credit_id": str(item.public_id), **update}]}  # fmt: skip
        return {"update_recurring_commits": [{"recurring_commit_id": str(item.public_id), **update}]}  # fmt: skip
