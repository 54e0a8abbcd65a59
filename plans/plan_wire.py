"""Plans and customer plans in Metronome 1.0's wire shapes (metronome/types/v1/plan_*.py,
types/v1/customers/plan_*_response.py)."""

from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from billing_console.lib.wire_values import iso, number
from customers.models import Customer
from customers.selectors import customer_aliases
from plans.customer_plans import trial_credit_remaining
from plans.models import ChargeType, CustomerPlan, Plan, PlanCharge
from pricing.wire import credit_type_data

STATUSES = ("all", "active", "ended", "upcoming")


def plan_to_wire(plan: Plan) -> dict[str, Any]:
    """PlanListResponse."""
    return {
        "id": str(plan.public_id),
        "name": plan.name,
        "description": plan.description,
        "custom_fields": plan.custom_fields,
    }


def plan_detail_to_wire(plan: Plan) -> dict[str, Any]:
    """PlanDetail: a plan's credit grants, minimums and overage rates are not modelled (empty)."""
    return {
        **plan_to_wire(plan),
        "credit_grants": [],
        "minimums": [],
        "overage_rates": [],
    }


def charge_to_wire(charge: PlanCharge) -> dict[str, Any]:
    """PlanListChargesResponse."""
    fixed = charge.charge_type == ChargeType.FIXED
    if charge.tiers:
        prices = [{"tier": number(t["tier"]), "value": number(t["value"])} for t in charge.tiers]
    else:
        prices = [{"tier": 0, "value": number(charge.price)}]
    if fixed:
        for price in prices:
            price["quantity"] = number(charge.quantity)
            price["collection_schedule"] = "ARREARS"
            price["collection_interval"] = 1
    return {
        "id": str(charge.public_id),
        "charge_type": charge.charge_type,
        "credit_type": credit_type_data(charge.credit_type),
        "custom_fields": charge.custom_fields,
        "name": charge.name,
        "prices": prices,
        "product_id": str(charge.product.public_id),
        "product_name": charge.product.name,
        "quantity": number(charge.quantity) if fixed else None,
        "start_period": charge.start_period,
        "tier_reset_frequency": 1 if charge.tiers else None,
        "unit_conversion": None,
    }


def customer_detail(customer: Customer) -> dict[str, Any]:
    """CustomerDetail, as /v1/customers/{id} answers it."""
    aliases = customer_aliases(customer)
    return {
        "id": str(customer.public_id),
        "name": customer.name,
        "external_id": customer.external_id or (aliases[0] if aliases else str(customer.public_id)),
        "ingest_aliases": aliases,
        "custom_fields": customer.custom_fields,
        "created_at": iso(customer.created_at),
        "updated_at": iso(customer.updated_at),
        "archived_at": iso(customer.archived_at),
        "customer_config": {"salesforce_account_id": customer.salesforce_account_id or None},
    }


def plan_customer_to_wire(row: CustomerPlan) -> dict[str, Any]:
    """PlanListCustomersResponse."""
    return {
        "customer_details": customer_detail(row.customer),
        "plan_details": {
            "id": str(row.plan.public_id),
            "custom_fields": row.custom_fields,
            "customer_plan_id": str(row.public_id),
            "name": row.plan.name,
            "starting_on": iso(row.starting_on),
            "ending_before": iso(row.ending_before),
        },
    }


def status_filter(queryset: QuerySet, statuses: str, now: datetime) -> QuerySet:
    """`status` of planDetails/{id}/customers: comma-separated, OR'd; default active."""
    wanted = {s.strip() for s in (statuses or "active").split(",") if s.strip()}
    unknown = wanted - set(STATUSES)
    if unknown:
        raise ValueError(f"status: must be among {', '.join(STATUSES)}.")
    if "all" in wanted:
        return queryset
    if {"ended", "upcoming"} <= wanted:
        raise ValueError("status: ended,upcoming together is not supported.")
    live = Q(ending_before__isnull=True) | Q(ending_before__gt=now)
    q = Q(pk__in=[])
    if "active" in wanted:
        q |= Q(starting_on__lte=now) & live
    if "ended" in wanted:
        q |= Q(ending_before__lte=now)
    if "upcoming" in wanted:
        q |= Q(starting_on__gt=now)
    return queryset.filter(q)


def customer_plan_to_wire(row: CustomerPlan, *, now: datetime) -> dict[str, Any]:
    """customers.PlanListResponse."""
    trial = None
    if row.trial_ending_before is not None:
        caps = []
        if row.trial_credit is not None:
            caps.append({
                "amount": number(row.trial_credit.segments.first().amount),  # type: ignore[union-attr]
                "amount_remaining": number(trial_credit_remaining(row, now)),
                "credit_type": credit_type_data(row.plan.credit_type),
            })  # fmt: skip
        trial = {"ending_before": iso(row.trial_ending_before), "spending_caps": caps}
    return {
        "id": str(row.public_id),
        "custom_fields": row.custom_fields,
        "plan_description": row.plan.description,
        "plan_id": str(row.plan.public_id),
        "plan_name": row.plan.name,
        "starting_on": iso(row.starting_on),
        "ending_before": iso(row.ending_before),
        "net_payment_terms_days": number(row.net_payment_terms_days),
        "trial_info": trial,
    }


def price_adjustments_to_wire(row: CustomerPlan) -> list[dict[str, Any]]:
    """PlanListPriceAdjustmentsResponse items: one per charge and start_period."""
    charges = {str(c.public_id): c for c in row.plan.charges.all()}
    groups: dict[tuple[str, Any], dict[str, Any]] = {}
    for item in row.price_adjustments:
        charge = charges[item["charge_id"]]
        key = (item["charge_id"], item["start_period"])
        group = groups.setdefault(key, {
            "charge_id": item["charge_id"], "charge_type": charge.charge_type, "prices": [],
            "start_period": item["start_period"], "quantity": None,
        })  # fmt: skip
        if item["adjustment_type"] == "quantity":
            group["quantity"] = item.get("quantity")
        group["prices"].append({
            "adjustment_type": item["adjustment_type"], "quantity": item.get("quantity"),
            "tier": item.get("tier"), "value": item.get("value"),
        })  # fmt: skip
    return list(groups.values())
