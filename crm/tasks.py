"""Background work of the Salesforce sync: one attempt per task, and a sweep over due pushes."""

from celery import shared_task
from django.utils import timezone

from crm.salesforce.push import sync_record_push, sync_records_due_ids


@shared_task
def salesforce_push_task(record_id: int) -> bool | None:
    """Attempt one push if it is due (idempotent: a duplicate message finds it claimed)."""
    return sync_record_push(record_id=record_id, retry_in=_retry_in)


def _retry_in(record_id: int, seconds: int) -> None:
    salesforce_push_task.apply_async((record_id,), countdown=seconds)


@shared_task
def salesforce_sweep() -> int:
    """Safety net run by beat: enqueue every open push whose attempt is due, including ones
    whose worker died mid-call (their lease has run out) or whose message was lost."""
    ids = sync_records_due_ids(now=timezone.now())
    for record_id in ids:
        salesforce_push_task.delay(record_id)
    return len(ids)
