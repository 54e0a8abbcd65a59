"""Invoices and their lines. A finalized invoice is immutable; corrections void and regenerate.

Amounts are Decimal in the invoice's credit type unit (USD cents by default, as on the wire).
`total` of a line is rounded once (HALF_UP, whole units of the credit type); the unrounded
amount is kept beside it for audits and re-rating checks.
"""

import uuid

from auditlog.registry import auditlog
from django.db import models
from django.db.models import Q

from billing_console.fields import AmountField, RateField


class InvoiceType(models.TextChoices):
    USAGE = "USAGE"  # a usage statement for one contract period
    SCHEDULED = "SCHEDULED"  # commit purchases and scheduled charges, issued at a timestamp


class InvoiceStatus(models.TextChoices):
    DRAFT = "DRAFT"
    FINALIZED = "FINALIZED"
    VOID = "VOID"


class Invoice(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="invoices"
    )
    contract = models.ForeignKey(
        "contracts.Contract", on_delete=models.PROTECT, related_name="invoices"
    )
    credit_type = models.ForeignKey(
        "pricing.CreditType", on_delete=models.PROTECT, related_name="+"
    )
    type = models.CharField(max_length=10, choices=InvoiceType.choices)
    status = models.CharField(
        max_length=10, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT
    )
    period_start = models.DateTimeField()  # start_timestamp on the wire (inclusive)
    period_end = models.DateTimeField()  # end_timestamp on the wire (exclusive)
    issued_at = models.DateTimeField()
    subtotal = AmountField(default=0)  # sum of charge lines, before commits and credits
    total = AmountField(default=0)  # what the customer owes: sum of all rounded lines
    number = models.CharField(max_length=40, blank=True)  # assigned at finalization, gapless
    # Snapshots taken at finalization so the document never changes afterwards (pretix).
    customer_name = models.CharField(max_length=200, blank=True)
    regenerated_from = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="regenerated_as"
    )
    computed_at = models.DateTimeField(null=True, blank=True)
    finalized_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["period_start", "pk"]
        constraints = [
            # One live statement per contract, type and period: month close may run twice.
            models.UniqueConstraint(
                fields=["contract", "type", "period_start"],
                condition=~Q(status="VOID"),
                name="invoice_one_live_per_period",
            )
        ]
        indexes = [models.Index(fields=["status", "period_end"], name="invoice_due_for_finalize")]

    def __str__(self) -> str:
        return self.number or f"Invoice {self.public_id}"

    @property
    def is_draft(self) -> bool:
        return self.status == InvoiceStatus.DRAFT


class LineType(models.TextChoices):
    USAGE = "USAGE"
    COMPOSITE = "COMPOSITE"
    SCHEDULED = "SCHEDULED"  # scheduled charge
    COMMIT_PURCHASE = "COMMIT_PURCHASE"
    APPLIED_COMMIT = "APPLIED_COMMIT"  # drawdown of a prepaid commit (negative)
    APPLIED_CREDIT = "APPLIED_CREDIT"  # drawdown of a credit (negative)
    POSTPAID_TRUEUP = "POSTPAID_TRUEUP"
    SUBSCRIPTION = "SUBSCRIPTION"  # quantity x a SUBSCRIPTION rate for a billing period


class LineItem(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=0)
    type = models.CharField(max_length=20, choices=LineType.choices)
    name = models.CharField(max_length=300)
    product = models.ForeignKey(
        "pricing.Product", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    product_tags = models.JSONField(default=list, blank=True)
    pricing_group_values = models.JSONField(default=dict, blank=True)
    presentation_group_values = models.JSONField(default=dict, blank=True)
    starting_at = models.DateTimeField(null=True, blank=True)
    ending_before = models.DateTimeField(null=True, blank=True)
    quantity = RateField(null=True, blank=True)  # after quantity conversion and rounding
    raw_quantity = RateField(null=True, blank=True)  # as aggregated, before conversion
    unit_price = RateField(null=True, blank=True)  # effective price per unit, unrounded
    list_price = RateField(null=True, blank=True)  # the rate card's price, before overrides
    total_unrounded = RateField(default=0)
    total = AmountField(default=0)  # rounded once, HALF_UP, to whole credit-type units
    tiers = models.JSONField(default=list, blank=True)  # [{starting_at, quantity, price, subtotal}]
    explanation = models.JSONField(default=dict, blank=True)  # rate, overrides applied, ...
    commit_public_id = models.UUIDField(null=True, blank=True)  # commit or credit drawn/purchased
    commit_segment_public_id = models.UUIDField(null=True, blank=True)
    scheduled_charge_public_id = models.UUIDField(null=True, blank=True)

    class Meta:
        ordering = ["position", "pk"]


class InvoiceNumberSeries(models.Model):
    """Counter row per series, locked with select_for_update at finalization: gapless numbers."""

    prefix = models.CharField(max_length=20, unique=True)
    last_number = models.PositiveIntegerField(default=0)


auditlog.register(Invoice, exclude_fields=["computed_at", "updated_at"])
