"""Signal receivers of invoicing, connected in InvoicingConfig.ready(): what re-evaluates
threshold billing (invoicing/thresholds.py) besides the periodic sweep.

Receivers only enqueue, after commit. An unreachable broker must not fail a write that has
already committed: the enqueue is logged and the sweep evaluates it later.
"""

import logging
from typing import Any

from django.conf import settings
from django.db import transaction

from billing_console.lib.debounce import Debouncer, enqueue_debounced

logger = logging.getLogger(__name__)


def _enqueue(send: Any, *args: Any) -> None:
    try:
        send(*args)
    except Exception:
        logger.exception("could not enqueue threshold evaluation")


def _send_ingested(customer_refs: list[str]) -> None:
    from invoicing.tasks import thresholds_evaluate_customers

    _enqueue(thresholds_evaluate_customers.delay, customer_refs)


ingest_debounce = Debouncer(_send_ingested)


def thresholds_on_events_ingested(sender: Any, customer_ids: set[str], **kwargs: Any) -> None:
    """Sent once per ingest request after commit: re-evaluate the threshold billing of the
    customers the events named (ingest itself does no threshold work), gathered per window
    as alert evaluation is (billing_console/lib/debounce.py)."""
    from invoicing.tasks import thresholds_evaluate_customers

    if customer_ids:
        _enqueue(lambda: enqueue_debounced(
            thresholds_evaluate_customers, customer_ids, debouncer=ingest_debounce,
            window=settings.THRESHOLDS_EVALUATION_DEBOUNCE_SECONDS,
        ))  # fmt: skip


def _contract_on_commit(contract_id: int) -> None:
    from invoicing.tasks import contract_thresholds_evaluate_task

    transaction.on_commit(lambda: _enqueue(contract_thresholds_evaluate_task.delay, contract_id))


def thresholds_on_contract_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A contract created or edited with threshold billing enabled is evaluated at once (as
    Metronome does on every configuration change)."""
    from contracts.terms.threshold_billing import ThresholdKind, threshold_config

    if threshold_config(instance, ThresholdKind.SPEND) or threshold_config(
        instance, ThresholdKind.PREPAID_BALANCE
    ):
        _contract_on_commit(instance.pk)


def thresholds_on_ledger_entry_saved(
    sender: Any, instance: Any, created: bool, **kwargs: Any
) -> None:
    """A manual ledger entry changes a balance outside usage: re-evaluate the auto-recharge."""
    from contracts.models import LedgerEntryType

    if created and instance.type == LedgerEntryType.MANUAL:
        contract_id = instance.commit.contract_id
        if contract_id is not None:
            _contract_on_commit(contract_id)
