"""Background work of invoicing: the periodic month close and draft refreshes."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from contracts.models import Contract
from contracts.services import segments_expire
from invoicing import services

# The providers' tasks, imported so that Celery (which reads this module) registers them.
from invoicing.marketplaces.tasks import marketplace_metering_run  # noqa: F401
from invoicing.providers.tasks import (  # noqa: F401
    billing_providers_sweep,
    invoice_provider_sync_task,
    stripe_event_process_task,
    stripe_payment_attempt_task,
)
from invoicing.refresh_queue import refresh_claim, refresh_started, refresh_unclaim

logger = logging.getLogger(__name__)


@shared_task
def contracts_refresh_statements() -> int:
    """Create and refresh every active contract's statements through now (drafts only), in
    batches re-priced together (invoicing.refresh_batch), one task per batch."""
    from invoicing.refresh_batch import BATCH_SIZE

    now = timezone.now()
    ids = list(
        Contract.objects.filter(archived_at__isnull=True, starting_at__lte=now)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    ids = refresh_claim(ids)  # not those whose refresh still waits in the queue
    for start in range(0, len(ids), BATCH_SIZE):
        try:
            contracts_refresh_batch_task.delay(ids[start : start + BATCH_SIZE])
        except Exception:  # not queued: the next request may queue them
            refresh_unclaim(ids[start:])
            raise
    return len(ids)


@shared_task
def contracts_refresh_batch_task(contract_ids: list[int]) -> int:
    """Refresh these contracts' statements through now as one batch; returns how many
    usage statements were computed (a contract's failure is recorded on its draft)."""
    from invoicing.refresh_batch import contracts_refresh

    refresh_started(contract_ids)  # before reading: a request from now on queues a new run
    return contracts_refresh(contract_ids).statements


@shared_task
def contract_refresh_statements(contract_id: int) -> None:
    refresh_started([contract_id])  # invoicing.refresh_queue: queued again if asked from now on
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
    from invoicing.failures import describe
    from invoicing.thresholds import contract_thresholds_evaluate

    contract = Contract.objects.filter(pk=contract_id).first()
    if contract is None:
        return 0
    rows = Contract.objects.filter(pk=contract_id)
    try:
        charges = contract_thresholds_evaluate(contract=contract)
    except Exception as error:  # rolled back: nothing charged; shown on the contract's page
        logger.exception("threshold evaluation of contract %s failed", contract.public_id)
        rows.update(threshold_error=describe(error), threshold_error_at=timezone.now())
        return 0
    if contract.threshold_error:
        rows.update(threshold_error="", threshold_error_at=None)
    return len(charges)


@shared_task
def thresholds_sweep() -> int:
    """Safety net run by beat: evaluate every contract with threshold billing enabled."""
    from invoicing.thresholds import contracts_to_evaluate

    contract_ids = contracts_to_evaluate()
    for contract_id in contract_ids:
        contract_thresholds_evaluate_task.delay(contract_id)
    return len(contract_ids)


@shared_task
def customers_refresh_statements(customer_refs: list[str]) -> int:
    """After an ingest: refresh the drafts of the customers its events named (ids or aliases),
    as one batched refresh (invoicing.refresh_triggers)."""
    from invoicing.refresh_batch import contracts_refresh
    from invoicing.refresh_triggers import contracts_of_customers

    return contracts_refresh(contracts_of_customers(customer_refs), drafts_only=True).statements
