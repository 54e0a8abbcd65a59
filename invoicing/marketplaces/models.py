"""Hourly marketplace metering records, and the per-listing settings the metering APIs need
beyond the wire's billing provider configuration (imported by invoicing.models so Django sees
them).

One record per customer configuration, marketplace dimension and UTC hour: the unique
constraint is what makes a rerun of an hour (a retried task, two workers) create nothing new,
and the stored quantity is what every resend carries, so the marketplace sees the same record
and deduplicates it (AWS: same customer, dimension, hour and quantity; Azure: 409/Duplicate;
GCP: the same operationId).
"""

import uuid

from django.db import models

from billing_console.fields import RateField


class MeterStatus(models.TextChoices):
    PENDING = "PENDING"  # recorded, not yet accepted; sent by the next run
    SENT = "SENT"  # accepted by the marketplace (a duplicate of an accepted one counts)
    FAILED = "FAILED"  # refused or not processed; retried with backoff (next_attempt_at)
    CARRIED = "CARRIED"  # under one whole unit so far: nothing sent, carried to later hours


class MarketplaceMeterRecord(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    configuration = models.ForeignKey(
        "customers.CustomerBillingProviderConfiguration",
        on_delete=models.PROTECT,
        related_name="meter_records",
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="meter_records"
    )
    contract = models.ForeignKey(
        "contracts.Contract", on_delete=models.PROTECT, related_name="meter_records"
    )
    billing_provider = models.CharField(max_length=24)  # aws_marketplace, azure_..., gcp_...
    dimension = models.CharField(max_length=200)  # AWS dimension, Azure dimension, GCP metric
    hour = models.DateTimeField()  # UTC, on the hour: the usage of [hour, hour + 1h)
    usage = RateField()  # the metric's exact value for the hour, in the product's units
    # Whole units sent: the running total rounded HALF_UP less what earlier hours sent, so
    # fractions carry into later hours instead of being lost (see marketplaces/hourly.py).
    quantity = models.BigIntegerField()
    status = models.CharField(max_length=8, choices=MeterStatus.choices, default="PENDING")
    external_id = models.CharField(max_length=255, blank=True)  # the provider's record id
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)  # due for a (re)send
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["hour", "dimension", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["configuration", "dimension", "hour"], name="meter_record_hour_unique"
            )
        ]
        indexes = [
            # The sender's "due" scan: unsent rows by their next attempt.
            models.Index(fields=["status", "next_attempt_at"], name="meter_record_due"),
            # The invoice page: a customer's records within a period.
            models.Index(fields=["customer", "hour"], name="meter_record_customer_hour"),
        ]

    def __str__(self) -> str:
        return f"{self.dimension} {self.hour:%Y-%m-%d %H:00} x{self.quantity}"


class MarketplaceMeteringCursor(models.Model):
    """How far one customer configuration's hours have been recorded: each hour is evaluated
    once (an hour without usage too), and its row is the lock two runs of one hour take."""

    configuration = models.OneToOneField(
        "customers.CustomerBillingProviderConfiguration",
        on_delete=models.CASCADE,
        related_name="metering_cursor",
    )
    recorded_through = models.DateTimeField()  # exclusive end of the hours recorded, UTC
    # Why the hour at recorded_through cannot be recorded, and since when (the metering page
    # shows it; an hour older than the lookback is no longer sent). Cleared once it is.
    error = models.TextField(blank=True)
    error_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"metered through {self.recorded_through:%Y-%m-%d %H:00}"


class MarketplaceListingSettings(models.Model):
    """What a marketplace listing's metering needs that the wire's configuration does not
    carry: Azure's plan id, GCP's service name and service account key (encrypted at rest,
    billing_console.encryption)."""

    provider = models.OneToOneField(
        "customers.ConfiguredBillingProvider",
        on_delete=models.CASCADE,
        related_name="metering_settings",
    )
    azure_plan_id = models.CharField(max_length=100, blank=True)
    gcp_service_name = models.CharField(max_length=253, blank=True)
    gcp_service_account_key = models.TextField(blank=True)  # Fernet token of the JSON key
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"metering settings of {self.provider}"
