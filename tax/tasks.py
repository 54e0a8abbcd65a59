"""Tax tasks: load by id, call one service. Transient provider faults are recorded and left
PENDING; the sweep (beat) retries them, and voids what a voided invoice still holds."""

from celery import shared_task
from django.utils import timezone


@shared_task(name="tax.tasks.invoice_tax_calculate_task")
def invoice_tax_calculate_task(invoice_id: int) -> None:
    from tax.services import invoice_tax_calculate

    invoice_tax_calculate(invoice_id=invoice_id)


@shared_task(name="tax.tasks.invoice_tax_void_task")
def invoice_tax_void_task(invoice_id: int) -> None:
    from tax.services import invoice_tax_void

    invoice_tax_void(invoice_id=invoice_id)


@shared_task(name="tax.tasks.taxes_sweep")
def taxes_sweep() -> int:
    from tax.services import taxes_due

    pending, unvoided = taxes_due(now=timezone.now())
    for invoice_id in pending:
        invoice_tax_calculate_task.delay(invoice_id)
    for invoice_id in unvoided:
        invoice_tax_void_task.delay(invoice_id)
    return len(pending) + len(unvoided)
