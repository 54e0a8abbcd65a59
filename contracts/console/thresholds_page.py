"""What the contract page shows of threshold billing and auto-recharge: each configuration in
words, in major units ("When unbilled usage reaches $1,000.00, bill it"), on or off, its payment
gate, the recent crossings (threshold invoices and recharges), and the forms to set each up,
change it and turn it off (the views are in thresholds.py). Reads only."""

from decimal import Decimal
from typing import Any

from billing_console.forms import own_ids
from billing_console.templatetags.money import format_money
from contracts.console.forms_thresholds import PREPAID, SPEND, RechargeForm, ThresholdForm
from contracts.console.history import credit_type
from contracts.models import Contract, ThresholdKind
from pricing.models import Product

PARTIALS = "contracts/partials/thresholds.html"
RECENT_CHARGES = 5
GATE_WORDS = {"NONE": "none", "STRIPE": "Stripe invoice", "EXTERNAL": "external"}
GATE_HELP = {
    "NONE": "the credit is usable at once",
    "STRIPE": "the credit is usable once the Stripe invoice is paid",
    "EXTERNAL": "the credit is usable once your system reports the payment",
}
STATUS_WORDS = {
    "PENDING_PAYMENT": "awaiting payment",
    "RELEASED": "credit granted",
    "FAILED": "payment failed",
}
KIND_WORDS = {ThresholdKind.SPEND: "Threshold invoice", ThresholdKind.PREPAID_BALANCE: "Recharge"}


def _products(**filters: Any):
    return Product.objects.filter(archived_at__isnull=True, **filters).order_by("name")


def threshold_forms(contract: Contract) -> dict:
    """The card's two forms by name, each filled in from what is stored; each builder takes
    POST data or nothing. Ids per form ("spend-threshold-product")."""
    unit = credit_type(contract)
    fixed = _products(type="FIXED")
    usage = _products(type__in=["USAGE", "COMPOSITE"])  # what a recharge credit may pay for
    spend, prepaid = getattr(contract, SPEND), getattr(contract, PREPAID)
    builders = {
        "spend_threshold": lambda data=None: ThresholdForm(
            data, products=fixed, credit_type=unit, stored=spend
        ),
        "recharge": lambda data=None: RechargeForm(
            data, products=fixed, usage_products=usage, credit_type=unit, stored=prepaid
        ),
    }
    return {name: own_ids(name, build) for name, build in builders.items()}


def _gate_words(config: dict) -> str:
    gate = config.get("payment_gate_config") or {}
    kind = gate.get("payment_gate_type", "NONE")
    words = f"Payment gate: {GATE_WORDS.get(kind, kind)}"
    if gate.get("tax_type") == "STRIPE":
        words += ", with Stripe Tax"
    return f"{words} — {GATE_HELP.get(kind, '')}" if kind in GATE_HELP else words


def _product(config: dict, names: dict[str, str]) -> str:
    product_id = (config.get("commit") or {}).get("product_id", "")
    return names.get(product_id, "a product no longer listed")


def _details(config: dict, names: dict[str, str]) -> list[str]:
    """The invoice line's name, what the customer pays of the credit, where it applies."""
    commit = config.get("commit") or {}
    out = [f"Invoice line: {commit['name']}"] if commit.get("name") else []
    fraction = (config.get("discount_configuration") or {}).get("payment_fraction")
    if fraction is not None and Decimal(str(fraction)) != 1:
        percent = (Decimal(str(fraction)) * 100).normalize()
        out.append(f"The customer pays {percent:f}% of the credit granted")
    applies = commit.get("applicable_product_ids") or []
    if applies:
        out.append("The credit applies to " + ", ".join(names.get(p, "?") for p in applies))
    return out


def _summary(config: dict | None, kind: str, unit, names: dict[str, str]) -> dict | None:
    if not config:
        return None
    threshold = format_money(config.get("threshold_amount"), unit)
    if kind == ThresholdKind.SPEND:
        words = f"When unbilled usage reaches {threshold}, bill it ({_product(config, names)})"
    else:
        target = format_money(config.get("recharge_to_amount"), unit)
        words = (
            f"When the prepaid balance falls below {threshold}, recharge to {target}"
            f" ({_product(config, names)})"
        )
    return {
        "words": words,
        "enabled": bool(config.get("is_enabled")),
        "gate": _gate_words(config),
        "details": _details(config, names),
    }


def _names(*configs: dict | None) -> dict[str, str]:
    ids = set()
    for config in configs:
        commit = (config or {}).get("commit") or {}
        ids.add(commit.get("product_id"))
        ids.update(commit.get("applicable_product_ids") or [])
    ids.discard(None)
    return {str(p.public_id): p.name for p in Product.objects.filter(public_id__in=ids)}


def _charges(contract: Contract) -> list[dict]:
    charges = contract.threshold_charges.order_by("-created_at", "-pk")[:RECENT_CHARGES]
    return [
        {
            "charge": charge,
            "kind": KIND_WORDS.get(charge.kind, charge.kind),
            "status": STATUS_WORDS.get(charge.status, charge.status.lower()),
        }
        for charge in charges
    ]


def thresholds_context(contract: Contract, bound: dict, *, lazy: bool = False) -> dict:
    """The card: `bound` holds a submitted form to show with its errors, by its name
    ("spend_threshold_form"). With `lazy`, the forms are left out bar a bound one: the page
    loads each when its <details> opens (page.LAZY_FORMS)."""
    unit = credit_type(contract)
    spend, prepaid = getattr(contract, SPEND), getattr(contract, PREPAID)
    names = _names(spend, prepaid)
    return {
        "spend_threshold": _summary(spend, ThresholdKind.SPEND, unit, names),
        "recharge": _summary(prepaid, ThresholdKind.PREPAID_BALANCE, unit, names),
        "threshold_charges": _charges(contract),
        **{
            f"{name}_form": bound.get(f"{name}_form") or build()
            for name, build in threshold_forms(contract).items()
            if not lazy or f"{name}_form" in bound
        },
    }
