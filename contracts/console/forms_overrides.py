"""The contract page's override form: a percent off the list price, a multiplier of it, or a new
unit price, for some products from a date; added, or edited as remove + add (the wire has no
update_overrides). Like contracts/console/forms.py it only collects wire-shaped data.

Only the chosen type's field shows: the form's template wraps each type's field with its type and
the page's CSS hides the others (`:has()`, no script), so switching type keeps what was typed and
works without htmx. "20% off" goes on the wire as the MULTIPLIER 0.8. A new price is typed in the
contract's credit type's major unit and may be finer than a cent ("$0.0025" a call)."""

from decimal import Decimal

from django import forms

from billing_console.forms import MoneyField
from billing_console.lib.money_text import format_money
from contracts.console.form_rows import group_values
from contracts.console.forms import midnight_utc, money_in
from contracts.console.override_words import multiplier_of, percent_off, plain

# The form's type -> its own field. PERCENT_OFF is the console's: a MULTIPLIER on the wire.
TYPE_FIELDS = {"PERCENT_OFF": "percent_off", "MULTIPLIER": "multiplier", "OVERWRITE": "price"}
MISSING = {
    "PERCENT_OFF": "Give the percent off the list price (e.g. 20).",
    "MULTIPLIER": "A multiplier override needs a multiplier.",
    "OVERWRITE": "A new-price override needs a price.",
}
PERCENT_PLACES = 4  # 12.3456% off is the multiplier 0.876544: within its 6 decimals


class PercentOffField(forms.DecimalField):
    """A percentage as people type it: "20", "20%" or "20% off" (a text input: a number input
    would not take the "%")."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().lower().removesuffix("off").strip().removesuffix("%").strip()
        return super().to_python(value)


class OverrideForm(forms.Form):
    template_name = "contracts/partials/override_fields.html"
    # Service error paths that belong to a form field (the rest show above the form).
    wire_fields = {"override_specifiers": "product", "overwrite_rate": "price",
                   "applicable_product_tags": "tags", "pricing_group_values": "group_values"}  # fmt: skip
    type = forms.ChoiceField(
        label="Override",
        choices=[
            ("PERCENT_OFF", "Percent off the list price"),
            ("MULTIPLIER", "Multiplier of the list price (discount or markup)"),
            ("OVERWRITE", "New unit price"),
        ],
    )
    percent_off = PercentOffField(
        required=False, min_value=0, max_value=100, max_digits=7, decimal_places=PERCENT_PLACES,
        label="Percent off list (%)", help_text="20 bills 80% of the list price (multiplier 0.8).",
        error_messages={"max_value": "At most 100%% off. For a markup, choose a multiplier."},
    )  # fmt: skip
    multiplier = forms.DecimalField(required=False, min_value=0, max_digits=12, decimal_places=6,
                                    help_text="Of the list price: 0.8 is 20% off, 1.1 a 10% markup.")  # fmt: skip
    price = MoneyField(required=False, sub_unit=True)
    product = forms.ChoiceField(required=False, help_text="Empty: use tags instead.")
    tags = forms.CharField(required=False, help_text="Product tags, comma-separated (e.g. tokens).")
    group_values = forms.CharField(
        required=False,
        label="Only for group values",
        help_text="e.g. region=us-east-1 (comma-separated).",
    )
    starting_at = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    ending_before = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}),
                                    help_text="Exclusive. Empty: until the contract ends.")  # fmt: skip
    priority = forms.DecimalField(required=False, max_digits=10, decimal_places=2)

    def __init__(self, *args, products=(), credit_type=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = [("", "—")] + [
            (str(p.public_id), p.name) for p in products
        ]
        money_in(self, credit_type, {"price": "New unit price"})
        examples = (format_money(Decimal(n), credit_type) for n in ("0.25", "2500"))
        self.fields["price"].help_text = "Per unit, e.g. {} or {}.".format(*examples)

    def field_rows(self) -> list[tuple[forms.BoundField, str]]:
        """Each visible field with the type it belongs to ("" for every type)."""
        own = {name: kind for kind, name in TYPE_FIELDS.items()}
        return [(field, own.get(field.name, "")) for field in self.visible_fields()]

    def clean_group_values(self):
        return group_values(self.cleaned_data.get("group_values", ""))

    def clean(self):
        data = super().clean()
        chosen = data.get("type")
        for kind, name in TYPE_FIELDS.items():
            if kind != chosen:  # hidden on the page: whatever it holds is not sent
                self.errors.pop(name, None)
                data.pop(name, None)
        own = TYPE_FIELDS.get(chosen or "")
        if own and data.get(own) is None and own not in self.errors:
            self.add_error(own, MISSING[chosen])
        if not data.get("product") and not data.get("tags"):
            self.add_error("product", "Choose a product or give tags.")
        self.shown_field = own
        return data

    def add_error(self, field, error):
        # Once cleaned, the service's word on the wire's multiplier or price is about the value
        # field shown (20% off is sent as the multiplier 0.8), not a hidden one.
        shown = getattr(self, "shown_field", None)
        if shown and field in TYPE_FIELDS.values():
            field = shown
        super().add_error(field, error)

    def to_wire(self) -> dict:
        data = self.cleaned_data
        wire: dict = {
            "type": "OVERWRITE" if data["type"] == "OVERWRITE" else "MULTIPLIER",
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
        if data["type"] == "OVERWRITE":  # the price in the stored unit (USD cents)
            wire["overwrite_rate"] = {"rate_type": "FLAT", "price": str(data["price"])}
        elif data["type"] == "PERCENT_OFF":
            wire["multiplier"] = str(multiplier_of(data["percent_off"]))
        else:
            wire["multiplier"] = str(data["multiplier"])
        if data.get("priority") is not None:
            wire["priority"] = str(data["priority"])
        return wire


def _initial_type(override) -> dict:
    """The form's type and value fields for an override: a multiplier under 1 reads as a
    percent off (0.8: 20), unless that takes more places than the form has; both are filled,
    so switching type shows the same terms."""
    rate = override.overwrite_rate or {}
    price = Decimal(str(rate["price"])) if rate.get("price") is not None else None
    if override.type != "MULTIPLIER" or override.multiplier is None:
        return {"type": override.type, "price": price}
    multiplier = plain(override.multiplier)
    off = percent_off(multiplier)
    fits = multiplier <= 1 and -off.as_tuple().exponent <= PERCENT_PLACES  # type: ignore[operator]
    return {
        "type": "PERCENT_OFF" if fits and multiplier < 1 else "MULTIPLIER",
        "multiplier": multiplier,
        "percent_off": off if fits else None,
    }


def override_initial(override) -> dict | None:
    """An override as the form's initial values, for editing it as remove + add; None for the
    kinds the console form cannot express (tiered, non-flat new rates)."""
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
        **_initial_type(override),
        "product": str(getattr(product, "public_id", product) or ""),
        "tags": ", ".join(tags),
        "group_values": ", ".join(f"{k}={v}" for k, v in values.items()),
        "starting_at": override.starting_at.date(),
        "ending_before": override.ending_before.date() if override.ending_before else None,
        "priority": plain(override.priority) if override.priority is not None else None,
    }
