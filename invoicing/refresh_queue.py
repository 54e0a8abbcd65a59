"""At most one queued (not yet started) draft refresh per contract.

A refresh requested for a contract whose refresh is already waiting in the queue is not queued
again: the waiting one will see everything the request would have. The pending marker
(billing_console.lib.pending) is set when a refresh is queued and cleared when its task
*starts*, before it reads anything, so a request made while the refresh runs queues another,
which runs after it: nothing is lost, whatever the number of workers.

Only the enqueue and the task's entry live here; what a refresh computes is
invoicing.services / invoicing.refresh_batch.
"""

import logging

from billing_console.lib import pending

logger = logging.getLogger(__name__)


def _key(contract_id: int) -> str:
    return f"invoicing.refresh.contract.{int(contract_id)}"


def refresh_claim(contract_ids: list[int]) -> list[int]:
    """Mark these contracts' refreshes as queued; returns those that were not already queued
    (the caller queues a refresh of exactly these, or `refresh_unclaim`s them if it cannot)."""
    store = pending.store()
    return [pk for pk in contract_ids if store.claim(_key(pk))]


def refresh_unclaim(contract_ids: list[int]) -> None:
    """The refreshes claimed could not be queued: let the next request queue them."""
    store = pending.store()
    for pk in contract_ids:
        store.release(_key(pk))


def refresh_started(contract_ids: list[int]) -> None:
    """First thing a refresh task does: from now on a request queues a new refresh."""
    store = pending.store()
    for pk in contract_ids:
        store.release(_key(pk))


def contract_refresh_enqueue(contract_id: int) -> bool:
    """Queue a refresh of the contract's statements unless one is already waiting; True when
    queued now."""
    from invoicing.tasks import contract_refresh_statements

    if not refresh_claim([contract_id]):
        return False
    try:
        contract_refresh_statements.delay(contract_id)
    except Exception:
        refresh_unclaim([contract_id])
        raise
    return True
