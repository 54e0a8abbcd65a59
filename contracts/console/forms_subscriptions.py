"""Console forms for a contract's subscriptions: add one (a quantity, or named seats), change its
quantity or seats from a date, end it. Wire-shaped data only; contract_edit validates it."""

from django import forms

from contracts.console.forms_items import DATE, FREQUENCIES, iso_day, item_field_id, same_day

SEAT_ACTIONS = [
    ("add_seat_ids", "Assign seats (ids)"),
    ("remove_seat_ids", "Remove seats (ids)"),
    ("add_unassigned_seats", "Add unassigned seats"),
    ("remove_unassigned_seats", "Remove unassigned seats"),
]


def _ids(text: str) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


class SubscriptionForm(forms.Form):
    """A subscription priced by the rate card's SUBSCRIPTION rate: a quantity, or named seats."""

    wire_fields = {"subscription_rate": "product", "initial_quantity": "quantity",
                   "seat_config": "seat_group_key", "initial_seat_ids": "seat_ids",
                   "initial_unassigned_seats": "unassigned_seats",
                   "collection_schedule": "collection", "billing_frequency": "frequency",
                   "invoice_behavior": "collection"}  # fmt: skip

    product = forms.ChoiceField(help_text="A SUBSCRIPTION product with a rate on the rate card.")
    name = forms.CharField(max_length=200, required=False)
    mode = forms.ChoiceField(
        choices=[("QUANTITY_ONLY", "A quantity"), ("SEAT_BASED", "Named seats")], label="Counts"
    )
    frequency = forms.ChoiceField(
        choices=FREQUENCIES[1:], label="Billed", help_text="Must match the rate's frequency."
    )
    collection = forms.ChoiceField(
        choices=[("ADVANCE", "In advance"), ("ARREARS", "In arrears")], label="Collected"
    )
    is_prorated = forms.BooleanField(required=False, initial=True, label="Prorate partial periods")
    quantity = forms.DecimalField(
        required=False, min_value=0, max_digits=19, decimal_places=4, label="Quantity"
    )
    seat_group_key = forms.CharField(
        required=False, max_length=200, help_text="Named seats: the event property naming a seat."
    )
    seat_ids = forms.CharField(
        required=False, label="Seats", help_text="Named seats: ids, comma-separated."
    )
    unassigned_seats = forms.IntegerField(required=False, min_value=0, label="Unassigned seats")
    starting_at = forms.DateField(
        required=False, help_text="Empty: when the contract starts.", **DATE
    )
    ending_before = forms.DateField(
        required=False, help_text="Exclusive. Empty: until the contract ends.", **DATE
    )

    def __init__(self, *args, products=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = [(str(p.public_id), p.name) for p in products]

    def clean(self):
        data = super().clean()
        if data.get("mode") == "QUANTITY_ONLY" and data.get("quantity") is None:
            self.add_error("quantity", "A quantity subscription needs a quantity.")
        if data.get("mode") == "SEAT_BASED" and not data.get("seat_group_key"):
            self.add_error("seat_group_key", "Named seats need the seat group key.")
        start, end = data.get("starting_at"), data.get("ending_before")
        if start and end and end <= start:
            self.add_error("ending_before", "Must be after the start date.")
        return data

    def to_wire(self) -> dict:
        data = self.cleaned_data
        item: dict = {
            "collection_schedule": data["collection"],
            "proration": {"is_prorated": bool(data.get("is_prorated"))},
            "subscription_rate": {"billing_frequency": data["frequency"], "product_id": data["product"]},
            "quantity_management_mode": data["mode"],
        }  # fmt: skip
        if data.get("name"):
            item["name"] = data["name"]
        for key in ("starting_at", "ending_before"):
            if data.get(key):
                item[key] = iso_day(data[key])
        if data["mode"] == "QUANTITY_ONLY":
            item["initial_quantity"] = str(data["quantity"])
        else:
            item["seat_config"] = {
                "seat_group_key": data["seat_group_key"],
                "initial_seat_ids": _ids(data.get("seat_ids", "")),
                "initial_unassigned_seats": data.get("unassigned_seats") or 0,
            }
        return {"add_subscriptions": [item]}


class QuantityForm(forms.Form):
    """A quantity subscription's new quantity from a date on."""

    quantity = forms.DecimalField(
        min_value=0, max_digits=19, decimal_places=4, label="New quantity"
    )
    starting_at = forms.DateField(label="From", **DATE)

    def __init__(self, data=None, *, subscription, **kwargs):
        self.subscription = subscription
        super().__init__(data, auto_id=item_field_id("quantity", subscription), **kwargs)

    def to_wire(self) -> dict:
        data = self.cleaned_data
        change = {"quantity": str(data["quantity"]), "starting_at": iso_day(data["starting_at"])}
        return {"update_subscriptions": [
            {"subscription_id": str(self.subscription.public_id), "quantity_updates": [change]}
        ]}  # fmt: skip


class SeatsForm(forms.Form):
    """A seat-based subscription's seats from a date on: assign or remove named seats, or add or
    remove unassigned ones."""

    wire_fields = {"add_seat_ids": "seat_ids", "remove_seat_ids": "seat_ids",
                   "add_unassigned_seats": "count", "remove_unassigned_seats": "count"}  # fmt: skip

    action = forms.ChoiceField(choices=SEAT_ACTIONS)
    seat_ids = forms.CharField(required=False, label="Seat ids", help_text="Comma-separated.")
    count = forms.IntegerField(required=False, min_value=1, label="How many")
    starting_at = forms.DateField(label="From", **DATE)

    def __init__(self, data=None, *, subscription, **kwargs):
        self.subscription = subscription
        super().__init__(data, auto_id=item_field_id("seats", subscription), **kwargs)

    def clean(self):
        data = super().clean()
        action = data.get("action") or ""
        if action.endswith("_seat_ids") and not _ids(data.get("seat_ids", "")):
            self.add_error("seat_ids", "Give at least one seat id.")
        if action.endswith("_unassigned_seats") and not data.get("count"):
            self.add_error("count", "Give how many seats.")
        return data

    def to_wire(self) -> dict:
        data = self.cleaned_data
        change: dict = {"starting_at": iso_day(data["starting_at"])}
        if data["action"].endswith("_seat_ids"):
            change["seat_ids"] = _ids(data["seat_ids"])
        else:
            change["quantity"] = data["count"]
        return {"update_subscriptions": [
            {"subscription_id": str(self.subscription.public_id),
             "seat_updates": {data["action"]: [change]}}
        ]}  # fmt: skip


class SubscriptionEndForm(forms.Form):
    """End a subscription (or extend it back to the contract's end)."""

    ending_before = forms.DateField(
        required=False, label="Ends before", help_text="Exclusive. Empty: the contract's end.", **DATE
    )  # fmt: skip

    def __init__(self, data=None, *, subscription, **kwargs):
        self.subscription = subscription
        end = subscription.ending_before
        super().__init__(
            data,
            initial={"ending_before": end.date() if end else None},
            auto_id=item_field_id("sub-end", subscription),
            **kwargs,
        )

    def to_wire(self) -> dict:
        end = self.cleaned_data.get("ending_before")
        if same_day(self.subscription.ending_before, end):
            return {}
        return {"update_subscriptions": [
            {"subscription_id": str(self.subscription.public_id), "ending_before": iso_day(end)}
        ]}  # fmt: skip
