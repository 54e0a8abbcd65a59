"""Background work of the billing providers: syncing finalized invoices, Stripe's webhook
events and card payments. Task names keep the `invoicing.tasks.` prefix they were queued and
scheduled under; invoicing.tasks imports this module so Celery registers them."""

from celery import shared_task
from django.utils import timezone

from invoicing.providers.stripe_client import STRIPE_TRANSIENT

# Network faults and Stripe's 5xx/429 are retried with backoff; every Stripe call carries an
# idempotency key from our rows and every step is recorded, so a retry resumes the sync.
_STRIPE_TRANSIENT = STRIPE_TRANSIENT
_PROVIDER_TRANSIENT = _STRIPE_TRANSIENT  # marketplaces meter hourly (invoicing/marketplaces)


@shared_task(
    name="invoicing.tasks.invoice_provider_sync_task",
    autoretry_for=_PROVIDER_TRANSIENT,
    retry_backoff=30,
    max_retries=8,
)
def invoice_provider_sync_task(invoice_id: int) -> None:
    """After finalization: create the invoice at its billing provider, once."""
    from invoicing.providers.sync import invoice_provider_sync

    invoice_provider_sync(invoice_id=invoice_id)


@shared_task(name="invoicing.tasks.stripe_event_process_task")
def stripe_event_process_task(event_id: int) -> None:
    from invoicing.providers.stripe_webhooks import stripe_event_process

    stripe_event_process(event_id=event_id)


@shared_task(
    name="invoicing.tasks.stripe_payment_attempt_task",
    autoretry_for=_STRIPE_TRANSIENT,
    retry_backoff=30,
    max_retries=8,
)
def stripe_payment_attempt_task(external_invoice_id: int) -> None:
    from invoicing.providers.stripe_payments import stripe_payment_attempt

    stripe_payment_attempt(external_id=external_invoice_id)


@shared_task(name="invoicing.tasks.billing_providers_sweep")
def billing_providers_sweep() -> int:
    """Beat: card payments whose scheduled retry is due (STRIPE_PAYMENT_RETRY_HOURS), and
    provider syncs left unfinished (a task that ran out of retries) sent again."""
    from invoicing.providers.stripe_payments import stripe_payments_due
    from invoicing.providers.sync import syncs_unfinished

    now = timezone.now()
    due = stripe_payments_due(now=now)
    for external_id in due:
        stripe_payment_attempt_task.delay(external_id)
    for invoice_id in syncs_unfinished(now=now):
        invoice_provider_sync_task.delay(invoice_id)
    return len(due)
