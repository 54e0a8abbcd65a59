"""Acme on March 15, 2026, for the customer overview: calls at $25 (2,500 USD cents) on a monthly
contract from January with a $1,000 prepaid commit (invoiced January 1, finalized).
February: 6 calls ($150.00, statement finalized, all drawn from the commit); March so far:
4 calls ($100.00, a draft, drawn too). The commit has $750.00 left. Besides: a $50.00
customer-level credit (priority after the commit: untouched), 5,000 AI credits (a custom
unit), an expired credit, and one alert in alarm."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from alerts.models import Alert, AlertStatus, CustomerAlert
from billing_console.lib.periods import Period
from contracts.models import Commit
from contracts.terms.customer_commits import customer_commit_create
from invoicing.models import Invoice
from invoicing.services import (
    contract_scheduled_invoices_sync,
    invoice_compute_usage,
    invoice_finalize,
)
from invoicing.tests.factories import FEB, JAN, MAR, World, priced_world, send_calls
from pricing.products import credit_type_create
from pricing.services import credit_type_get_default, product_create

APR = datetime(2026, 4, 1, tzinfo=UTC)
NOW = datetime(2026, 3, 15, 12, tzinfo=UTC)
YEAR_END = "2027-01-01T00:00:00Z"


@dataclass
class Overview:
    world: World
    commit: Commit
    credit: Commit
    march: Invoice
    alert: Alert


def _access(
    amount: int, start: str = "2026-01-01T00:00:00Z", end: str = YEAR_END, **extra: Any
) -> dict:
    return {
        "schedule_items": [{"amount": amount, "starting_at": start, "ending_before": end}],
        **extra,
    }


def acme_world() -> Overview:
    fixed = product_create(name="Prepaid commit", type="FIXED")
    world = priced_world(price=2500, contract_extra={"name": "Acme 2026", "commits": [{
        "type": "PREPAID", "name": "Annual commit", "priority": 1,
        "product_id": str(fixed.public_id), "access_schedule": _access(100_000),
        "invoice_schedule": {"schedule_items": [{"amount": 100_000, "timestamp": JAN.isoformat()}]},
    }]})  # fmt: skip
    customer = world.customer
    credit = customer_commit_create(customer=customer, credit=True, data={
        "product_id": str(fixed.public_id), "priority": 5, "name": "Welcome credit",
        "access_schedule": _access(5_000),
    })  # fmt: skip
    tokens = credit_type_create(name="AI credits")
    customer_commit_create(customer=customer, credit=True, data={
        "product_id": str(fixed.public_id), "priority": 6, "name": "AI credit grant",
        "access_schedule": _access(5_000, credit_type_id=str(tokens.public_id)),
    })  # fmt: skip
    customer_commit_create(customer=customer, credit=True, data={
        "product_id": str(fixed.public_id), "priority": 7, "name": "Trial credit",
        "access_schedule": _access(2_000, end="2026-02-01T00:00:00Z"),
    })  # fmt: skip
    for invoice in contract_scheduled_invoices_sync(contract=world.contract, through=NOW):
        invoice_finalize(invoice=invoice)  # the $1,000 commit purchase
    # The trial credit would pay for usage first if it could: it expired before any.
    invoice_finalize(
        invoice=invoice_compute_usage(contract=world.contract, period=Period(JAN, FEB))
    )
    send_calls(6, FEB + timedelta(days=9))
    invoice_finalize(
        invoice=invoice_compute_usage(contract=world.contract, period=Period(FEB, MAR))
    )
    send_calls(2, MAR + timedelta(days=4))
    send_calls(2, MAR + timedelta(days=9), prefix="f")
    march = invoice_compute_usage(contract=world.contract, period=Period(MAR, APR))
    alert = Alert.objects.create(
        name="Spend over $50", alert_type="spend_threshold_reached", threshold=5_000,
        credit_type=credit_type_get_default(), customer=customer,
    )  # fmt: skip
    CustomerAlert.objects.create(alert=alert, customer=customer, status=AlertStatus.IN_ALARM)
    commit = Commit.objects.get(name="Annual commit")
    return Overview(world, commit, credit, march, alert)
