"""Customers on plans: adding a plan creates an internal, plan-backed contract through the
contract services (contracts.services.contract_create) on the plan's rate card, with the
customer's adjustments and trial as its terms (plans.plan_terms); ending one moves the
contract's end by contracts.end_date's rule. Invoices, usage, alerts, balances and embeds then
cover plan customers because they are contracts underneath."""

from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any

from django.db import transaction

from billing_console.api import ApplicationError, get_by_public_id
from billing_console.lib.wire_values import iso
from billing_console.wire import Reader
from contracts.end_date import contract_end_date_recorded
from contracts.models import Commit, Contract
from contracts.services import contract_create
from contracts.terms.ledger import commit_available_balance
from customers.models import Customer
from invoicing.models import Invoice, InvoiceStatus
from invoicing.services import invoice_void
from plans.models import ChargeType, CustomerPlan, Plan
from plans.plan_terms import adjustments_to_terms, plan_rate_card, trial_terms

ADD_FIELDS = frozenset({
    "customer_id", "plan_id", "starting_on", "ending_before", "net_payment_terms_days",
    "overage_rate_adjustments", "price_adjustments", "trial_spec",
})  # fmt: skip
OVERAGE_REFUSED = (
    "overage_rate_adjustments: not supported: a custom credit type's conversion to fiat is a "
    "term of the plan's rate card, shared by all its customers, not of one customer's plan."
)
STRIPE_VOID_REFUSED = (
    "void_stripe_invoices: not supported: voiding an invoice here does not void or delete it "
    "in Stripe."
)


def _midnight(reader: Reader, key: str, *, required: bool = False) -> datetime | None:
    moment = reader.datetime(key, required=required)
    if moment is not None and moment.astimezone(UTC).time() != time(0):
        raise reader.fail(key, "must be at 0:00 UTC (midnight).")
    return moment


def plan_get(public_id: Any, field: str = "plan_id") -> Plan:
    return get_by_public_id(Plan.objects.filter(archived_at__isnull=True), public_id, "plan", field)


def _subscriptions(plan: Plan, quantities: dict[int, Decimal]) -> list[dict[str, Any]]:
    return [
        {
            "collection_schedule": "ARREARS",
            "proration": {"invoice_behavior": "BILL_ON_NEXT_COLLECTION_DATE", "is_prorated": True},
            "subscription_rate": {"billing_frequency": "MONTHLY", "product_id": str(c.product.public_id)},
            "initial_quantity": str(quantities.get(c.pk, c.quantity if c.quantity is not None else 1)),
            "name": c.name,
        }
        for c in plan.charges.filter(charge_type=ChargeType.FIXED).select_related("product")
    ]  # fmt: skip


@transaction.atomic
def customer_plan_add(*, customer: Customer, data: dict[str, Any]) -> CustomerPlan:
    """/v1/customers/{id}/plans/add: the plan-backed contract and the CustomerPlan row."""
    reader = Reader(data)
    unknown = sorted(set(data) - ADD_FIELDS)
    if unknown:
        raise reader.fail(unknown[0], "is not a field of plans/add.")
    plan = plan_get(reader.str("plan_id", required=True, max_length=64))
    start = _midnight(reader, "starting_on", required=True)
    end = _midnight(reader, "ending_before")
    if end is not None and end <= start:  # type: ignore[operator]
        raise reader.fail("ending_before", "must be after starting_on.")
    if reader.has("overage_rate_adjustments") and reader.raw("overage_rate_adjustments"):
        raise ApplicationError(OVERAGE_REFUSED)
    terms = reader.decimal("net_payment_terms_days", minimum=Decimal(0))
    overrides, quantities, kept = adjustments_to_terms(plan, reader, start)  # type: ignore[arg-type]
    trial_end, credits, trial_overrides = trial_terms(plan, reader, start, end)  # type: ignore[arg-type]
    body: dict[str, Any] = {
        "starting_at": iso(start),
        "rate_card_id": str(plan_rate_card(plan).public_id),
        "name": plan.name,
        "usage_statement_schedule": {"frequency": "MONTHLY"},
        "subscriptions": _subscriptions(plan, quantities),
        "overrides": trial_overrides + overrides,
        "credits": credits,
    }
    if end is not None:
        body["ending_before"] = iso(end)
    if terms is not None:
        body["net_payment_terms_days"] = str(terms)
    contract = contract_create(customer=customer, data=body)
    trial_credit = contract.commits.first() if credits else None
    return CustomerPlan.objects.create(
        customer=customer, plan=plan, contract=contract, starting_on=start, ending_before=end,
        net_payment_terms_days=terms, price_adjustments=kept, trial_ending_before=trial_end,
        trial_credit=trial_credit,
    )  # fmt: skip


def customer_plan_get(customer: Customer, public_id: Any) -> CustomerPlan:
    queryset = CustomerPlan.objects.filter(customer=customer).select_related("plan", "contract")
    return get_by_public_id(queryset, public_id, "plan of this customer", "customer_plan_id")


@transaction.atomic
def customer_plan_end(
    *, customer_plan: CustomerPlan, ending_before: datetime | None, void_invoices: bool = False,
    void_stripe_invoices: bool = False,
) -> CustomerPlan:  # fmt: skip
    """plans/{id}/end: the contract's end moved by contracts.end_date's rule (None clears it).
    Before a finalized invoice's end only with void_invoices, which then voids the invoices
    that begin at or after the new end."""
    if void_stripe_invoices:
        raise ApplicationError(STRIPE_VOID_REFUSED)
    contract = Contract.objects.select_for_update().get(pk=customer_plan.contract_id)
    contract_end_date_recorded(
        contract=contract, end=ending_before, allow=void_invoices, field="ending_before",
        flag="void_invoices",
        request={"ending_before": iso(ending_before), "void_invoices": void_invoices},
    )  # fmt: skip
    if void_invoices and ending_before is not None:
        later = Invoice.objects.filter(contract=contract, period_start__gte=ending_before)
        for invoice in later.exclude(status=InvoiceStatus.VOID):
            invoice_void(invoice=invoice)
    customer_plan.ending_before = ending_before
    customer_plan.save(update_fields=["ending_before"])
    return customer_plan


def trial_credit_remaining(customer_plan: CustomerPlan, now: datetime) -> Decimal:
    """What is left of the trial's spending cap: its credit's balance (0 once the trial ended)."""
    credit: Commit | None = customer_plan.trial_credit
    end = customer_plan.trial_ending_before
    if credit is None or end is None or now >= end:
        return Decimal(0)
    return commit_available_balance(credit, at=max(now, customer_plan.starting_on))
