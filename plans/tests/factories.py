"""A small plan world: the Calls usage product (5 cents a call) and a Platform fee (20 USD a
month) on the plan "Starter"."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from customers.services import customer_create
from plans.models import Plan
from plans.services import plan_create
from pricing.services import product_create
from usage.services import billable_metric_create


@dataclass
class PlanWorld:
    plan: Plan
    customer: Any
    calls: Any
    fee: Any


def plan_world(*, trial_days: int | None = None, trial_cap: Decimal | None = None) -> PlanWorld:
    metric = billable_metric_create(
        name="calls", event_type_filter={"in_values": ["call"]}, aggregation_type="COUNT"
    )
    calls = product_create(name="Calls", type="USAGE", billable_metric=metric)
    fee = product_create(name="Platform fee", type="SUBSCRIPTION")
    plan = plan_create(
        name="Starter", description="Pay as you go", trial_length_days=trial_days,
        trial_spending_cap=trial_cap,
        charges=[
            {"charge_type": "usage", "product": calls, "price": 5},
            {"charge_type": "fixed", "product": fee, "price": 2000, "quantity": 1},
        ],
    )  # fmt: skip
    customer = customer_create(name="Acme", ingest_aliases=["acme"])
    return PlanWorld(plan, customer, calls, fee)
