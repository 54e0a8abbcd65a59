"""After finalization: send the invoice to the billing provider its contract is configured with.

Which configuration: the contract's own (once archived, nothing is sent: archiving stops billing
at once); a contract that never had one falls back to its customer's configuration when the
customer has exactly one live Stripe configuration.
"""

import logging
from datetime import datetime, timedelta

from django.db import transaction

from contracts.models import Contract
from contracts.terms.billing_provider import configuration_of
from customers.models import BillingProvider, CustomerBillingProviderConfiguration
from invoicing.consolidation import billed_contract
from invoicing.models import ExternalInvoice, ExternalStatus, Invoice, InvoiceStatus

logger = logging.getLogger(__name__)


def invoice_configuration(invoice: Invoice) -> CustomerBillingProviderConfiguration | None:
    contract = billed_contract(invoice)  # the payer's (account hierarchies)
    if contract is None:
        return None  # a statement collected through its parent's consolidated invoice
    return contract_configuration(contract)


def contract_configuration(contract: Contract) -> CustomerBillingProviderConfiguration | None:
    """The configuration collecting the invoices `contract` pays (see invoice_configuration)."""
    if contract.billing_provider_configuration_id is not None:
        return configuration_of(contract)
    stripe_rows = list(
        contract.customer.billing_configurations.active()
        .filter(billing_provider=BillingProvider.STRIPE)
        .select_related("provider")[:2]
    )
    return stripe_rows[0] if len(stripe_rows) == 1 else None


def invoices_sync_enqueue(invoices: list[Invoice], **_signal: object) -> None:
    """Receives the close's `invoices_finalized` (invoicing.signals): after commit, one sync
    task per finalized invoice that may have a configuration (its contract names one, or its customer has a live Stripe
    configuration; read in one query for the batch rather than by a task per invoice that
    would find nothing)."""
    from invoicing.providers.tasks import invoice_provider_sync_task

    def enqueue() -> None:
        billed = {i.pk: c for i in invoices if (c := billed_contract(i)) is not None}
        stripe_customers = set(
            CustomerBillingProviderConfiguration.objects.active()
            .filter(
                customer_id__in={c.customer_id for c in billed.values()},
                billing_provider=BillingProvider.STRIPE,
            )
            .values_list("customer_id", flat=True)
        )
        for invoice_id, contract in billed.items():
            if (
                contract.billing_provider_configuration_id is not None
                or contract.customer_id in stripe_customers
            ):
                invoice_provider_sync_task.delay(invoice_id)

    transaction.on_commit(enqueue)


@transaction.atomic
def _external_for(invoice: Invoice) -> ExternalInvoice | None:
    """The invoice's ExternalInvoice, created on the first run (under the invoice's row lock,
    so two concurrent runs create one)."""
    Invoice.objects.select_for_update().filter(pk=invoice.pk).first()
    existing = ExternalInvoice.objects.filter(invoice=invoice).first()
    if existing is not None:
        return existing
    configuration = invoice_configuration(invoice)
    if configuration is None:
        return None
    return ExternalInvoice.objects.create(
        invoice=invoice,
        configuration=configuration,
        provider=configuration.provider,
        billing_provider=configuration.billing_provider,
    )


def invoice_provider_sync(*, invoice_id: int) -> ExternalInvoice | None:
    """Idempotent: a finalized invoice is created at its provider once, however often this
    runs; a run interrupted midway resumes from the last recorded step."""
    invoice = (
        Invoice.objects.select_related("customer", "contract", "credit_type")
        .filter(pk=invoice_id)
        .first()
    )
    if invoice is None or invoice.status != InvoiceStatus.FINALIZED:
        return None
    external = _external_for(invoice)
    if external is None:
        return None
    if external.billing_provider == BillingProvider.STRIPE:
        from invoicing.providers.stripe_invoices import stripe_invoice_sync

        return stripe_invoice_sync(external_id=external.pk)
    from invoicing.marketplaces import marketplace_invoice_meter

    return marketplace_invoice_meter(external_id=external.pk)


# A sync still QUEUED this long after its last recorded step has lost its task.
STALE_AFTER = timedelta(minutes=15)


def syncs_unfinished(*, now: datetime) -> list[int]:
    return list(
        ExternalInvoice.objects.filter(
            external_status=ExternalStatus.QUEUED, updated_at__lt=now - STALE_AFTER
        ).values_list("invoice_id", flat=True)
    )
