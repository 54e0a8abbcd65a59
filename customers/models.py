import uuid

from auditlog.registry import auditlog
from django.db import models
from django.db.models import Q

NAME_MAX_LENGTH = 160  # Metronome truncates longer names


class CustomerQuerySet(models.QuerySet):
    def active(self) -> "CustomerQuerySet":
        return self.filter(archived_at__isnull=True)


class Customer(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    # Deprecated on Metronome's wire, kept for compatibility: the first alias given at creation.
    external_id = models.CharField(max_length=255, blank=True)
    custom_fields = models.JSONField(default=dict, blank=True)
    salesforce_account_id = models.CharField(max_length=255, blank=True)
    leave_stripe_invoices_in_draft = models.BooleanField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class IngestAlias(models.Model):
    """An id by which usage events may name the customer. Unique among active customers."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="aliases")
    alias = models.CharField(max_length=255)
    position = models.PositiveSmallIntegerField(default=0)  # order as given on the wire
    active = models.BooleanField(default=True)  # false once the customer is archived
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            # The ingest path resolves an alias to exactly one live customer.
            models.UniqueConstraint(
                fields=["alias"], condition=Q(active=True), name="ingest_alias_unique_active"
            )
        ]
        indexes = [models.Index(fields=["alias"], name="ingest_alias_lookup")]

    def __str__(self) -> str:
        return self.alias


auditlog.register(Customer)
auditlog.register(IngestAlias)
