"""Background work of usage: rolling up ingested events, backfilling new metrics, pruning
dedupe keys. Each task calls one service and is safe to run again."""

from celery import shared_task

from usage import rollups
from usage.models import BillableMetric
from usage.services import event_keys_prune


@shared_task
def rollups_advance() -> int:
    """Roll up pending events until none are left (bounded per run)."""
    processed = 0
    for _ in range(20):
        done = rollups.rollups_advance()
        processed += done
        if not done:
            break
    return processed


@shared_task
def metric_backfill(metric_id: int) -> int:
    metric = BillableMetric.objects.filter(pk=metric_id).first()
    return rollups.rollups_backfill(metric=metric) if metric is not None else 0


@shared_task
def metrics_backfill_missing() -> int:
    """Backfill any rollable metric not yet ready (e.g. created while no worker ran)."""
    count = 0
    for metric in BillableMetric.objects.filter(archived_at__isnull=True, rollup_ready=False):
        if rollups.rollable(metric):
            rollups.rollups_backfill(metric=metric)
            count += 1
    return count


@shared_task
def event_keys_prune_task() -> int:
    return event_keys_prune()
