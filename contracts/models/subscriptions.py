"""Subscriptions and their quantity changes."""

import uuid

from django.db import models
from django.db.models import Q

from billing_console.fields import RateField
from contracts.models.contract import Contract, Frequency


class Subscription(models.Model):
    """A subscription (fixed recurring fee, or seats) on a contract: quantity x the rate card's
    SUBSCRIPTION rate for `product` every billing period of `billing_frequency` anchored at
    `billing_anchor`. The quantity over time is the fold of its SubscriptionQuantityChange rows."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="subscriptions")
    product = models.ForeignKey("pricing.Product", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    collection_schedule = models.CharField(max_length=8)  # ADVANCE | ARREARS
    billing_frequency = models.CharField(max_length=10, choices=Frequency.choices)
    billing_anchor = models.DateTimeField()
    invoice_placement = models.CharField(max_length=24, default="ON_USAGE_INVOICE")
    is_prorated = models.BooleanField(default=True)
    # BILL_IMMEDIATELY (ADVANCE only) | BILL_ON_NEXT_COLLECTION_DATE
    invoice_behavior = models.CharField(max_length=32)
    proration_rounding = models.JSONField(
        null=True, blank=True
    )  # {decimal_places, rounding_method}
    quantity_management_mode = models.CharField(max_length=16, default="QUANTITY_ONLY")
    seat_group_key = models.CharField(max_length=200, blank=True)  # SEAT_BASED only
    starting_at = models.DateTimeField()
    ending_before = models.DateTimeField(null=True, blank=True)  # null: the contract's end
    custom_fields = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starting_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ending_before__isnull=True)
                | Q(ending_before__gt=models.F("starting_at")),
                name="subscription_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.name or f"Subscription {self.public_id}"


class QuantityChangeType(models.TextChoices):
    SET = "SET"  # quantity becomes `quantity`
    DELTA = "DELTA"  # quantity changes by `quantity` (signed)
    ADD_SEATS = "ADD_SEATS"  # `seat_ids` assigned (filling unassigned seats first)
    REMOVE_SEATS = "REMOVE_SEATS"  # `seat_ids` unassigned and removed
    ADD_UNASSIGNED = "ADD_UNASSIGNED"  # `quantity` more unassigned seats
    REMOVE_UNASSIGNED = "REMOVE_UNASSIGNED"  # up to `quantity` fewer unassigned seats


class SubscriptionQuantityChange(models.Model):
    """Append-only: one change of a subscription's quantity (or seats) from `starting_at`.
    Changes apply in (starting_at, pk) order: in effective-date order, then the order sent."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="quantity_changes"
    )
    starting_at = models.DateTimeField()
    type = models.CharField(max_length=20, choices=QuantityChangeType.choices)
    quantity = RateField(null=True, blank=True)
    seat_ids = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starting_at", "pk"]
