import uuid

from auditlog.registry import auditlog
from django.db import models

from billing_console.fields import RateField


class AggregationType(models.TextChoices):
    COUNT = "COUNT"
    SUM = "SUM"
    MAX = "MAX"
    UNIQUE = "UNIQUE"
    LATEST = "LATEST"


class BillableMetricQuerySet(models.QuerySet):
    def active(self) -> "BillableMetricQuerySet":
        return self.filter(archived_at__isnull=True)


class BillableMetric(models.Model):
    """Which events count and how they aggregate (Metronome's billable metric).

    Either the structured form (event_type_filter, property_filters, aggregation_type/key,
    group_keys) or `sql`: a validated SELECT over the caller's own events.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    # {"in_values": [...], "not_in_values": [...]} on the event's event_type
    event_type_filter = models.JSONField(default=dict, blank=True)
    # [{"name": "region", "exists": true, "in_values": [...], "not_in_values": [...]}]
    property_filters = models.JSONField(default=list, blank=True)
    aggregation_type = models.CharField(max_length=10, choices=AggregationType.choices, blank=True)
    aggregation_key = models.CharField(max_length=200, blank=True)  # property aggregated
    group_keys = models.JSONField(default=list, blank=True)  # [["region"], ["region", "model"]]
    sql = models.TextField(blank=True)
    # The last failure of the SQL metric on some customer's events, and when (the statement it
    # stopped says whose). Shown on the metric's page.
    error = models.TextField(blank=True)
    error_at = models.DateTimeField(null=True, blank=True)
    custom_fields = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    # True once MetricRollup holds every event processed before it (see usage.rollups).
    rollup_ready = models.BooleanField(default=False)
    # Set when the rollups were built after raw events were archived (usage.retention): they
    # hold nothing before this, so usage before it cannot be computed and is refused.
    rollups_from = models.DateTimeField(null=True, blank=True)

    objects = BillableMetricQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UsageEvent(models.Model):
    """One accepted usage event, append-only. `customer_id` is what the sender wrote (a customer
    id or an ingest alias): events for customers not known yet are kept and count as soon as
    an alias matches."""

    id = models.BigAutoField(primary_key=True)
    transaction_id = models.CharField(max_length=128)
    customer_id = models.CharField(max_length=255)
    event_type = models.CharField(max_length=255)
    timestamp = models.DateTimeField()
    properties = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["customer_id", "timestamp"], name="usage_event_customer_time"),
        ]


class EventKey(models.Model):
    """The dedupe key of every event accepted in the last 34 days: inserted with ON CONFLICT DO
    NOTHING in the same transaction as the event, so a transaction id is stored once even when
    two copies race on two connections. Keys past the window are pruned. `key` is a digest of
    the transaction id (usage.event_keys); `event_id` the event stored with it, through which
    events of the window are found by transaction id. `received_at` has no index: only the
    daily prune reads by it, in one pass over the table, and every ingested event would pay
    for the index entry (about 5% of the ingest statement's cost in PostgreSQL). On PostgreSQL
    the daily rotation moves the keys into FrozenEventKey, so this table holds the keys
    received since (usage.key_generations)."""

    key = models.UUIDField(primary_key=True)
    event_id = models.BigIntegerField()
    received_at = models.DateTimeField()


class FrozenEventKey(models.Model):
    """Dedupe keys of earlier days, moved out of EventKey by the daily rotation
    (usage.key_generations): one generation per rotation, never written again, and dropped whole
    once its newest key is past the window. On PostgreSQL the table is partitioned by
    generation, so ingest looks a key up only in the generations the process's key filter does
    not cover (usage.key_filter), and in the others only for a key the filter flags: the
    index every new key is inserted into stays the size of one day's keys."""

    pk = models.CompositePrimaryKey("key", "generation")
    key = models.UUIDField()
    generation = models.IntegerField()
    event_id = models.BigIntegerField()
    received_at = models.DateTimeField()


class EventKeyGeneration(models.Model):
    """One rotation: its keys (FrozenEventKey.generation), their count and the newest one's
    receipt time, which says when the generation leaves the window."""

    generation = models.AutoField(primary_key=True)
    frozen_at = models.DateTimeField()
    keys = models.BigIntegerField()
    newest_received_at = models.DateTimeField()


class EventKeyFilter(models.Model):
    """The Bloom filter of the frozen keys (one row, pk 1): every key of the generations up to
    `covered` is in `bits` (usage.key_filter)."""

    covered = models.IntegerField()
    bits = models.BinaryField()
    keys = models.BigIntegerField()
    built_at = models.DateTimeField()


# rollup_ready is flipped by the backfill task once the rollups catch up: bookkeeping.
auditlog.register(
    BillableMetric, exclude_fields=["error", "error_at", "rollup_ready", "rollups_from"]
)


class EventArchive(models.Model):
    """One run of `manage.py events_archive`: the raw events with timestamps before `before`
    written to `path` (gzipped JSON lines) and deleted from the events table. From the moment a
    run starts, usage before `before` that only raw events could answer is refused
    (usage.retention); rollups, invoices and ledgers are kept."""

    before = models.DateTimeField()
    path = models.TextField()
    events = models.BigIntegerField(default=0)  # written and deleted so far
    left = models.BigIntegerField(default=0)  # before `before`, not yet rolled up: kept
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    # `manage.py events_restore` put the file's events back: no longer counts as archived.
    restored_at = models.DateTimeField(null=True, blank=True)
    restored_events = models.BigIntegerField(default=0)  # inserted (the others were there)

    class Meta:
        ordering = ["started_at", "pk"]


class PendingRollup(models.Model):
    """The ids of one ingest call's accepted events, written in the ingest transaction and
    consumed (deleted) by the rollup job in the transaction that adds them to the rollups: every
    event is rolled up exactly once, and readers know which events the rollups lack."""

    id = models.BigAutoField(primary_key=True)
    event_ids = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)


class RollupState(models.Model):
    """A single row locked by backfills (exclusively) and by rollup jobs (shared on PostgreSQL,
    where several advance at once), so a backfill never interleaves with a job."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)


class RollupCells(models.Model):
    """What a rollup row holds for one event customer_id (id or alias as sent) and one
    combination of the metric's group values over its span of time."""

    customer_id = models.CharField(max_length=255)
    group_hash = models.CharField(max_length=40)
    group_values = models.JSONField(default=dict, blank=True)
    count = models.BigIntegerField(default=0)
    total = RateField(default=0)
    maximum = RateField(null=True, blank=True)
    latest_at = models.DateTimeField(null=True, blank=True)
    latest_event_id = models.BigIntegerField(null=True, blank=True)
    latest_value = RateField(null=True, blank=True)

    class Meta:
        abstract = True


class MetricRollup(RollupCells):
    """Hourly pre-aggregate of one billable metric (COUNT, SUM, MAX or LATEST).

    The rollup job rewrites the current hour's rows every few seconds, so the rows carry only
    the index the job and every reader need, the unique one (metric, customer, hour, group):
    it serves lookups by metric, by metric and customer, and by a range of hours. On PostgreSQL
    both rollup tables leave half of each page free (migration 0014): an update that changes no
    indexed column and fits its page writes no index entry (a HOT update), and the page's older
    versions are pruned on the next visit, without waiting for a vacuum."""

    # Indexed by the unique constraint, whose first column it is.
    metric = models.ForeignKey(
        BillableMetric, on_delete=models.CASCADE, related_name="rollups", db_index=False
    )
    hour = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "customer_id", "hour", "group_hash"], name="metric_rollup_unique"
            )
        ]


class MetricRollupDay(RollupCells):
    """The same per UTC day, kept beside the hourly rows in the same transaction: a read of
    whole days (a month's statement) takes up to 24 times fewer rows."""

    metric = models.ForeignKey(  # indexed by the unique constraint, as the hourly rows
        BillableMetric, on_delete=models.CASCADE, related_name="daily_rollups", db_index=False
    )
    day = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "customer_id", "day", "group_hash"],
                name="metric_rollup_day_unique",
            )
        ]
