"""At most one queued (not yet started) follow-up evaluation per customer.

Writes that touch a customer (invoices, ledger entries, contracts: alerts.hooks) each queue an
evaluation of its alerts when they commit. A customer whose evaluation already waits in the
queue is left out of the next one: the waiting evaluation reads everything committed by the
time it starts. The marker (billing_console.lib.pending) is cleared when the evaluation
*starts*, so a write after that queues another, which runs after it: nothing is missed. A
restart's backlog (a refresh of every draft, each touching its customer) thus queues one
evaluation per customer instead of one per write. Evaluations of given alerts (on create, on
reset) and the ingest path (debounced per window, alerts.hooks) are not deduplicated here.
"""

from billing_console.lib import pending


def _key(customer_id: int) -> str:
    return f"alerts.evaluate.customer.{int(customer_id)}"


def customers_evaluate_enqueue(customer_ids: list[int], triggered_by: str) -> list[int]:
    """Queue one evaluation of those of these customers not already waiting for one; returns
    the customers queued now."""
    from alerts.tasks import alerts_evaluate_customers

    store = pending.store()
    claimed = [pk for pk in customer_ids if store.claim(_key(pk))]
    if not claimed:
        return []
    try:
        alerts_evaluate_customers.delay(claimed, triggered_by)
    except Exception:  # not queued: the next write (or the sweep) queues them
        for pk in claimed:
            store.release(_key(pk))
        raise
    return claimed


def evaluation_started(customer_ids: list[int]) -> None:
    """First thing an evaluation of all a customer's alerts does: writes from now on queue a
    new one."""
    store = pending.store()
    for pk in customer_ids:
        store.release(_key(pk))
