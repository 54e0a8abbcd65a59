import uuid

from auditlog.registry import auditlog
from django.db import models


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
    custom_fields = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    archived_at = models.DateTimeField(null=True, blank=True)

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
            models.Index(fields=["transaction_id"], name="usage_event_transaction"),
        ]


class EventKey(models.Model):
    """The dedupe key of every event accepted in the last 34 days: inserted with ON CONFLICT DO
    NOTHING in the same transaction as the event, so a transaction id is stored once even when
    two copies race on two connections. Keys past the window are pruned."""

    transaction_id = models.CharField(max_length=128, primary_key=True)
    received_at = models.DateTimeField(db_index=True)


auditlog.register(BillableMetric)
