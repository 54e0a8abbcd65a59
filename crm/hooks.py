"""Where the Salesforce sync learns that something changed: post_save of contracts, commits,
invoices (once no longer drafts) and outbound lifecycle events (contract.create, commit.create,
contract.end, ... as published to webhooks by alerts/lifecycle.py). Receivers only collect what
the transaction touched; when it commits, one push per entity is requested (crm.services).
Nothing polls: a change that never commits is never pushed.
"""

import logging
from typing import Any

from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models.signals import post_save

from crm.models import EntityKind

logger = logging.getLogger(__name__)
BATCH_ATTRIBUTE = "_crm_pending_batch"  # on the thread's connection object: dies with it


class _Batch:
    """Entities touched by one transaction, requested once when it commits."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, int], Any] = {}
        self.done = False

    def __call__(self) -> None:
        from crm.services import sync_enabled

        self.done = True
        enabled: dict[str, bool] = {}
        for (kind, _pk), instance in self.items.items():
            try:
                if kind not in enabled:
                    enabled[kind] = sync_enabled(kind)
                if enabled[kind]:
                    _request(kind, instance)
            except Exception:  # the write committed; one failure must not stop the others
                logger.exception("could not request a Salesforce push of %s %s", kind, _pk)


def _request(kind: str, instance: Any) -> None:
    from crm.services import sync_request

    if kind == EntityKind.LIFECYCLE_EVENT:
        payload = instance.payload or {}
        object_id = str(instance.public_id)  # one event per producer key: one push each
        label = f"{instance.type} ({payload.get('timestamp') or ''})".replace(" ()", "")
        customer_id = _customer_pk(payload.get("customer_id"))
    else:
        object_id = str(instance.public_id)
        label = str(instance)
        customer_id = instance.customer_id
    sync_request(
        kind=kind, object_pk=instance.pk, object_id=object_id, label=label,
        customer_id=customer_id,
    )  # fmt: skip


def _customer_pk(public_id: str | None) -> int | None:
    from customers.models import Customer

    if not public_id:
        return None
    return Customer.objects.filter(public_id=public_id).values_list("pk", flat=True).first()


def touched(kind: str, instance: Any) -> None:
    connection = transaction.get_connection(DEFAULT_DB_ALIAS)
    batch = getattr(connection, BATCH_ATTRIBUTE, None)
    pending = [func for _sids, func, *_ in connection.run_on_commit]
    if batch is not None and not batch.done and batch in pending and connection.in_atomic_block:
        batch.items[(kind, instance.pk)] = instance
        return
    batch = _Batch()
    batch.items[(kind, instance.pk)] = instance
    setattr(connection, BATCH_ATTRIBUTE, batch)
    transaction.on_commit(batch)  # outside a transaction this runs at once


def _on_contract(sender: Any, instance: Any, **kwargs: Any) -> None:
    touched(EntityKind.CONTRACT, instance)


def _on_commit_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    touched(EntityKind.COMMIT, instance)


def _on_invoice(sender: Any, instance: Any, **kwargs: Any) -> None:
    # Drafts are rewritten on every refresh: only finalized (and later voided) ones are pushed.
    if instance.status != "DRAFT":
        touched(EntityKind.INVOICE, instance)


def _on_event(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    from alerts.lifecycle import SYSTEM_TYPES

    if created and instance.type in SYSTEM_TYPES:
        touched(EntityKind.LIFECYCLE_EVENT, instance)


def connect() -> None:
    from contracts.models import Commit, Contract
    from invoicing.models import Invoice
    from webhooks.models import OutboundEvent

    post_save.connect(_on_contract, sender=Contract, dispatch_uid="crm.contract")
    post_save.connect(_on_commit_saved, sender=Commit, dispatch_uid="crm.commit")
    post_save.connect(_on_invoice, sender=Invoice, dispatch_uid="crm.invoice")
    post_save.connect(_on_event, sender=OutboundEvent, dispatch_uid="crm.lifecycle_event")
