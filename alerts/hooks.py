"""Where alerts and lifecycle notifications learn that something changed.

The lower apps never import alerts: usage sends its own `events_ingested` signal once per ingest
request (after commit), and invoices, ledger entries, contracts, edits and commits are saved
through the ORM, whose post_save signal we listen to. Receivers do no work themselves: they
collect the customers a transaction touched and enqueue one evaluation task when it commits.
"""

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models.signals import post_save

from billing_console.lib.debounce import Debouncer, enqueue_debounced

logger = logging.getLogger(__name__)


class _Batch:
    """Customers touched by one transaction, flushed once when it commits."""

    def __init__(self) -> None:
        self.by_reason: dict[str, set[int]] = {}

    def __call__(self) -> None:
        from alerts.evaluation_queue import customers_evaluate_enqueue

        for reason, ids in self.by_reason.items():  # not those already waiting for one
            _safely(lambda ids=ids, reason=reason: customers_evaluate_enqueue(
                sorted(ids), reason
            ))  # fmt: skip


BATCH_ATTRIBUTE = "_alerts_pending_batch"  # on the thread's connection object: dies with it


def _safely(enqueue: Callable[[], Any]) -> None:
    """An unreachable broker must not fail the write that already committed; the periodic
    sweep evaluates what this enqueue would have."""
    try:
        enqueue()
    except Exception:
        logger.exception("could not enqueue alert evaluation")


def customer_touched(customer_id: int | None, reason: str) -> None:
    if customer_id is None:
        return
    connection = transaction.get_connection(DEFAULT_DB_ALIAS)
    batch = getattr(connection, BATCH_ATTRIBUTE, None)
    pending = [func for _sids, func, *_ in connection.run_on_commit]
    if batch is not None and batch in pending and connection.in_atomic_block:
        batch.by_reason.setdefault(reason, set()).add(customer_id)
        return
    batch = _Batch()
    batch.by_reason[reason] = {customer_id}
    setattr(connection, BATCH_ATTRIBUTE, batch)
    transaction.on_commit(batch)  # outside a transaction this runs at once


# --- receivers -----------------------------------------------------------------------------


def _send_ingested(customer_refs: list[str]) -> None:
    from alerts.tasks import alerts_evaluate_ingested

    _safely(lambda: alerts_evaluate_ingested.delay(customer_refs))


ingest_debounce = Debouncer(_send_ingested)


def _on_ingest(sender: Any, customer_ids: set[str], **kwargs: Any) -> None:
    """After an ingest request commits: the customers it named are gathered, and one evaluation
    of every customer named in the window is enqueued when the window closes (all of the
    window's requests committed before then, so it sees them)."""
    from alerts.tasks import alerts_evaluate_ingested

    window = settings.ALERTS_EVALUATION_DEBOUNCE_SECONDS
    _safely(lambda: enqueue_debounced(
        alerts_evaluate_ingested, customer_ids, debouncer=ingest_debounce, window=window
    ))  # fmt: skip


def _on_invoice_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    customer_touched(instance.customer_id, "invoice")


def _on_ledger_entry_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    customer_touched(instance.commit.customer_id, "balance")


def _write_event(event_type: str, object_id: int) -> None:
    from alerts.lifecycle import system_enabled
    from alerts.tasks import lifecycle_event_publish

    def publish() -> None:
        if system_enabled(event_type):
            lifecycle_event_publish.delay(event_type, object_id)

    transaction.on_commit(lambda: _safely(publish))


def _on_contract_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    customer_touched(instance.customer_id, "contract")
    if created:
        _write_event("contract.create", instance.pk)


def _on_contract_edit_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if created:
        _write_event("contract.edit", instance.pk)


def _on_commit_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if created:
        _write_event("credit.create" if instance.is_credit else "commit.create", instance.pk)


def connect() -> None:
    from contracts.models import Commit, Contract, ContractEdit, LedgerEntry
    from invoicing.models import Invoice
    from usage.signals import events_ingested

    events_ingested.connect(_on_ingest, dispatch_uid="alerts.ingest")
    post_save.connect(_on_invoice_saved, sender=Invoice, dispatch_uid="alerts.invoice")
    post_save.connect(_on_ledger_entry_saved, sender=LedgerEntry, dispatch_uid="alerts.ledger")
    post_save.connect(_on_contract_saved, sender=Contract, dispatch_uid="alerts.contract")
    post_save.connect(
        _on_contract_edit_saved, sender=ContractEdit, dispatch_uid="alerts.contract_edit"
    )
    post_save.connect(_on_commit_saved, sender=Commit, dispatch_uid="alerts.commit")
