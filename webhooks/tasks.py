"""Background work of webhooks: one attempt per task, and a sweep over due deliveries."""

from celery import shared_task
from django.utils import timezone

from webhooks.delivery import deliveries_due_ids, delivery_attempt


@shared_task
def delivery_attempt_task(delivery_id: int) -> bool | None:
    """Attempt one delivery if it is due (idempotent: a duplicate message finds it claimed)."""
    return delivery_attempt(delivery_id=delivery_id)


@shared_task
def deliveries_sweep() -> int:
    """Safety net run by beat: enqueue every open delivery whose attempt is due, including ones
    whose worker died mid-request (their lease has run out)."""
    ids = deliveries_due_ids(now=timezone.now())
    for delivery_id in ids:
        delivery_attempt_task.delay(delivery_id)
    return len(ids)
