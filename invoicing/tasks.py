"""Background work of invoicing: the periodic month close and draft refreshes."""

import logging
from datetime import timedelta

import stripe
from celery import shared_task
from django.conf import settings
from django.utils import timezone

from contracts.models import Contract
from contracts.services import segments_expire
from invoicing import services
from invoicing.marketplaces import UnprocessedRecordError

logger = logging.getLogger(__name__)


@shared_task
def contracts_refresh_statements() -> int:
    """Create and refresh every active contract's statements through now (drafts only)."""
    now = timezone.now()
    count = 0
    for contract_id in Contract.objects.filter(
        archived_at__isnull=True, starting_at__lte=now
    ).values_list("pk", flat=True):
        contract_refresh_statements.delay(contract_id)
        count += 1
    return count


@shared_task
def contract_refresh_statements(contract_id: int) -> None:
    contract = Contract.objects.filter(pk=contract_id).first()
    if contract is not None:
        services.contract_invoices_refresh(contract=contract)


@shared_task
def invoices_finalize_due() -> int:
    """Month close: finalize drafts whose period ended more than the grace period ago, then
    expire what is left on ended commit and credit segments."""
    now = timezone.now()
    grace = timedelta(hours=settings.INVOICE_FINALIZE_GRACE_HOURS)
    finalized = services.invoice_finalize_due(now=now, grace=grace)
    segments_expire(now=now)
    return finalized


@shared_task
def thresholds_evaluate_customers(customer_refs: list[str]) -> int:
    """After an ingest: evaluate the threshold billing of the customers its events named."""
    from invoicing.thresholds import contracts_to_evaluate

    contract_ids = contracts_to_evaluate(customer_refs=customer_refs)
    for contract_id in contract_ids:
        try:  # one contract's failure is logged; the others are still evaluated
            contract_thresholds_evaluate_task(contract_id)
        except Exception:
            logger.exception("threshold evaluation of contract %s failed", contract_id)
    return len(contract_ids)


@shared_task
def contract_thresholds_evaluate_task(contract_id: int) -> int:
    """Charge any spend threshold or prepaid balance threshold the contract has crossed
    (idempotent: one charge per crossing)."""
    from invoicing.thresholds import contract_thresholds_evaluate

    contract = Contract.objects.filter(pk=contract_id).first()
    if contract is None:
        return 0
    return len(contract_thresholds_evaluate(contract=contract))


@shared_task
def thresholds_sweep() -> int:
    """Safety net run by beat: evaluate every contract with threshold billing enabled."""
    from invoicing.thresholds import contracts_to_evaluate

    contract_ids = contracts_to_evaluate()
    for contract_id in contract_ids:
        contract_thresholds_evaluate_task.delay(contract_id)
    return len(contract_ids)


# --- billing providers (Stripe, marketplaces) ---------------------------------------------
# Network faults and Stripe's 5xx/429 are retried with backoff; every Stripe call carries an
# idempotency key from our rows and every step is recorded, so a retry resumes the sync.
_STRIPE_TRANSIENT = (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError)
_PROVIDER_TRANSIENT = (*_STRIPE_TRANSIENT, UnprocessedRecordError)


@shared_task(autoretry_for=_PROVIDER_TRANSIENT, retry_backoff=30, max_retries=8)
def invoice_provider_sync_task(invoice_id: int) -> None:
    """After finalization: create the invoice at its billing provider, once."""
    from invoicing.providers.sync import invoice_provider_sync

    invoice_provider_sync(invoice_id=invoice_id)


@shared_task
def stripe_event_process_task(event_id: int) -> None:
    from invoicing.providers.stripe_webhooks import stripe_event_process

    stripe_event_process(event_id=event_id)


@shared_task(autoretry_for=_STRIPE_TRANSIENT, retry_backoff=30, max_retries=8)
def stripe_payment_attempt_task(external_invoice_id: int) -> None:
    from invoicing.providers.stripe_payments import stripe_payment_attempt

    stripe_payment_attempt(external_id=external_invoice_id)


@shared_task
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
