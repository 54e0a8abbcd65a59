"""Putting archived raw events back: `manage.py events_restore --run N --file FILE` reads the
file an `events_archive` run wrote and inserts its events with their original ids, so that usage
only raw events could answer (SQL metrics, UNIQUE counts, other group keys) can be computed for
those dates again, e.g. for an audit or a dispute.

The events go back as they were and are not queued for the rollup job: the rollups already
hold them (an archive only takes events the rollup job has added). An event already in the
table (a file restored twice, or two files of an interrupted run) is inserted once. The whole
file is read and checked before anything is written, so a file that is not the run's, or is cut
short, changes nothing. Once a run's events are all back it no longer counts as archived; the
refusals lift when no run that is not restored covers the date (usage.retention), and a metric
whose rollups were built while the events were away has them rebuilt in the background.
"""

import gzip
import json
import zlib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from billing_console.api import ApplicationError
from usage.models import BillableMetric, EventArchive, UsageEvent
from usage.retention import FIELDS, PAGE, archived_before


def _moment(value: Any) -> datetime:
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"'{value}' has no time zone")
    return moment


def _event(line: str, number: int, run: EventArchive) -> UsageEvent:
    """One line of the file as the event it was; ApplicationError naming the line otherwise."""
    try:
        row = json.loads(line)
        if not isinstance(row, dict) or set(row) != set(FIELDS):
            raise ValueError(f"its fields are not {', '.join(FIELDS)}")
        event = UsageEvent(**{name: row[name] for name in FIELDS})
        event.timestamp, event.received_at = _moment(row["timestamp"]), _moment(row["received_at"])
        if not isinstance(row["id"], int) or isinstance(row["id"], bool) or row["id"] < 1:
            raise ValueError("its id is not a positive integer")
    except (ValueError, TypeError) as error:  # JSONDecodeError is a ValueError
        raise ApplicationError(f"file: line {number} is not an archived event ({error}).") from None
    if event.timestamp >= run.before:
        raise ApplicationError(
            f"file: line {number} is an event of {event.timestamp:%Y-%m-%d %H:%M} UTC, not before "
            f"{run.before:%Y-%m-%d %H:%M} UTC: this file is not run {run.pk}'s."
        )
    return event


def _pages(file: Path, run: EventArchive) -> Iterator[list[UsageEvent]]:
    page: list[UsageEvent] = []
    try:
        with gzip.open(file, "rt", encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                page.append(_event(line, number, run))
                if len(page) == PAGE:
                    yield page
                    page = []
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as error:
        message = f"file: {file} cannot be read as gzipped JSON lines ({error})."
        raise ApplicationError(message) from None
    if page:
        yield page


def restore_check(*, run: EventArchive, file: Path) -> int:
    """The number of events in the file, once every line has been read and checked."""
    if not file.is_file():
        raise ApplicationError(f"file: {file} does not exist.")
    count = sum(len(page) for page in _pages(file, run))
    if count < run.events:
        raise ApplicationError(
            f"file: it holds {count} events, run {run.pk} archived {run.events}: it is not the "
            "run's whole file (cut short, or another run's)."
        )
    return count


def events_restore(*, run: EventArchive, file: Path) -> int:
    """Put the run's events back from its file (checked whole first) and mark the run restored;
    the number of events inserted (the others were there already)."""
    restore_check(run=run, file=file)
    inserted = 0
    for page in _pages(file, run):
        with transaction.atomic():
            there = set(UsageEvent.objects.filter(id__in=[e.id for e in page]).values_list(
                "id", flat=True))  # fmt: skip
            new = [event for event in page if event.id not in there]
            UsageEvent.objects.bulk_create(new, ignore_conflicts=True)
            inserted += len(new)
    with transaction.atomic():
        run.restored_at = run.restored_at or timezone.now()
        run.restored_events += inserted
        run.save(update_fields=["restored_at", "restored_events"])
        _rebuild_rollups_built_since()
    return inserted


def _rebuild_rollups_built_since() -> None:
    """Rebuild (in the background, after commit) the rollups of metrics built while events
    were archived that are now back: their rollups lack them, and refuse those dates until
    rebuilt from the table (rollups_backfill, which then records the horizon left, if any)."""
    from usage.tasks import metric_backfill

    horizon = archived_before()
    for metric in BillableMetric.objects.filter(
        rollups_from__isnull=False, archived_at__isnull=True
    ):
        if horizon is None or metric.rollups_from > horizon:
            transaction.on_commit(lambda pk=metric.pk: metric_backfill.delay(pk))
