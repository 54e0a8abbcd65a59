"""Archiving a contract: its invoices are voided (giving back what they drew from commits),
then its terms are archived (contracts.lifecycle)."""

from django.db import transaction
from django.utils import timezone

from contracts.lifecycle import contract_terms_archive
from contracts.models import Contract
from invoicing.models import Invoice, InvoiceStatus
from invoicing.services import invoice_void


@transaction.atomic
def contract_archive(*, contract: Contract, void_invoices: bool) -> Contract:
    """Archive a contract and its terms. Draft invoices are voided, finalized ones too when
    `void_invoices`; what remains on prepaid commits and credits expires now. Idempotent."""
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    if contract.archived_at is not None:
        return contract
    statuses = (
        [InvoiceStatus.DRAFT, InvoiceStatus.FINALIZED] if void_invoices else [InvoiceStatus.DRAFT]
    )
    for invoice in Invoice.objects.filter(contract=contract, status__in=statuses):
        invoice_void(invoice=invoice)
    contract_terms_archive(contract=contract, now=timezone.now())
    return contract
