"""Background work of alerts: evaluation after changes, the safety-net sweep, and lifecycle
notifications. Tasks take ids and are safe to run twice (state versions key every event)."""

import uuid

from celery import shared_task
from django.utils import timezone

from alerts import evaluation, lifecycle
from alerts.evaluation_queue import evaluation_started
from alerts.models import Alert
from customers.models import Customer, IngestAlias

SWEEP_BATCH = 50


def _customers_named(refs: list[str]) -> set[int]:
    """Customers that usage events named, by id or by ingest alias."""
    uuids = []
    for ref in refs:
        try:
            uuids.append(uuid.UUID(str(ref)))
        except ValueError:
            continue
    ids = set(
        Customer.objects.filter(public_id__in=uuids, archived_at__isnull=True).values_list(
            "pk", flat=True
        )
    )
    ids |= set(
        IngestAlias.objects.filter(alias__in=refs, active=True).values_list(
            "customer_id", flat=True
        )
    )
    return ids


@shared_task
def alerts_evaluate_ingested(customer_refs: list[str]) -> int:
    """After ingest requests: evaluate the customers their events named (one task per debounce
    window and web process, see alerts/hooks.py)."""
    if not Alert.objects.active().exists():
        return 0
    return evaluation.customers_evaluate(_customers_named(customer_refs), triggered_by="usage")


@shared_task
def alerts_evaluate_customers(
    customer_ids: list[int], triggered_by: str, alert_ids: list[int] | None = None
) -> int:
    if alert_ids is None:  # alerts.evaluation_queue: from now on a write queues a new one
        evaluation_started(customer_ids)
    if not Alert.objects.active().exists():
        return 0
    return evaluation.customers_evaluate(
        customer_ids, triggered_by=triggered_by, alert_ids=alert_ids
    )


@shared_task
def alert_evaluate_all(alert_id: int) -> int:
    """evaluate_on_create: every customer the new alert applies to, in batches."""
    alert = Alert.objects.active().filter(pk=alert_id).first()
    if alert is None:
        return 0
    customers = Customer.objects.active()
    if alert.customer_id is not None:
        customers = customers.filter(pk=alert.customer_id)
    ids = list(customers.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), SWEEP_BATCH):
        alerts_evaluate_customers.delay(ids[start : start + SWEEP_BATCH], "create", [alert.pk])
    return len(ids)


@shared_task
def alerts_sweep_batch(customer_ids: list[int]) -> int:
    return evaluation.customers_evaluate(customer_ids, triggered_by="sweep", existing_only=True)


@shared_task
def alerts_sweep() -> int:
    """Safety net (beat): re-evaluate every customer some active alert may apply to, in case an
    event-driven evaluation was lost. Event-driven evaluation is the normal path."""
    alerts = list(Alert.objects.active().values_list("customer_id", flat=True))
    if not alerts:
        return 0
    customers = Customer.objects.active()
    if None not in alerts:
        customers = customers.filter(pk__in=alerts)
    ids = list(customers.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), SWEEP_BATCH):
        alerts_sweep_batch.delay(ids[start : start + SWEEP_BATCH])
    return len(ids)


@shared_task
def lifecycle_notifications_due() -> int:
    """Beat: publish every lifecycle notification whose moment (plus offset) has come."""
    return lifecycle.notifications_due(now=timezone.now())


@shared_task
def lifecycle_event_publish(event_type: str, object_id: int) -> bool:
    """A write-based system notification (contract.create, contract.edit, commit.create, ...)."""
    return lifecycle.write_event_publish(event_type=event_type, object_id=object_id)
