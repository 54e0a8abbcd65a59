"""Two customers with invoices and credits, for embed tests: Acme (customer A) and Globex (B)."""

from dataclasses import dataclass
from datetime import timedelta

from contracts.services import contract_create
from customers.services import customer_create
from invoicing.models import Invoice
from invoicing.services import contract_invoices_refresh, invoice_finalize
from invoicing.tests.factories import FEB, JAN, World, priced_world, send_calls
from pricing.services import product_create


@dataclass
class TwoCustomers:
    a: World
    a_invoice: Invoice  # January: 10 calls x 5 cents = USD 0.50, finalized
    b_customer: object
    b_invoice: Invoice  # January: 33 calls x 5 cents = USD 1.65, finalized


def _credit(product, name: str, amount: int) -> dict:
    return {
        "product_id": str(product.public_id), "name": name, "priority": 1,
        "access_schedule": {"schedule_items": [{
            "amount": amount, "starting_at": "2026-02-01T00:00:00Z",
            "ending_before": "2027-06-01T00:00:00Z",
        }]},
    }  # fmt: skip


def two_customers() -> TwoCustomers:
    fixed = product_create(name="Credits", type="FIXED")
    a = priced_world(contract_extra={"name": "Acme platform",
                                     "credits": [_credit(fixed, "Launch credit", 1000)]})  # fmt: skip
    b = customer_create(name="Globex", ingest_aliases=["globex"])
    b_contract = contract_create(customer=b, data={
        "starting_at": "2026-01-01T00:00:00Z", "rate_card_id": str(a.rate_card.public_id),
        "usage_statement_schedule": {"frequency": "MONTHLY"}, "name": "Globex deal",
        "credits": [_credit(fixed, "Globex secret credit", 7777)],
    })  # fmt: skip
    send_calls(10, JAN + timedelta(days=3))
    send_calls(33, JAN + timedelta(days=4), alias="globex", prefix="g")
    send_calls(20, FEB + timedelta(days=2))  # Acme, February: 100 cents drawn from the credit
    invoices = []
    for contract in (a.contract, b_contract):
        contract_invoices_refresh(contract=contract, through=FEB + timedelta(days=5))
        january = Invoice.objects.get(contract=contract, type="USAGE", period_start=JAN)
        invoices.append(invoice_finalize(invoice=january))
    return TwoCustomers(a, invoices[0], b, invoices[1])
