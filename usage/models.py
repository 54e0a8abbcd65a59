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


auditlog.register(BillableMetric)
