"""What keeps drafts current, so that reads (the invoices list and get, in the API and the
console) show stored drafts and never price anything themselves:

- an ingest: the drafts of the customers its events named are recomputed in the background
  (drafts only: new periods are the periodic refresh's), gathered per
  window as threshold evaluation is (billing_console/lib/debounce.py), through the batched
  refresh (invoicing.refresh_batch); rollups only change how usage is read, never what it
  is, so a rollup advance needs no refresh of its own;
- a contract edit (v2 edit, recorded as a ContractEdit): that contract's drafts are refreshed
  right after the edit commits, still in its request, so a read that follows sees them (an
  edit of what drafts bill also brings them in line inside its transaction:
  invoicing.draft_refresh, on contracts.signals.contract_billing_changed);
- a new contract: its drafts are computed after the create commits (invoicing.new_contract);
- the periodic `contracts_refresh_statements`: everything else (time passing into a new
  period, a failure to retry).

A refresh that fails is logged and recorded on the draft (invoicing.failures); it never fails
the write that triggered it.
"""

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from billing_console.lib.debounce import Debouncer, enqueue_debounced
from contracts.models import Contract
from customers.selectors import customers_named

logger = logging.getLogger(__name__)


def contracts_of_customers(customer_refs: list[str]) -> list[int]:
    """Live, begun contracts of the customers these refs name (ids or ingest aliases)."""
    customers = customers_named(customer_refs)
    return list(
        Contract.objects.filter(
            customer__in=customers, archived_at__isnull=True, starting_at__lte=timezone.now()
        )
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()
    )


def _send_ingested(customer_refs: list[str]) -> None:
    from invoicing.tasks import customers_refresh_statements

    try:
        customers_refresh_statements.delay(customer_refs)
    except Exception:  # the periodic refresh catches up
        logger.exception("could not enqueue the draft refresh after an ingest")


ingest_debounce = Debouncer(_send_ingested)


def drafts_refresh_on_events_ingested(sender: Any, customer_ids: set[str], **kwargs: Any) -> None:
    """Sent once per ingest request after commit: refresh the drafts of the customers named."""
    from invoicing.tasks import customers_refresh_statements

    if not customer_ids:
        return
    try:
        enqueue_debounced(
            customers_refresh_statements, customer_ids, debouncer=ingest_debounce,
            window=settings.THRESHOLDS_EVALUATION_DEBOUNCE_SECONDS,
        )  # fmt: skip
    except Exception:
        logger.exception("could not enqueue the draft refresh after an ingest")


def drafts_refresh_on_contract_edit(
    sender: Any, instance: Any, created: bool, **kwargs: Any
) -> None:
    """A recorded contract edit: refresh the contract's drafts once the edit commits."""
    if created:
        contract_id = instance.contract_id
        transaction.on_commit(lambda: contract_drafts_refresh_now(contract_id), robust=True)


def contract_drafts_refresh_now(contract_id: int) -> None:
    from invoicing.refresh_batch import contracts_refresh

    try:
        contracts_refresh([contract_id], drafts_only=True)
    except Exception:  # the edit stands; the periodic refresh retries
        logger.exception("draft refresh after an edit of contract %s failed", contract_id)
