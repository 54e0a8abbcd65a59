"""Scheduled data exports: the report datasets, incrementally, as CSV or Parquet, to a local
directory or an S3-compatible bucket.

A run exports the rows created or changed in (watermark, upper bound], where the upper bound is
the run's start less EXPORT_WATERMARK_LAG_SECONDS. The lag is there because a row is stamped
when its transaction writes it but seen only once that transaction commits: a bound of "now"
could pass over a row stamped just before it and committed just after. Each run writes one new
file (none when nothing changed), so a consumer loads every file in order, and a row that
changed again appears again (upsert by its id).
"""

import logging
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from billing_console.api import ApplicationError
from billing_console.encryption import SecretUnreadable
from reports.datasets import DATASETS, Filters
from reports.destinations import STORED_SECRET_UNREADABLE, local_directory
from reports.models import (
    Destination,
    ExportFormat,
    ExportFrequency,
    ExportRun,
    ExportSchedule,
    RunStatus,
)
from reports.params import dataset_get
from reports.services import reports_dir
from reports.writers import open_writer

logger = logging.getLogger(__name__)

FREQUENCY_STEP = {
    ExportFrequency.HOURLY: timedelta(hours=1),
    ExportFrequency.DAILY: timedelta(days=1),
    ExportFrequency.WEEKLY: timedelta(days=7),
}
# What the console's form shows back; the secret access key never is.
EDITABLE_FIELDS = (
    "name", "format", "frequency", "destination", "local_directory", "s3_endpoint_url",
    "s3_bucket", "s3_prefix", "s3_region", "s3_access_key_id", "enabled",
)  # fmt: skip
# The secret: set in plain through the model's property, stored encrypted in its column.
SECRET_FIELD, SECRET_COLUMN = "s3_secret_access_key", "s3_secret_access_key_encrypted"
SECRET_MAX_LENGTH = 200


def _choice(data: dict[str, Any], key: str, choices: list[str]) -> str:
    value = str(data.get(key) or "")
    if value not in choices:
        raise ApplicationError(f"{key}: must be one of {', '.join(choices)}.")
    return value


def _clean(data: dict[str, Any], existing: ExportSchedule | None = None) -> dict[str, Any]:
    """The schedule's editable fields from `data`; a blank secret keeps the stored one."""
    name = str(data.get("name") or "").strip()
    if not name:
        raise ApplicationError("name: an export needs a name.")
    fields: dict[str, Any] = {
        "name": name[:120],
        "format": _choice(data, "format", ExportFormat.values),
        "frequency": _choice(data, "frequency", ExportFrequency.values),
        "destination": _choice(data, "destination", Destination.values),
        "enabled": bool(data.get("enabled", True)),
    }
    for key in ("local_directory", "s3_endpoint_url", "s3_bucket", "s3_prefix", "s3_region",
                "s3_access_key_id"):  # fmt: skip
        fields[key] = str(data.get(key) or "").strip()
    if fields["destination"] == Destination.LOCAL:
        local_directory(fields["local_directory"])  # raises when it would leave the root
    else:
        if not fields["s3_bucket"]:
            raise ApplicationError("s3_bucket: is required for an S3 destination.")
        endpoint = fields["s3_endpoint_url"]
        if endpoint and not endpoint.startswith(("https://", "http://")):
            raise ApplicationError("s3_endpoint_url: must be an http(s) URL.")
    secret = str(data.get(SECRET_FIELD) or "").strip()
    if len(secret) > SECRET_MAX_LENGTH:
        raise ApplicationError(f"{SECRET_FIELD}: at most {SECRET_MAX_LENGTH} characters.")
    if secret or existing is None:
        fields[SECRET_FIELD] = secret
    elif fields["destination"] == Destination.S3 and not stored_secret_readable(existing):
        raise ApplicationError(STORED_SECRET_UNREADABLE)  # kept blank: it would fail each run
    return fields


def stored_secret_readable(schedule: ExportSchedule) -> bool:
    """False when the stored secret access key can no longer be decrypted (a key rotated)."""
    try:
        schedule.s3_secret_access_key  # noqa: B018 - decrypted to see whether it can be
    except SecretUnreadable:
        return False
    return True


@transaction.atomic
def export_schedule_create(
    *,
    dataset: str,
    data: dict[str, Any],
    created_by: AbstractBaseUser | None = None,
    now: datetime | None = None,
) -> ExportSchedule:
    chosen = dataset_get(dataset)
    schedule = ExportSchedule(
        dataset=chosen.name,
        next_run_at=now or timezone.now(),  # first run at the next beat
        created_by=created_by,
        **_clean(data),
    )
    schedule.full_clean()
    schedule.save()
    return schedule


@transaction.atomic
def export_schedule_update(*, schedule: ExportSchedule, data: dict[str, Any]) -> ExportSchedule:
    """Change how and where it exports. The dataset and the watermark stay: changing what is
    exported would need a fresh schedule, starting from the beginning."""
    for key, value in _clean(data, existing=schedule).items():
        setattr(schedule, key, value)  # a blank secret is not among them: the stored one stays
    schedule.full_clean()
    schedule.save(update_fields=[*EDITABLE_FIELDS, SECRET_COLUMN, "updated_at"])
    return schedule


def schedules_due(*, now: datetime) -> list[int]:
    return list(
        ExportSchedule.objects.filter(enabled=True, next_run_at__lte=now).values_list(
            "pk", flat=True
        )
    )


@transaction.atomic
def _claim(schedule_id: int, now: datetime, force: bool) -> ExportRun | None:
    schedule = ExportSchedule.objects.select_for_update().filter(pk=schedule_id).first()
    if schedule is None or not (force or (schedule.enabled and schedule.next_run_at <= now)):
        return None
    running = schedule.runs.filter(status=RunStatus.RUNNING).first()
    if running is not None:
        if running.started_at > timezone.now() - timedelta(seconds=settings.EXPORT_STALE_SECONDS):
            return None  # another worker is on it
        running.status, running.finished_at = RunStatus.FAILED, timezone.now()
        running.error = "Abandoned: the worker running it stopped."
        running.save(update_fields=["status", "finished_at", "error"])
    upper = now - timedelta(seconds=settings.EXPORT_WATERMARK_LAG_SECONDS)
    if schedule.watermark is not None:
        upper = max(upper, schedule.watermark)
    run = ExportRun.objects.create(
        schedule=schedule, watermark_from=schedule.watermark, watermark_to=upper
    )
    if not force:
        schedule.next_run_at = now + FREQUENCY_STEP[schedule.frequency]
        schedule.save(update_fields=["next_run_at", "updated_at"])
    return run


def _write(run: ExportRun, path: Path) -> int:
    schedule = run.schedule
    dataset = DATASETS[schedule.dataset]
    filters = Filters(
        changed_after=run.watermark_from, changed_through=run.watermark_to, as_of=run.watermark_to
    )
    rows = 0
    writer = open_writer(schedule.format, path, dataset.columns)
    try:
        for batch in dataset.batches(filters, settings.REPORT_CHUNK_SIZE):
            writer.write(batch.rows)
            rows += len(batch.rows)
    finally:
        writer.close()
    return rows


def _key(run: ExportRun) -> str:
    name, stamp = run.schedule.dataset, run.watermark_to.strftime("%Y%m%dT%H%M%S")
    return f"{name}/{name}-{stamp}Z-{str(run.public_id)[:8]}.{run.schedule.format}"


@transaction.atomic
def _finish(run: ExportRun, rows: int, location: str) -> None:
    ExportRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
        status=RunStatus.SUCCEEDED, rows_written=rows, location=location,
        finished_at=timezone.now(),
    )  # fmt: skip
    # Only from where this run started: a watermark never moves backwards.
    unchanged = Q(watermark=run.watermark_from) if run.watermark_from else Q(watermark__isnull=True)
    ExportSchedule.objects.filter(unchanged, pk=run.schedule_id).update(watermark=run.watermark_to)


def export_run(
    *, schedule_id: int, now: datetime | None = None, force: bool = False
) -> ExportRun | None:
    """Run the schedule if it is due (or `force`); None when not due or already running."""
    from reports.destinations import target_for

    run = _claim(schedule_id, now or timezone.now(), force)
    if run is None:
        return None
    handle, name = tempfile.mkstemp(prefix="export-", suffix=f".{run.schedule.format}",
                                    dir=reports_dir())  # fmt: skip
    path = Path(name)
    try:
        with open(handle, "wb"):
            pass  # the writer reopens it by name
        target = target_for(run.schedule)  # before writing: a bad secret fails the run at once
        rows = _write(run, path)
        location = target.put(path, _key(run)) if rows else ""
    except Exception as err:
        logger.exception("Export run %s failed", run.public_id)
        message = (
            err.message if isinstance(err, ApplicationError) else f"{type(err).__name__}: {err}"
        )
        ExportRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, error=message, finished_at=timezone.now()
        )
    else:
        _finish(run, rows, location)
    finally:
        path.unlink(missing_ok=True)
    run.refresh_from_db()
    return run
