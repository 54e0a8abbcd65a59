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
    # An account hierarchy's parent: its statement and its consolidating children's statements
    # for one of its periods, concatenated (invoicing.consolidation).
    USAGE_CONSOLIDATED = "USAGE_CONSOLIDATED", "Consolidated usage"


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
    type = models.CharField(max_length=20, choices=InvoiceType.choices)
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
    # A statement concatenated onto a parent's USAGE_CONSOLIDATED invoice: that invoice, which
    # is what the payer is billed (this one is not sent to a billing provider on its own).
    consolidated_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="constituents"
    )
    computed_at = models.DateTimeField(null=True, blank=True)
    # Why the last computation of this draft failed (a SQL metric that fails on the customer's
    # events, ...): shown on the invoice and in the list; month close leaves it a draft. Cleared
    # by the next computation that succeeds.
    error = models.TextField(blank=True)
    error_at = models.DateTimeField(null=True, blank=True)
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
    # A line of a USAGE_CONSOLIDATED invoice: the line it was copied from, as the wire's
    # `origin` names it ({contract_id, customer_id, invoice_id, line_item_id}, public ids).
    origin = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["position", "pk"]


class InvoiceNumberSeries(models.Model):
    """Counter row per series, locked with select_for_update at finalization: gapless numbers."""

    prefix = models.CharField(max_length=20, unique=True)
    last_number = models.PositiveIntegerField(default=0)


auditlog.register(Invoice, exclude_fields=["computed_at", "updated_at", "error_at"])


class ExternalStatus(models.TextChoices):
    """The invoice's state at its billing provider (the wire's external_invoice.external_status)."""

    QUEUED = "QUEUED"  # to be created at the provider
    DRAFT = "DRAFT"  # created, left in draft (leave_stripe_invoices_in_draft)
    FINALIZED = "FINALIZED"  # finalized at the provider; awaiting payment
    PAID = "PAID"
    PAYMENT_FAILED = "PAYMENT_FAILED"  # a retry may be scheduled (next_payment_attempt_at)
    UNCOLLECTIBLE = "UNCOLLECTIBLE"
    VOID = "VOID"
    SENT = "SENT"  # metered to a marketplace (which bills the customer itself)
    SKIPPED = "SKIPPED"  # nothing to send (no fiat amount), or the configuration was archived
    INVALID_REQUEST_ERROR = "INVALID_REQUEST_ERROR"  # the provider refused it; see `error`


class ExternalInvoice(models.Model):
    """A finalized invoice's copy at its billing provider (a Stripe invoice), created once.

    The sync is a sequence of steps (create the invoice, add each line, finalize, pay), each
    recorded here as it completes (Zulip's status fields), and each call carries an
    idempotency key derived from our row ids, so a retried task resumes instead of repeating.
    """

    invoice = models.OneToOneField(Invoice, on_delete=models.PROTECT, related_name="external")
    configuration = models.ForeignKey(
        "customers.CustomerBillingProviderConfiguration", on_delete=models.PROTECT, related_name="+"
    )
    provider = models.ForeignKey(
        "customers.ConfiguredBillingProvider", on_delete=models.PROTECT, related_name="+"
    )
    billing_provider = models.CharField(max_length=24)
    external_id = models.CharField(max_length=255, blank=True)  # Stripe: in_...
    external_status = models.CharField(
        max_length=24, choices=ExternalStatus.choices, default=ExternalStatus.QUEUED
    )
    items_synced = models.PositiveIntegerField(default=0)  # lines sent, in position order
    error = models.TextField(blank=True)
    # As the provider reports them, in the invoice's credit type unit (USD cents).
    invoiced_total = AmountField(null=True, blank=True)
    invoiced_sub_total = AmountField(null=True, blank=True)
    tax_amount = AmountField(null=True, blank=True)
    pdf_url = models.URLField(max_length=1000, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    payment_attempts = models.PositiveSmallIntegerField(default=0)  # card charges we asked for
    next_payment_attempt_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    external_payment_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "external_id"],
                condition=~Q(external_id=""),
                name="external_invoice_unique_per_provider",
            )
        ]
        indexes = [
            # The retry beat task selects due payment attempts by time.
            models.Index(
                fields=["next_payment_attempt_at"],
                condition=Q(next_payment_attempt_at__isnull=False),
                name="external_invoice_retry_due",
            )
        ]


class StripeEvent(models.Model):
    """A Stripe webhook event, stored raw as received before any processing (dj-stripe's
    WebhookEventTrigger); a redelivery of the same event id is stored once."""

    provider = models.ForeignKey(
        "customers.ConfiguredBillingProvider", on_delete=models.PROTECT, related_name="+"
    )
    event_id = models.CharField(max_length=255, unique=True)  # evt_...
    type = models.CharField(max_length=100)
    payload = models.TextField()  # the raw request body, byte for byte (UTF-8)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["received_at", "pk"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


# next_payment_attempt_at is the retry schedule the sweep moves: bookkeeping, not a change.
auditlog.register(ExternalInvoice, exclude_fields=["updated_at", "next_payment_attempt_at"])

# Hourly marketplace metering (invoicing/marketplaces): its models, seen by Django through here.
from invoicing.marketplaces.models import (  # noqa: E402, F401
    MarketplaceListingSettings,
    MarketplaceMeteringCursor,
    MarketplaceMeterRecord,
    MeterStatus,
)
