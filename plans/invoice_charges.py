"""/v1/customers/{id}/addCharge: a one-time charge on a plan customer's usage invoice.

Stored as a term of the plan-backed contract, never patched onto the invoice: a scheduled
charge (named `description`, on the charge's product) with one item of quantity x price dated
at the end of the period that starts at invoice_start_timestamp. The contract consolidates
scheduled charges onto its usage invoices (scheduled_charges_on_usage_invoices ALL: an item
dated at a usage invoice's ending_before is billed on it, invoicing.usage_charges), so the
rating core prices the item as a line of that period's usage statement: rounded once, kept by
every draft refresh, finalized with the invoice.

The charge, as the SDK documents it: a fixed charge (of any plan) on a product that is not on
the customer's plan, in the plan's credit type; price in that credit type's unit (USD: cents).
"""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from billing_console.api import get_by_public_id
from billing_console.lib.periods import Period
from billing_console.wire import Reader
from contracts.models import Contract, ScheduledCharge, ScheduledChargeItem
from customers.models import Customer
from invoicing.models import Invoice, InvoiceStatus, InvoiceType
from invoicing.services import contract_statement_periods, invoice_compute_usage
from invoicing.usage_charges import CONSOLIDATE_ALL, consolidates
from plans.customer_plans import customer_plan_get
from plans.models import ChargeType, CustomerPlan, PlanCharge

ADD_CHARGE_FIELDS = frozenset({
    "charge_id", "customer_plan_id", "description", "invoice_start_timestamp", "price", "quantity",
})  # fmt: skip


def _charge(reader: Reader, customer_plan: CustomerPlan) -> PlanCharge:
    queryset = PlanCharge.objects.select_related("product", "credit_type", "plan")
    charge_id = reader.str("charge_id", required=True, max_length=64)
    charge: PlanCharge = get_by_public_id(queryset, charge_id, "charge", "charge_id")
    plan = customer_plan.plan
    if charge.charge_type != ChargeType.FIXED:
        raise reader.fail("charge_id", "must be a fixed charge (a one-time charge is fixed).")
    if plan.charges.filter(product_id=charge.product_id).exists():
        raise reader.fail(
            "charge_id",
            f"its product ({charge.product.name}) is on the customer's plan; a one-time charge "
            "must be on a product that is not on the plan.",
        )
    if charge.credit_type_id != plan.credit_type_id:
        raise reader.fail("charge_id", "must be in the credit type of the customer's plan.")
    return charge


def _period(reader: Reader, contract: Contract, start: datetime) -> Period:
    """The usage statement period of `contract` starting at `start`, begun and still a draft."""
    periods = contract_statement_periods(contract, timezone.now())
    period = next((p for p in periods if p.start == start), None)
    if period is None:
        starts = ", ".join(p.start.isoformat() for p in periods[-3:]) or "none yet"
        raise reader.fail(
            "invoice_start_timestamp",
            f"is not the start of a billing period of this customer plan (latest: {starts}).",
        )
    invoice = (
        Invoice.objects.filter(contract=contract, type=InvoiceType.USAGE, period_start=start)
        .exclude(status=InvoiceStatus.VOID)
        .first()
    )
    if invoice is not None and not invoice.is_draft:
        raise reader.fail(
            "invoice_start_timestamp",
            f"the invoice of this period is {invoice.status.lower()}; only a draft takes a charge.",
        )
    return period


@transaction.atomic
def invoice_charge_add(*, customer: Customer, data: dict[str, Any]) -> ScheduledChargeItem:
    reader = Reader(data)
    unknown = sorted(set(data) - ADD_CHARGE_FIELDS)
    if unknown:
        raise reader.fail(unknown[0], "is not a field of addCharge.")
    customer_plan = customer_plan_get(
        customer, reader.str("customer_plan_id", required=True, max_length=64)
    )
    charge = _charge(reader, customer_plan)
    description = (reader.str("description", required=True, max_length=200) or "").strip()
    if not description:
        raise reader.fail("description", "must not be blank.")
    start = reader.datetime("invoice_start_timestamp", required=True)
    price = reader.decimal("price", required=True, minimum=Decimal(0))
    quantity = reader.decimal("quantity", required=True, minimum=Decimal(0))
    contract = Contract.objects.select_for_update().get(pk=customer_plan.contract_id)
    period = _period(reader, contract, start)  # type: ignore[arg-type]
    if not consolidates(contract):  # customer plans added before addCharge existed
        if contract.scheduled_charges.exists():
            raise reader.fail(
                "customer_plan_id", "its contract bills scheduled charges on their own invoices."
            )
        contract.scheduled_charges_on_usage_invoices = CONSOLIDATE_ALL
        contract.save(update_fields=["scheduled_charges_on_usage_invoices"])
    scheduled = ScheduledCharge.objects.create(
        contract=contract, product=charge.product, name=description, description=description
    )
    item = ScheduledChargeItem.objects.create(
        charge=scheduled, timestamp=period.end, quantity=quantity, unit_price=price,
        amount=price * quantity,  # type: ignore[operator]
    )  # fmt: skip
    invoice = invoice_compute_usage(contract=contract, period=period)
    if not invoice.lines.filter(scheduled_charge_public_id=scheduled.public_id).exists():
        raise RuntimeError(f"charge {scheduled.public_id} missing from invoice {invoice.public_id}")
    return item
