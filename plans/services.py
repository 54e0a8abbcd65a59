"""Plan writes for operators (admin, demo data, tests): the API has no create-plan endpoint."""

from decimal import Decimal
from typing import Any

from django.db import transaction

from billing_console.api import ApplicationError
from plans.models import ChargeType, Plan, PlanCharge
from pricing.models import CreditType, Product
from pricing.products import credit_type_get_default

PRODUCT_TYPES = {ChargeType.USAGE: "USAGE", ChargeType.FIXED: "SUBSCRIPTION"}


def _charge(plan: Plan, index: int, spec: dict[str, Any]) -> PlanCharge:
    path = f"charges[{index}]"
    kind = spec.get("charge_type")
    if kind not in ChargeType.values:
        raise ApplicationError(
            f"{path}.charge_type: must be one of {', '.join(ChargeType.values)}."
        )
    product: Product = spec["product"]
    if product.type != PRODUCT_TYPES[kind]:
        raise ApplicationError(
            f"{path}.product: a {kind} charge needs a {PRODUCT_TYPES[kind]} product."
        )
    if spec.get("start_period"):
        raise ApplicationError(f"{path}.start_period: price ramps are not modelled; use 0.")
    tiers = [{"tier": str(t["tier"]), "value": str(t["value"])} for t in spec.get("tiers") or []]
    if tiers and (kind == ChargeType.FIXED or Decimal(tiers[0]["tier"]) != 0):
        raise ApplicationError(f"{path}.tiers: a usage charge's tiers start at tier 0.")
    if not tiers and spec.get("price") is None:
        raise ApplicationError(f"{path}.price: is required (or tiers).")
    return PlanCharge.objects.create(
        plan=plan, product=product, name=spec.get("name") or product.name, charge_type=kind,
        credit_type=plan.credit_type,
        price=Decimal(str(spec["price"])) if spec.get("price") is not None else None,
        tiers=tiers,
        quantity=Decimal(str(spec.get("quantity", 1))) if kind == ChargeType.FIXED else None,
        custom_fields=spec.get("custom_fields") or {}, position=index,
    )  # fmt: skip


@transaction.atomic
def plan_create(
    *, name: str, charges: list[dict[str, Any]], description: str = "",
    credit_type: CreditType | None = None, trial_length_days: int | None = None,
    trial_spending_cap: Decimal | None = None, custom_fields: dict[str, str] | None = None,
) -> Plan:  # fmt: skip
    """A plan and its charges: each {charge_type: usage|fixed, product, name?, price | tiers
    [{tier, value}], quantity (fixed)}; prices in the credit type's unit (USD: cents)."""
    if not name.strip():
        raise ApplicationError("name: is required.")
    plan = Plan.objects.create(
        name=name.strip(), description=description,
        credit_type=credit_type or credit_type_get_default(),
        trial_length_days=trial_length_days, trial_spending_cap=trial_spending_cap,
        custom_fields=custom_fields or {},
    )  # fmt: skip
    for index, spec in enumerate(charges):
        _charge(plan, index, spec)
    return plan
