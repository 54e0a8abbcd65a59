"""Demo invoices: every demo contract's statements computed through today, past months
finalized (with invoice numbers), the current month left as a live draft."""

from django.utils import timezone

from contracts.issuance import contract_recurring_issue
from contracts.models import Contract
from invoicing.models import Invoice, InvoiceStatus
from invoicing.services import contract_invoices_refresh, invoice_finalize


def load(stdout) -> None:
    now = timezone.now()
    for contract in Contract.objects.filter(archived_at__isnull=True).order_by("pk"):
        contract_recurring_issue(contract=contract, now=now)  # what the beat task would have issued
        contract_invoices_refresh(contract=contract, through=now)
    finalized = 0
    for invoice in Invoice.objects.filter(status=InvoiceStatus.DRAFT, period_end__lte=now).order_by(
        "period_end", "pk"
    ):
        invoice_finalize(invoice=invoice)
        finalized += 1
    drafts = Invoice.objects.filter(status=InvoiceStatus.DRAFT).count()
    stdout.write(f"Invoicing demo: {finalized} invoices finalized, {drafts} drafts open.")
