"""Retiring raw events: `manage.py events_archive --before DATE --out FILE` writes the events
with timestamps before DATE to a gzipped JSON-lines file and deletes them from the events table,
so the table stops growing with history.

What billing keeps: rollups (hourly and daily, per metric), invoices, ledgers and dedupe keys
are untouched, so usage of a rolled-up metric before DATE is still answered from its rollups.
What it gives up: usage before DATE that only raw events could answer (SQL metrics, UNIQUE
counts, a group key the rollups do not hold, the partial hour at a window's edge, a metric
whose rollups were built after the archive) is refused with an error naming the metric and the
date, never computed from what is left. A run is refused while anything could still need those
events: a draft invoice of a period that begins before DATE, a rolled-up metric whose rollups
are not built yet, or a DATE inside the dedupe and event-search window (the last 35 days).
Events not rolled up yet are kept. `manage.py events_restore` puts a run's events back
(usage.archive_restore).
"""

import gzip
import json
import os
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from billing_console.api import ApplicationError
from usage.event_reading import DEDUPE_WINDOW
from usage.models import BillableMetric, EventArchive, PendingRollup, UsageEvent
from usage.rollup_cells import rollable

MIN_AGE = DEDUPE_WINDOW + timedelta(days=1)  # keys and event search reach back 34 days
PAGE = 10_000
FIELDS = ("id", "transaction_id", "customer_id", "event_type", "timestamp", "properties",
          "received_at")  # fmt: skip


class EventsArchived(ApplicationError):
    """Usage asked for before the raw events it needs were archived."""

    def __init__(self, metric: BillableMetric, since: datetime, rollups: bool = False) -> None:
        why = (
            "its rollups were built after older events were archived"
            if rollups
            else "the raw events it needs were archived (manage.py events_archive)"
        )
        super().__init__(
            f"usage of billable metric '{metric.name}' before {since:%Y-%m-%d %H:%M} UTC cannot"
            f" be computed: {why}.",
            code="events_archived",
        )
        self.metric = metric
        self.since = since


def archive_in_force() -> EventArchive | None:
    """The archive run with the latest date among those not restored since
    (usage.archive_restore): the one that sets the horizon; None if none is."""
    return EventArchive.objects.filter(restored_at__isnull=True).order_by("before", "pk").last()


def archived_before() -> datetime | None:
    """The latest date before which raw events are (being) archived and not restored since;
    None if none is."""
    run = archive_in_force()
    return run.before if run is not None else None


def raw_reads_check(reads: Iterable[tuple[BillableMetric, datetime]]) -> None:
    """Raise EventsArchived when raw events of a metric from a start on are asked for and some
    of them were archived. `reads`: (metric, start of a window read from raw events)."""
    reads = list(reads)
    horizon = archived_before() if reads else None
    for metric, start in reads if horizon is not None else ():
        if start < horizon:
            raise EventsArchived(metric, horizon)


def rollups_check(metric: BillableMetric, starting_at: datetime) -> None:
    """Raise EventsArchived when the metric's rollups, built after an archive, lack the start."""
    if metric.rollups_from is not None and starting_at < metric.rollups_from:
        raise EventsArchived(metric, metric.rollups_from, rollups=True)


def usage_kept_from(metric: BillableMetric) -> tuple[datetime | None, str]:
    """From when the metric's usage can be computed since an archive, and why (None: all of
    it). Shown on the metric's page."""
    if metric.rollups_from is not None:
        return metric.rollups_from, "its rollups were built after older events were archived"
    horizon = archived_before()
    if horizon is not None and not (rollable(metric) and metric.rollup_ready):
        return horizon, "it is computed from raw events, and older ones were archived"
    return None, ""


def archive_refusals(before: datetime, now: datetime) -> list[str]:
    """Why raw events before `before` cannot be archived now (empty: they can)."""
    from invoicing.models import Invoice, InvoiceStatus

    refusals = []
    if before > now - MIN_AGE:
        latest = (now - MIN_AGE).date()
        refusals.append(
            f"before: must be on or before {latest} (events of the last 35 days are kept for "
            "deduplication and event search)."
        )
    drafts = Invoice.objects.filter(status=InvoiceStatus.DRAFT, period_start__lt=before)
    if drafts.exists():
        oldest = drafts.order_by("period_start").first()
        refusals.append(
            f"before: {drafts.count()} draft invoice(s) cover periods that begin before it (the "
            f"oldest from {oldest.period_start:%Y-%m-%d}); finalize or void them first."
        )
    waiting = [
        m.name
        for m in BillableMetric.objects.filter(archived_at__isnull=True, rollup_ready=False)
        if rollable(m)
    ]
    if waiting:
        refusals.append(
            f"rollups of {', '.join(sorted(waiting))} are not built yet; archive once they are."
        )
    return refusals


def _pending_floor() -> int | None:
    """The lowest event id still waiting for the rollup job (None: none waits)."""
    ids = [i for batch in PendingRollup.objects.values_list("event_ids", flat=True) for i in batch]
    return min(ids) if ids else None


def _line(row: tuple) -> str:
    event = dict(zip(FIELDS, row, strict=True))
    for name in ("timestamp", "received_at"):
        event[name] = event[name].isoformat().replace("+00:00", "Z")
    return json.dumps(event, separators=(",", ":"), sort_keys=True)


def _page(before: datetime, after: int) -> list[tuple]:
    rows = UsageEvent.objects.filter(id__gt=after, timestamp__lt=before).order_by("id")
    return list(rows.values_list(*FIELDS)[:PAGE])


def events_archive(*, before: datetime, out: Path, now: datetime | None = None) -> EventArchive:
    """Write the events before `before` to `out` and delete them, a page at a time (each page
    written and synced to disk before it is deleted). Events the rollup job has not added yet
    are kept (`left`). Interrupted, a run again with another file writes what is left; an event
    may then be in both files, none is lost."""
    now = now or timezone.now()
    refusals = archive_refusals(before, now)
    if refusals:
        raise ApplicationError(" ".join(refusals), code="archive_refused")
    if out.exists():
        raise ApplicationError(f"out: {out} exists; an archive never overwrites a file.")
    if not out.parent.is_dir():
        raise ApplicationError(f"out: the folder {out.parent} does not exist.")
    last = 0
    with gzip.open(out, "xt", compresslevel=6, encoding="utf-8") as file:
        # From here on, usage before `before` that needs raw events is refused.
        run = EventArchive.objects.create(before=before, path=str(out), started_at=now)
        while rows := _page(before, last):
            last = rows[-1][0]
            floor = _pending_floor()  # read after the page: covers every event in it
            done = [row for row in rows if floor is None or row[0] < floor]
            run.left += len(rows) - len(done)
            if not done:
                continue
            file.write("".join(_line(row) + "\n" for row in done))
            file.flush()
            os.fsync(file.fileno())
            with transaction.atomic():
                UsageEvent.objects.filter(id__in=[row[0] for row in done]).delete()
                run.events += len(done)
                run.save(update_fields=["events", "left"])
    run.finished_at = timezone.now()
    run.save(update_fields=["events", "left", "finished_at"])
    return run


def archive_rows(file: Path) -> Iterable[dict[str, Any]]:
    """The events of an archive file, as written (for audits and tests)."""
    with gzip.open(file, "rt", encoding="utf-8") as lines:
        for line in lines:
            yield json.loads(line)
