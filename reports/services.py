"""Report runs: asked for in the console, built by a Celery task into a CSV under REPORTS_DIR.
Amounts come twice: as on the API (USD cents) and in major units, headed "total (USD)".

The build streams: rows come from the dataset one batch at a time and go straight to the file,
and progress is written to the run as it goes (outside any transaction, so the console's
polling sees it). A task delivered twice builds once; a run whose worker died is taken over.
"""

import logging
import os
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import DatabaseError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from billing_console.api import ApplicationError
from billing_console.db_budget import time_budget
from reports.datasets import DATASETS
from reports.datasets.major_units import report_header
from reports.models import ReportRun, RunStatus
from reports.params import column_indexes, filters_from_params, report_params_read
from reports.writers import CsvWriter

logger = logging.getLogger(__name__)

# Progress is written at most this often (seconds): enough for a progress bar polled each second.
PROGRESS_INTERVAL = 0.2


def reports_dir() -> Path:
    path = Path(settings.REPORTS_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def report_file_path(run: ReportRun) -> Path | None:
    return reports_dir() / run.file_name if run.file_name else None


@transaction.atomic
def report_run_start(
    *, dataset: str, params: dict[str, Any], requested_by: AbstractBaseUser | None = None
) -> ReportRun:
    from reports.tasks import report_build

    chosen, clean = report_params_read(dataset, params)
    run = ReportRun.objects.create(dataset=chosen.name, params=clean, requested_by=requested_by)
    report_build.delay_on_commit(run.pk)
    return run


@transaction.atomic
def _claim(run_id: int) -> ReportRun | None:
    """Mark the run RUNNING for this attempt, unless it is finished or another worker is alive
    on it (its heartbeat is recent)."""
    run = ReportRun.objects.select_for_update().filter(pk=run_id).first()
    if run is None or run.status in (RunStatus.SUCCEEDED, RunStatus.FAILED):
        return None
    now = timezone.now()
    stale = now - timedelta(seconds=settings.REPORT_STALE_SECONDS)
    if run.status == RunStatus.RUNNING and run.heartbeat_at and run.heartbeat_at > stale:
        return None
    run.status = RunStatus.RUNNING
    run.attempts += 1
    run.started_at = run.heartbeat_at = now
    run.progress_done = run.rows_written = 0
    run.error = ""
    run.save(
        update_fields=[
            "status", "attempts", "started_at", "heartbeat_at", "progress_done", "rows_written",
            "error",
        ]
    )  # fmt: skip
    return run


def _mine(run: ReportRun) -> QuerySet[ReportRun]:
    """This attempt of the run: a takeover bumps `attempts`, and the old attempt stops."""
    return ReportRun.objects.filter(pk=run.pk, attempts=run.attempts, status=RunStatus.RUNNING)


def _build(run: ReportRun) -> tuple[int, int, Path]:
    """Write the CSV; returns (progress units done, rows written, the finished file)."""
    dataset = DATASETS[run.dataset]
    filters = filters_from_params(run.params)
    total = dataset.total(filters)
    _mine(run).update(progress_total=total, heartbeat_at=timezone.now())
    final = reports_dir() / f"{run.public_id}.csv"
    partial = final.with_suffix(f".{run.attempts}.partial")
    indexes = column_indexes(dataset, run.params)  # the columns chosen, in the dataset's order
    header = report_header(dataset)
    writer = CsvWriter(
        partial, tuple(dataset.columns[i] for i in indexes), header=[header[i] for i in indexes]
    )
    done = rows = 0
    last_write = time.monotonic()
    delay = settings.REPORT_CHUNK_DELAY_MS / 1000
    try:
        batches = dataset.batches(filters, settings.REPORT_CHUNK_SIZE)
        for batch in _within_budget(batches, settings.REPORT_QUERY_TIMEOUT_MS):
            writer.write([tuple(row[i] for i in indexes) for row in batch.rows])
            done, rows = done + batch.units, rows + len(batch.rows)
            if time.monotonic() - last_write >= PROGRESS_INTERVAL:
                updated = _mine(run).update(
                    progress_done=min(done, total), rows_written=rows, heartbeat_at=timezone.now()
                )
                if not updated:  # taken over by another attempt: stop writing
                    raise ApplicationError("the run was taken over by another worker.", "conflict")
                last_write = time.monotonic()
            if delay:
                time.sleep(delay)  # REPORT_CHUNK_DELAY_MS: lets a demo or a test watch progress
    finally:
        writer.close()
    os.replace(partial, final)
    return done, rows, final


def _within_budget(batches: Iterator[Any], milliseconds: int) -> Iterator[Any]:
    """The batches, each one's queries within the time budget (a query over it fails the run
    with a clear error instead of holding the database)."""
    batches = iter(batches)
    while True:
        try:
            with time_budget(milliseconds):
                batch = next(batches, None)
        except DatabaseError as err:
            logger.warning("report query over budget or failed: %s", err)
            raise ApplicationError(
                f"a query of this report failed or ran over {milliseconds} ms "
                "(REPORT_QUERY_TIMEOUT_MS); narrow its filters and run it again."
            ) from err
        if batch is None:
            return
        yield batch


def report_run_build(*, run_id: int) -> ReportRun | None:
    """Build the run's file once. Safe to call again: a finished run is left as it is."""
    run = _claim(run_id)
    if run is None:
        return ReportRun.objects.filter(pk=run_id).first()
    try:
        done, rows, path = _build(run)
    except Exception as err:
        if isinstance(err, ApplicationError):
            message = err.message
        else:
            logger.exception("Report run %s failed", run.public_id)
            message = f"{type(err).__name__}: {err}"
        for leftover in reports_dir().glob(f"{run.public_id}.{run.attempts}.partial"):
            leftover.unlink(missing_ok=True)
        _mine(run).update(status=RunStatus.FAILED, error=message, finished_at=timezone.now())
    else:
        _mine(run).update(
            status=RunStatus.SUCCEEDED,
            progress_done=done,
            progress_total=done,
            rows_written=rows,
            file_name=path.name,
            file_size=path.stat().st_size,
            heartbeat_at=timezone.now(),
            finished_at=timezone.now(),
        )
    run.refresh_from_db()
    return run
