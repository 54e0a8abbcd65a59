"""Background work of usage: rolling up ingested events, backfilling new metrics, pruning
dedupe keys. Each task calls one service and is safe to run again."""

import logging
import time

from celery import shared_task
from django.utils.timezone import now

from usage import rollups
from usage.models import BillableMetric
from usage.services import event_keys_filter_build, event_keys_prune, event_keys_rotate

logger = logging.getLogger(__name__)
BACKFILL_FAILED = "Rollups could not be built: "
ADVANCE_SECONDS = 2.0  # a run's budget; the beat sends one every 2 s (beat_schedule)
# Ingest batches per transaction (100,000 events of 100-event calls): the more a transaction
# takes, the fewer rollup rows it writes per event (a customer's hour is written once). Alone on
# 2 cores: 16,000 events/s at 100 batches, 57,000 at 500, 74,000 at 1,000.
ADVANCE_BATCHES = 1000


@shared_task(expires=10)
def rollups_advance() -> int:
    """Roll up pending events, a transaction per ADVANCE_BATCHES batches, until none are left
    or ADVANCE_SECONDS have passed (a backlog is then continued by the next runs, in parallel
    on PostgreSQL when several workers of the rollups queue take them)."""
    processed, started = 0, time.monotonic()
    while time.monotonic() - started < ADVANCE_SECONDS:
        done = rollups.rollups_advance(max_batches=ADVANCE_BATCHES)
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
        if not rollups.rollable(metric):
            continue
        try:
            rollups.rollups_backfill(metric=metric)
        except Exception as error:  # this metric waits, shown on its page; the others go on
            logger.error("rollups of metric %s not built", metric.public_id, exc_info=error)
            message = f"{BACKFILL_FAILED}{type(error).__name__}: {error}"[:2000]
            BillableMetric.objects.filter(pk=metric.pk).update(error=message, error_at=now())
            continue
        if metric.error.startswith(BACKFILL_FAILED):
            BillableMetric.objects.filter(pk=metric.pk).update(error="", error_at=None)
        count += 1
    return count


@shared_task
def event_keys_prune_task() -> int:
    """Daily: today's keys frozen into a generation, those past the window forgotten, and the
    key filter rebuilt over what is left (usage.key_generations)."""
    event_keys_rotate()
    forgotten = event_keys_prune()
    event_keys_filter_build()
    return forgotten
