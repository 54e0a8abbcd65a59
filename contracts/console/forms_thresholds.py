"""Console forms for threshold billing (spend_threshold_configuration) and auto-recharge
(prepaid_balance_threshold_configuration). Like the other contract forms they only collect
wire-shaped data: amounts typed in major units ("$1,000.00") and sent in the credit type's
stored unit (USD cents); contract_edit validates it as the API's v2 edit does.

The form offers the fields a finance user sets; what it does not offer (a commit description
or priority, Stripe invoice metadata, a recharge's duration, rate type, rollover, specifiers
and balance exclusions) is left as stored: a first setup sends `add_<key>`, a change
`update_<key>` with the offered fields only, which contract_edit merges into the stored one."""

from decimal import Decimal
from typing import Any

from django import forms

from billing_console.forms import MoneyField
from billing_console.templatetags.money import format_money
from contracts.console.forms import money_in
from pricing.models import Product

SPEND = "spend_threshold_configuration"
PREPAID = "prepaid_balance_threshold_configuration"
GATES = [("NONE", "None"), ("STRIPE", "Stripe invoice"), ("EXTERNAL", "External")]
GATE_HELP = (
    "When the credit is usable. None: at once. Stripe invoice: once it is paid. "
    "External: once your system reports the payment."
)
# PAYMENT_INTENT is refused by the API (not built), so it is not offered.
STRIPE_PAYMENT_TYPES = [("INVOICE", "Stripe invoice")]
TAX_TYPES = [("", "No tax"), ("STRIPE", "Stripe Tax")]
HUNDRED = Decimal(100)


def _stored(amount: Any) -> Decimal | None:
    """A wire number (int or float in the stored unit) as an exact Decimal."""
    return None if amount is None else Decimal(str(amount))


def _name(product_id: str) -> str:
    """A stored product that the form does not list (archived, or of another type)."""
    product = Product.objects.filter(public_id=product_id).first()
    return f"{product.name} (set now)" if product else f"{product_id} (set now)"


def _percent(fraction: Any) -> Decimal | None:
    """A payment fraction (0.9) as the percent typed (90, not 90.0000 nor 9E+1)."""
    if fraction is None:
        return None
    percent = (Decimal(str(fraction)) * HUNDRED).normalize()
    return percent.quantize(Decimal(1)) if percent == percent.to_integral_value() else percent


class ThresholdForm(forms.Form):
    key = SPEND
    # A service error's path ("update_<key>.commit.product_id: ...") to the field it shows by.
    wire_fields = {
        "commit": "product",
        "product_id": "product",
        "payment_gate_config": "payment_gate_type",
        "stripe_config": "stripe_payment_type",
        "payment_type": "stripe_payment_type",
        "discount_configuration": "pays_percent",
        "payment_fraction": "pays_percent",
    }
    threshold_amount = MoneyField()
    product = forms.ChoiceField(
        label="Commit product", help_text="The product the charge is invoiced under."
    )
    name = forms.CharField(
        max_length=200, required=False, label="Invoice line name",
        help_text="Empty: the product's name.",
    )  # fmt: skip
    payment_gate_type = forms.ChoiceField(choices=GATES, label="Payment gate", help_text=GATE_HELP)
    stripe_payment_type = forms.ChoiceField(
        choices=STRIPE_PAYMENT_TYPES, required=False, label="Stripe payment type"
    )
    tax_type = forms.ChoiceField(choices=TAX_TYPES, required=False, label="Tax")
    pays_percent = forms.DecimalField(
        required=False, min_value=0, max_value=100, max_digits=7, decimal_places=4,
        label="Customer pays (% of the credit)",
        help_text="90: the invoice is 90% of the credit granted. Empty: 100%.",
    )  # fmt: skip
    is_enabled = forms.BooleanField(
        required=False, initial=True, label="Turned on",
        help_text="Checked as soon as it is saved, then as usage comes in. "
        "Off: kept as set, nothing is charged.",
    )  # fmt: skip
    money_labels = {"threshold_amount": "Bill when unbilled usage reaches"}

    def __init__(self, *args, products=(), credit_type=None, stored=None, **kwargs):
        self.stored = stored or None
        if self.stored and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(self.stored)
        super().__init__(*args, **kwargs)
        self.credit_type = credit_type
        choices = [(str(p.public_id), p.name) for p in products]
        current = ((self.stored or {}).get("commit") or {}).get("product_id")
        if current and current not in dict(choices):  # archived, or not a fixed product
            choices.append((current, _name(current)))
        self.fields["product"].choices = choices
        money_in(self, credit_type, self.money_labels)

    @staticmethod
    def initial_from(config: dict) -> dict:
        commit = config.get("commit") or {}
        gate = config.get("payment_gate_config") or {}
        fraction = (config.get("discount_configuration") or {}).get("payment_fraction")
        return {
            "is_enabled": bool(config.get("is_enabled")),
            "threshold_amount": _stored(config.get("threshold_amount")),
            "recharge_to_amount": _stored(config.get("recharge_to_amount")),
            "product": commit.get("product_id"),
            "name": commit.get("name", ""),
            "payment_gate_type": gate.get("payment_gate_type", "NONE"),
            "stripe_payment_type": (gate.get("stripe_config") or {}).get("payment_type"),
            "tax_type": "STRIPE" if gate.get("tax_type") == "STRIPE" else "",
            "pays_percent": _percent(fraction),
        }

    def _gate(self) -> dict[str, Any]:
        """payment_gate_config as offered. A Stripe gate keeps its stored invoice metadata (the
        API replaces stripe_config whole); Stripe Tax needs the Stripe gate, so another gate
        drops it, as NONE (no tax) is what its absence means."""
        data = self.cleaned_data
        gate: dict[str, Any] = {"payment_gate_type": data["payment_gate_type"]}
        stored = (self.stored or {}).get("payment_gate_config") or {}
        if data["payment_gate_type"] == "STRIPE":
            stripe = dict(stored.get("stripe_config") or {})
            stripe["payment_type"] = data.get("stripe_payment_type") or "INVOICE"
            gate["stripe_config"] = stripe
            gate["tax_type"] = data.get("tax_type") or None
        else:
            gate["tax_type"] = None
        return gate

    def _offered(self) -> dict[str, Any]:
        """Every offered field, wire-shaped; None where the form clears an optional field."""
        data = self.cleaned_data
        percent = data.get("pays_percent")
        return {
            "is_enabled": bool(data.get("is_enabled")),
            "threshold_amount": str(data["threshold_amount"]),  # stored unit (USD cents)
            "commit": {"product_id": data["product"], "name": data.get("name") or None},
            "payment_gate_config": self._gate(),
            "discount_configuration": (
                {"payment_fraction": str(percent / HUNDRED)} if percent is not None else None
            ),
        }

    def to_wire(self) -> dict[str, Any]:
        """The v2 edit body: add_<key> when nothing is stored, else update_<key>."""
        offered = self._offered()
        if self.stored is None:
            return {f"add_{self.key}": _without_none(offered)}
        return {f"update_{self.key}": offered}


class RechargeForm(ThresholdForm):
    key = PREPAID
    wire_fields = {
        **ThresholdForm.wire_fields,
        "applicable_product_ids": "applicable_products",
        "specifiers": "applicable_products",  # stored specifiers exclude applicable products
    }
    recharge_to_amount = MoneyField()
    applicable_products = forms.MultipleChoiceField(
        required=False, label="Recharge credit applies to",
        help_text="Empty: every product. Ctrl- or Cmd-click to pick several.",
    )  # fmt: skip
    money_labels = {
        "threshold_amount": "Recharge when the balance falls below",
        "recharge_to_amount": "Recharge to",
    }
    field_order = ["threshold_amount", "recharge_to_amount", "product", "name",
                   "payment_gate_type", "stripe_payment_type", "tax_type", "pays_percent",
                   "applicable_products", "is_enabled"]  # fmt: skip

    def __init__(self, *args, usage_products=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(str(p.public_id), p.name) for p in usage_products]
        known = dict(choices)
        for product_id in ((self.stored or {}).get("commit") or {}).get(
            "applicable_product_ids"
        ) or []:
            if product_id not in known:
                choices.append((product_id, _name(product_id)))
        self.fields["applicable_products"].choices = choices
        if self.stored and "applicable_products" not in self.initial:
            commit = self.stored.get("commit") or {}
            self.initial["applicable_products"] = commit.get("applicable_product_ids") or []

    def clean(self):
        data = super().clean()
        low, target = data.get("threshold_amount"), data.get("recharge_to_amount")
        if low is not None and target is not None and target <= low:
            low_text = format_money(low, self.credit_type)
            self.add_error(
                "recharge_to_amount",
                f"Must be more than the balance that triggers it ({low_text}).",
            )
        return data

    def _offered(self) -> dict[str, Any]:
        offered = super()._offered()
        offered["recharge_to_amount"] = str(self.cleaned_data["recharge_to_amount"])
        ids = self.cleaned_data.get("applicable_products") or []
        offered["commit"]["applicable_product_ids"] = ids or None
        return offered


def _without_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    return value
