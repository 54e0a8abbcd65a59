"""Overrides, scheduled charges and threshold charges."""

import uuid

from django.db import models
from django.db.models import Q

from billing_console.fields import RateField
from contracts.models.commits import Commit
from contracts.models.contract import Contract


class OverrideType(models.TextChoices):
    OVERWRITE = "OVERWRITE"
    MULTIPLIER = "MULTIPLIER"
    TIERED = "TIERED"


class Override(models.Model):
    """A contract-specific price: a new rate, a multiplier, or tiered multipliers, scoped by
    product, tags or specifiers (product + pricing/presentation group values)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="overrides")
    type = models.CharField(max_length=10, choices=OverrideType.choices)
    starting_at = models.DateTimeField()
    ending_before = models.DateTimeField(null=True, blank=True)
    product = models.ForeignKey(
        "pricing.Product", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    applicable_product_tags = models.JSONField(default=list, blank=True)
    override_specifiers = models.JSONField(default=list, blank=True)
    multiplier = RateField(null=True, blank=True)
    overwrite_rate = models.JSONField(null=True, blank=True)  # {rate_type, price, tiers, ...}
    tiers = models.JSONField(null=True, blank=True)  # [{size?, multiplier}]
    priority = RateField(null=True, blank=True)
    entitled = models.BooleanField(null=True, blank=True)
    is_commit_specific = models.BooleanField(default=False)
    target = models.CharField(max_length=12, blank=True)  # COMMIT_RATE | LIST_RATE
    created_at = models.DateTimeField(auto_now_add=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starting_at", "pk"]


class ScheduledCharge(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="scheduled_charges"
    )
    product = models.ForeignKey("pricing.Product", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    custom_fields = models.JSONField(default=dict, blank=True)
    netsuite_sales_order_id = models.CharField(max_length=255, blank=True, default="")  # as sent
    created_at = models.DateTimeField(auto_now_add=True)
    archived_at = models.DateTimeField(null=True, blank=True)


class ScheduledChargeItem(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    charge = models.ForeignKey(ScheduledCharge, on_delete=models.CASCADE, related_name="items")
    timestamp = models.DateTimeField()
    amount = RateField()
    quantity = RateField(default=1)
    unit_price = RateField()

    class Meta:
        ordering = ["timestamp", "pk"]


class ThresholdKind(models.TextChoices):
    SPEND = "SPEND"  # spend_threshold_configuration: bill when outstanding spend reaches X
    PREPAID_BALANCE = "PREPAID_BALANCE"  # prepaid_balance_threshold_configuration: recharge


class ThresholdChargeStatus(models.TextChoices):
    PENDING_PAYMENT = "PENDING_PAYMENT"  # gated: invoiced, commit not usable until paid
    RELEASED = "RELEASED"  # the commit is usable (paid, or not gated)
    FAILED = "FAILED"  # payment failed: commit archived, invoice voided, config disabled


class ThresholdCharge(models.Model):
    """One crossing of a contract's spend or prepaid balance threshold: the commit granted and
    the invoice issued for it. `sequence` numbers the crossings per contract and kind, so a
    re-evaluation (or a concurrent one) can never charge the same crossing twice."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)  # workflow id
    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, related_name="threshold_charges"
    )
    kind = models.CharField(max_length=16, choices=ThresholdKind.choices)
    sequence = models.PositiveIntegerField()  # 1, 2, ... per contract and kind
    status = models.CharField(max_length=16, choices=ThresholdChargeStatus.choices)
    payment_gate_type = models.CharField(max_length=10)  # NONE | STRIPE | EXTERNAL
    observed = RateField()  # spend reached, or balance left, when crossed (credit type unit)
    threshold_amount = RateField()
    amount = RateField()  # granted on the commit, in the credit type's unit (USD cents)
    invoice_amount = RateField()  # billed for it (after any discount), rounded
    commit = models.OneToOneField(
        Commit, null=True, blank=True, on_delete=models.PROTECT, related_name="threshold_charge"
    )
    # The invoice billing the commit (invoicing sits above contracts, so a plain UUID).
    invoice_public_id = models.UUIDField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "kind", "sequence"], name="threshold_charge_once_per_crossing"
            ),
            # While a gated charge awaits payment no further charge of that kind is made.
            models.UniqueConstraint(
                fields=["contract", "kind"],
                condition=Q(status="PENDING_PAYMENT"),
                name="threshold_charge_one_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.sequence} on {self.contract_id}"
