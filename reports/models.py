"""Custom reports (one CSV per run) and scheduled data exports (incremental CSV or Parquet).

Neither is registered with auditlog: a run's progress is written many times a second by the
build, and neither changes what anybody is billed. Who asked for a run is on the run itself.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from billing_console.encryption import decrypt_secret, encrypt_secret


class RunStatus(models.TextChoices):
    PENDING = "PENDING"  # enqueued, not picked up yet
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


ACTIVE_STATUSES = (RunStatus.PENDING, RunStatus.RUNNING)


class ReportRun(models.Model):
    """One build of one dataset with its filters, into a CSV file under REPORTS_DIR."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    dataset = models.CharField(max_length=40)
    # {"starting_on": RFC 3339, "ending_before": RFC 3339, "customer_id": uuid,
    #  "window_size": "DAY" | "HOUR", "columns": [names] (absent: all),
    #  "include_void": true (absent: void invoices left out)}: as validated by
    #  reports.params.report_params_read.
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.PENDING)
    # Progress in the dataset's units: rows, or breakdown windows for invoice breakdowns.
    progress_done = models.PositiveBigIntegerField(default=0)
    progress_total = models.PositiveBigIntegerField(null=True, blank=True)
    rows_written = models.PositiveBigIntegerField(default=0)
    file_name = models.CharField(max_length=200, blank=True)  # relative to REPORTS_DIR
    file_size = models.PositiveBigIntegerField(null=True, blank=True)  # bytes
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    # Touched with every progress write: a RUNNING run not touched for REPORT_STALE_SECONDS
    # lost its worker and may be taken over by a redelivered task.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.dataset} report {self.public_id}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def percent(self) -> int:
        if self.status == RunStatus.SUCCEEDED:
            return 100
        if not self.progress_total:
            return 0
        return min(100, self.progress_done * 100 // self.progress_total)


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    PARQUET = "parquet", "Parquet"


class Destination(models.TextChoices):
    LOCAL = "local", "Local directory"
    S3 = "s3", "S3-compatible bucket"


class ExportFrequency(models.TextChoices):
    HOURLY = "HOURLY"
    DAILY = "DAILY"
    WEEKLY = "WEEKLY"


class ExportSchedule(models.Model):
    """Writes one dataset, incrementally, to a directory or a bucket every `frequency`.

    Each run exports the rows created or changed in (watermark, run's upper bound] and, once the
    file is written, moves the watermark to that bound: a failed run leaves it where it was, so
    the next run includes its rows."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=120)
    dataset = models.CharField(max_length=40)
    format = models.CharField(max_length=10, choices=ExportFormat.choices)
    frequency = models.CharField(
        max_length=10, choices=ExportFrequency.choices, default=ExportFrequency.DAILY
    )
    destination = models.CharField(max_length=10, choices=Destination.choices)
    # local: a directory under EXPORTS_LOCAL_ROOT (relative; never outside it)
    local_directory = models.CharField(max_length=300, blank=True)
    # s3: blank endpoint/credentials fall back to the EXPORT_S3_* settings
    s3_endpoint_url = models.CharField(max_length=300, blank=True)
    s3_bucket = models.CharField(max_length=200, blank=True)
    s3_prefix = models.CharField(max_length=300, blank=True)
    s3_region = models.CharField(max_length=40, blank=True)
    s3_access_key_id = models.CharField(max_length=200, blank=True)
    # Encrypted at rest (billing_console.encryption), never shown again: a Fernet token (a
    # 200-character key makes ~350), or empty when not set. Read and set it in plain through the
    # `s3_secret_access_key` property.
    s3_secret_access_key_encrypted = models.TextField(blank=True)
    enabled = models.BooleanField(default=True)
    watermark = models.DateTimeField(null=True, blank=True)  # exported through (inclusive)
    next_run_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        # The beat task looks for enabled schedules that are due.
        indexes = [models.Index(fields=["enabled", "next_run_at"], name="export_due")]

    def __str__(self) -> str:
        return self.name

    # Raises SecretUnreadable when the key it was encrypted with is no longer configured.
    @property
    def s3_secret_access_key(self) -> str:
        token = self.s3_secret_access_key_encrypted
        return decrypt_secret(token) if token else ""

    @s3_secret_access_key.setter
    def s3_secret_access_key(self, plain: str) -> None:
        self.s3_secret_access_key_encrypted = encrypt_secret(plain) if plain else ""

    @property
    def has_s3_secret_access_key(self) -> bool:
        return bool(self.s3_secret_access_key_encrypted)  # without decrypting it


class ExportRun(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    schedule = models.ForeignKey(ExportSchedule, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING)
    watermark_from = models.DateTimeField(null=True, blank=True)  # exclusive; null = from the start
    watermark_to = models.DateTimeField()  # inclusive
    rows_written = models.PositiveBigIntegerField(default=0)
    location = models.CharField(max_length=600, blank=True)  # file path or s3://bucket/key
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            # At most one run of a schedule in flight: the beat may enqueue it twice.
            models.UniqueConstraint(
                fields=["schedule"], condition=Q(status="RUNNING"), name="export_one_running"
            )
        ]
