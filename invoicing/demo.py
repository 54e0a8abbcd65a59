"""Demo invoices: every demo contract's statements computed through today, past months
finalized (with invoice numbers), the current month left as a live draft. Only the contracts
of the demo's own customers (customers.demo); anyone else's are the worker's to bill."""

from django.utils import timezone

from contracts.models import Contract
from contracts.terms.issuance import contract_recurring_issue
from customers import demo as customers_demo
from invoicing.models import Invoice, InvoiceStatus
from invoicing.services import contract_invoices_refresh, invoice_finalize


def load(stdout) -> None:
    now = timezone.now()
    contracts = Contract.objects.filter(
        customer__in=customers_demo.customers(), archived_at__isnull=True
    ).order_by("pk")
    for contract in contracts:
        contract_recurring_issue(contract=contract, now=now)  # what the beat task would have issued
        contract_invoices_refresh(contract=contract, through=now)
    demo_drafts = Invoice.objects.filter(status=InvoiceStatus.DRAFT, contract__in=contracts)
    finalized = 0
    for invoice in demo_drafts.filter(period_end__lte=now).order_by("period_end", "pk"):
        invoice_finalize(invoice=invoice)
        finalized += 1
    drafts = demo_drafts.count()
    stdout.write(f"Invoicing demo: {finalized} invoices finalized, {drafts} drafts open.")
