"""Demo plan (Metronome 1.0): the self-serve "Starter" plan (API calls per call, a monthly
platform fee), one customer on it with a 14-day trial, and a credit grant. Idempotent.

The plan customer is load_demo's own but carries its own mark value, so that the other demo
modules (customers.demo.customers(): contracts, usage, invoices) leave it alone: its contract
is the plan's."""

from decimal import Decimal

from django.utils import timezone

from billing_console.lib.periods import add_months
from customers import demo as customers_demo
from customers.models import Customer
from customers.services import customer_create
from plans.credit_grants import credit_grant_create
from plans.customer_plans import customer_plan_add
from plans.models import CreditGrant, CustomerPlan, Plan
from plans.services import plan_create
from pricing import demo as pricing_demo
from pricing.models import USD_CENTS_ID, Product
from pricing.products import product_create

PLAN_MARK = "load_demo_plans"
PLAN_NAME = "Starter (self-serve)"
CUSTOMER, ALIAS = "Nakatomi Apps", "nakatomi"
GRANT_KEY = "demo-grant-nakatomi"


def _plan() -> Plan:
    plan = Plan.objects.filter(name=PLAN_NAME, archived_at__isnull=True).first()
    if plan is not None:
        return plan
    calls = pricing_demo.catalog()["API calls"]
    fee = Product.objects.filter(
        name="Starter platform fee", type="SUBSCRIPTION", archived_at__isnull=True
    ).first() or product_create(name="Starter platform fee", type="SUBSCRIPTION")
    return plan_create(
        name=PLAN_NAME, description="Pay as you go, with a monthly platform fee.",
        trial_length_days=14, trial_spending_cap=Decimal(2000),
        charges=[
            {"charge_type": "usage", "product": calls, "name": "API calls", "price": 1},
            {"charge_type": "fixed", "product": fee, "name": "Platform fee", "price": 4900, "quantity": 1},
        ],
    )  # fmt: skip


def _customer() -> Customer:
    mark = {f"custom_fields__{customers_demo.MARK_KEY}": PLAN_MARK}
    found = Customer.objects.active().filter(**mark).first()
    return found or customer_create(
        name=CUSTOMER, ingest_aliases=[ALIAS],
        custom_fields={"region": "apac", "tier": "startup", customers_demo.MARK_KEY: PLAN_MARK},
    )  # fmt: skip


def load(stdout) -> None:
    plan = _plan()
    customer = _customer()
    now = timezone.now()
    start = add_months(now.replace(day=1, hour=0, minute=0, second=0, microsecond=0), -2)
    added = 0
    if not CustomerPlan.objects.filter(customer=customer, plan=plan).exists():
        customer_plan_add(
            customer=customer,
            data={"plan_id": str(plan.public_id), "starting_on": start.isoformat()},
        )
        added = 1
    if not CreditGrant.objects.filter(customer=customer, uniqueness_key=GRANT_KEY).exists():
        usd = {"credit_type_id": str(USD_CENTS_ID)}
        credit_grant_create(data={
            "customer_id": str(customer.public_id), "name": "Welcome credit", "priority": 1,
            "grant_amount": {"amount": 5000, **usd}, "paid_amount": {"amount": 0, **usd},
            "effective_at": start.isoformat(), "expires_at": add_months(start, 12).isoformat(),
            "reason": "Self-serve welcome offer", "uniqueness_key": GRANT_KEY,
        })  # fmt: skip
    stdout.write(f"Plans demo: plan '{plan.name}', {added} new plan customer ({customer.name}).")
