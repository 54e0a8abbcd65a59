"""Receivers connected in TaxConfig.ready(). They only enqueue, after commit: a finalize never
waits on a tax provider, and an unreachable broker leaves the work to the sweep."""

import logging
from typing import Any

from django.db import transaction

from customers.models import CustomerBillingProviderConfiguration

logger = logging.getLogger(__name__)


def _enqueue(task: Any, invoice_id: int) -> None:
    try:
        task.delay(invoice_id)
    except Exception:
        logger.exception("could not enqueue the tax of invoice %s", invoice_id)


def tax_on_invoices_finalized(invoices: list[Any], **_signal: Any) -> None:
    """After the close commits: one tax task per finalized invoice whose customer has a live
    billing configuration naming a tax provider (one query for the batch; the task itself
    resolves the invoice's exact configuration)."""
    from tax.tasks import invoice_tax_calculate_task

    taxed = set(
        CustomerBillingProviderConfiguration.objects.active()
        .filter(customer_id__in={i.customer_id for i in invoices})
        .exclude(tax_provider="")
        .values_list("customer_id", flat=True)
    )
    ids = [invoice.pk for invoice in invoices if invoice.customer_id in taxed]
    if ids:  # nothing is registered for the (many) invoices no tax provider computes
        transaction.on_commit(lambda: [_enqueue(invoice_tax_calculate_task, pk) for pk in ids])


def tax_on_invoice_saved(sender: Any, instance: Any, update_fields: Any = None, **_: Any) -> None:
    """A voided invoice voids its tax transaction at the provider, after commit."""
    if instance.status != "VOID":
        return
    from tax.models import InvoiceTax
    from tax.tasks import invoice_tax_void_task

    if InvoiceTax.objects.filter(invoice_id=instance.pk).exclude(status="VOIDED").exists():
        transaction.on_commit(lambda: _enqueue(invoice_tax_void_task, instance.pk))
