"""Demo contracts, one per demo customer (customers.demo: never anyone else's), exercising
commits, credits, overrides and scheduled charges on the demo rate card. Idempotent by
uniqueness_key."""

from datetime import datetime
from typing import Any

from django.utils import timezone

from billing_console.custom_fields import custom_field_key_add, custom_field_values_set
from billing_console.lib.periods import add_months
from contracts.models import Contract
from contracts.services import contract_create
from customers import demo as customers_demo
from customers.models import Customer
from pricing import demo as pricing_demo
from pricing.models import USD_CENTS_ID

USD_CENTS = str(USD_CENTS_ID)


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _terms(alias: str, start: datetime, products: dict[str, Any]) -> dict[str, Any]:
    """Per-customer terms: the first few customers get the richer enterprise shapes."""
    year_end = add_months(start, 12)
    pid = {name: str(product.public_id) for name, product in products.items()}
    fee = {
        "product_id": pid["Platform fee"],
        "name": "Platform fee",
        "schedule": {
            "schedule_items": [
                {"timestamp": _iso(add_months(start, m)), "amount": 50_000} for m in range(12)
            ]
        },
    }
    terms: dict[str, dict[str, Any]] = {
        "acme": {
            "name": "Acme Robotics — Enterprise 2026",
            "commits": [{"type": "PREPAID", "product_id": pid["Prepaid commit"], "name": "Annual prepaid commit",
                         "priority": 1, "applicable_product_tags": ["usage"],
                         "access_schedule": {"schedule_items": [
                             {"amount": 5_000_000, "starting_at": _iso(start), "ending_before": _iso(year_end)}]},
                         "invoice_schedule": {"schedule_items": [{"timestamp": _iso(start), "amount": 5_000_000}]}}],
            "overrides": [{"starting_at": _iso(start), "type": "MULTIPLIER", "multiplier": 0.9,
                           "override_specifiers": [{"product_id": pid["Storage"],
                                                    "pricing_group_values": {"region": "us-east-1"}}]}],
            "scheduled_charges": [fee],
        },
        "globex": {
            "name": "Globex Research — Growth",
            "credits": [{"product_id": pid["Promotional credit"], "name": "Launch credit", "priority": 1,
                         "access_schedule": {"schedule_items": [
                             {"amount": 250_000, "starting_at": _iso(start), "ending_before": _iso(add_months(start, 3))}]}}],
            "overrides": [{"starting_at": _iso(start), "type": "MULTIPLIER", "multiplier": 0.8,
                           "applicable_product_tags": ["tokens"]}],
        },
        "initech": {"name": "Initech AI — Pay as you go", "scheduled_charges": [fee]},
        "umbrella": {
            "name": "Umbrella Labs — Team",
            "subscriptions": [{"temporary_id": "seats", "name": "Team seats", "collection_schedule": "ADVANCE",
                               "initial_quantity": 25,
                               "proration": {"invoice_behavior": "BILL_IMMEDIATELY", "is_prorated": True},
                               "subscription_rate": {"billing_frequency": "MONTHLY", "product_id": pid["Team seats"]}}],
            "recurring_credits": [{"product_id": pid["Promotional credit"], "name": "Monthly seat credit",
                                   "priority": 1, "starting_at": _iso(start), "commit_duration": {"value": 1, "unit": "PERIODS"},
                                   "access_amount": {"credit_type_id": USD_CENTS, "unit_price": 500, "quantity": 1},
                                   "recurrence_frequency": "MONTHLY",
                                   "subscription_config": {"subscription_id": "seats", "allocation": "POOLED",
                                                           "apply_seat_increase_config": {"is_prorated": True}}}],
            "prepaid_balance_threshold_configuration": {
                "is_enabled": True, "threshold_amount": 100_000, "recharge_to_amount": 500_000,
                "commit": {"product_id": pid["Prepaid commit"], "name": "Auto-recharge"},
                "payment_gate_config": {"payment_gate_type": "NONE"}},
        },
        "piedpiper": {
            "name": "Pied Piper — Startup",
            "recurring_commits": [{"product_id": pid["Prepaid commit"], "name": "Monthly prepaid commit",
                                   "priority": 1, "starting_at": _iso(start), "commit_duration": {"value": 1, "unit": "PERIODS"},
                                   "access_amount": {"credit_type_id": USD_CENTS, "unit_price": 200_000, "quantity": 1},
                                   "invoice_amount": {"credit_type_id": USD_CENTS, "unit_price": 200_000, "quantity": 1},
                                   "recurrence_frequency": "MONTHLY", "proration": "FIRST_AND_LAST"}],
            "spend_threshold_configuration": {
                "is_enabled": True, "threshold_amount": 1_000_000,
                "commit": {"product_id": pid["Prepaid commit"], "name": "Threshold billing"},
                "payment_gate_config": {"payment_gate_type": "NONE"}},
        },
        "hooli": {
            "name": "Hooli Search — Enterprise",
            "overrides": [{"starting_at": _iso(start), "type": "OVERWRITE", "product_id": pid["API calls"],
                           "overwrite_rate": {"rate_type": "FLAT", "price": 0.03}}],
            "scheduled_charges": [{"product_id": pid["Onboarding"], "name": "Onboarding package",
                                   "schedule": {"schedule_items": [{"timestamp": _iso(start), "amount": 1_500_000}]}}],
        },
    }  # fmt: skip
    return terms.get(alias, {})


def _related(alias: str, customer: Customer, data: dict[str, Any], start: datetime) -> None:
    """Stark is a child account of Acme; Wayne Vision renewed last year's contract."""
    if alias == "stark":
        data["name"] = "Stark Analytics — Acme subsidiary"
        parent = (
            Contract.objects.filter(
                uniqueness_key="demo-acme", customer__in=customers_demo.customers()
            )
            .select_related("customer")
            .first()
        )
        if parent is not None:
            # A child billed on its own (payer SELF, statements SEPARATE): Stark pays for itself.
            data["hierarchy_configuration"] = {
                "parent": {"customer_id": str(parent.customer.public_id), "contract_id": str(parent.public_id)},
            }  # fmt: skip
    if alias == "wayne-vision":
        old = contract_create(customer=customer, data={
            "starting_at": _iso(add_months(start, -12)), "ending_before": _iso(add_months(start, 12)),
            "rate_card_id": data["rate_card_id"], "name": "Wayne Vision — Pilot",
            "uniqueness_key": "demo-wayne-vision-pilot", "custom_fields": data["custom_fields"],
        })  # fmt: skip
        data["name"] = "Wayne Vision — Renewal"
        data["transition"] = {"from_contract_id": str(old.public_id), "type": "RENEWAL"}


def _marks(customer: Customer) -> dict[str, str]:
    """The demo's mark on each contract (alerts/demo.py scopes its alerts that apply to every
    customer with a Contract custom field filter on it: Customer is no entity on the wire),
    and the customer's tier."""
    marks = {customers_demo.MARK_KEY: customers_demo.MARK_VALUE}
    tier = customer.custom_fields.get("tier")
    return {**marks, "tier": tier} if tier else marks


def _mark_earlier() -> None:
    """Contracts of demos loaded before the mark existed get it, so the demo's alerts see them."""
    earlier = Contract.objects.filter(customer__in=customers_demo.customers()).exclude(
        **{f"custom_fields__{customers_demo.MARK_KEY}": customers_demo.MARK_VALUE}
    )
    for contract in earlier.select_related("customer"):
        custom_field_values_set(
            entity="contract", entity_id=str(contract.public_id), values=_marks(contract.customer)
        )


def load(stdout) -> None:
    for field in (customers_demo.MARK_KEY, "tier"):
        custom_field_key_add(entity="contract", key=field, enforce_uniqueness=False)
    _mark_earlier()
    products = pricing_demo.catalog()
    card = pricing_demo.rate_card(products)
    now = timezone.now()
    start = add_months(now.replace(day=1, hour=0, minute=0, second=0, microsecond=0), -2)
    created = 0
    for customer in customers_demo.customers():
        aliases = [a.alias for a in customer.aliases.all()]
        key = f"demo-{aliases[0] if aliases else customer.public_id}"
        if Contract.objects.filter(customer=customer, uniqueness_key=key).exists():
            continue
        data = {
            "starting_at": _iso(start),
            "rate_card_id": str(card.public_id),
            "usage_statement_schedule": {"frequency": "MONTHLY"},
            "uniqueness_key": key,
            "net_payment_terms_days": 30,
            "custom_fields": _marks(customer),
            **{
                k: v
                for k, v in _terms(aliases[0] if aliases else "", start, products).items()
                if v is not None
            },
        }
        _related(aliases[0] if aliases else "", customer, data, start)
        contract_create(customer=customer, data=data)
        created += 1
    stdout.write(f"Contracts demo: {created} new contracts on '{card.name}'.")
