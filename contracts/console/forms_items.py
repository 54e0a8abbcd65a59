"""Console forms for the contract page's items: edit a commit or credit, add and edit recurring
commits and credits, edit an override (subscriptions: forms_subscriptions.py). Like
contracts/forms.py they only collect wire-shaped data (dollars → credit type units);
contract_edit validates it."""

from decimal import Decimal

from django import forms

from contracts.console.forms import from_credit_units, midnight_utc, to_credit_units, unit_label

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
            "priority": commit.priority.normalize() if commit.priority is not None else None,
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
    access_amount = forms.DecimalField(min_value=0, max_digits=19, decimal_places=4)
    invoice_amount = forms.DecimalField(
        required=False,
        min_value=0,
        max_digits=19,
        decimal_places=4,
        help_text="Commits only: billed each period. Empty: the access amount.",
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
        unit = unit_label(credit_type)
        self.fields["access_amount"].label = f"Access amount per period ({unit})"
        self.fields["invoice_amount"].label = f"Invoice amount per period ({unit})"

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
        access = to_credit_units(data["access_amount"], self.credit_type)
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
        invoiced = data["invoice_amount"] if data.get("invoice_amount") is not None else None
        price = to_credit_units(invoiced, self.credit_type) if invoiced is not None else access
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
    access_amount = forms.DecimalField(min_value=0, max_digits=19, decimal_places=4)
    invoice_amount = forms.DecimalField(min_value=0, max_digits=19, decimal_places=4)

    def __init__(self, data=None, *, item, credit_type=None, **kwargs):
        self.item, self.credit_type = item, credit_type
        access = _amount(item.access_amount["unit_price"])
        invoice = item.invoice_amount
        initial = {
            "ending_before": item.ending_before.date() if item.ending_before else None,
            "access_amount": from_credit_units(access, credit_type),
            "invoice_amount": from_credit_units(_amount(invoice["unit_price"]), credit_type)
            if invoice
            else None,
        }
        super().__init__(data, initial=initial, auto_id=item_field_id("recurring", item), **kwargs)
        unit = unit_label(credit_type)
        quantity = item.access_amount.get("quantity")
        per = f" × quantity {quantity}" if quantity not in (None, 1) else ""  # noqa: RUF001
        self.fields["access_amount"].label = f"Access unit price ({unit}){per}"
        if item.kind == "CREDIT" or not invoice:
            del self.fields["invoice_amount"]
        else:
            self.fields["invoice_amount"].label = f"Invoice unit price ({unit})"

    def to_wire(self) -> dict:
        data, item = self.cleaned_data, self.item
        update: dict = {}
        if not same_day(item.ending_before, data.get("ending_before")):
            update["ending_before"] = iso_day(data.get("ending_before"))
        access = to_credit_units(data["access_amount"], self.credit_type)
        if access != _amount(item.access_amount["unit_price"]):
            update["access_amount"] = {"unit_price": str(access)}
        if "invoice_amount" in self.fields:
            invoice = to_credit_units(data["invoice_amount"], self.credit_type)
            if invoice != _amount(item.invoice_amount["unit_price"]):
                update["invoice_amount"] = {"unit_price": str(invoice)}
        if not update:
            return {}
        if item.kind == "CREDIT":
            return {"update_recurring_credits": [{"recurring_credit_id": str(item.public_id), **update}]}  # fmt: skip
        return {"update_recurring_commits": [{"recurring_commit_id": str(item.public_id), **update}]}  # fmt: skip


def override_initial(override) -> dict | None:
    """An override as the add form's initial values, for editing it as remove + add; None for
    the kinds the console form cannot express (tiered, non-flat new rates)."""
    rate = override.overwrite_rate or {}
    if (
        override.type == "TIERED"
        or (override.type == "OVERWRITE" and rate.get("rate_type") != "FLAT")
        or len(override.override_specifiers or []) > 1
        or override.is_commit_specific
        or override.entitled is not None
        or override.target
    ):
        return None
    values = {}
    for spec in override.override_specifiers or []:
        values.update(spec.get("pricing_group_values") or {})
    product = override.product
    if product is None:
        ids = [s["product_id"] for s in override.override_specifiers or [] if s.get("product_id")]
        product = ids[0] if ids else None
    tags = list(override.applicable_product_tags or [])
    for spec in override.override_specifiers or []:
        tags += spec.get("product_tags") or []
    return {
        "type": override.type,
        "product": str(getattr(product, "public_id", product) or ""),
        "tags": ", ".join(tags),
        "group_values": ", ".join(f"{k}={v}" for k, v in values.items()),
        "multiplier": override.multiplier.normalize() if override.multiplier is not None else None,
        "price": _amount(rate["price"]).normalize() if rate.get("price") is not None else None,
        "starting_at": override.starting_at.date(),
        "ending_before": override.ending_before.date() if override.ending_before else None,
        "priority": override.priority.normalize() if override.priority is not None else None,
    }
