"""The contract itself, its edits and transitions, usage filters and named schedules."""

import uuid

from django.db import models
from django.db.models import Q

from billing_console.fields import RateField
from billing_console.named_schedules import NamedScheduleSegment


class Frequency(models.TextChoices):
    WEEKLY = "WEEKLY"
    MONTHLY = "MONTHLY"
    QUARTERLY = "QUARTERLY"
    ANNUAL = "ANNUAL"


class ContractQuerySet(models.QuerySet):
    def active(self) -> "ContractQuerySet":
        return self.filter(archived_at__isnull=True)


class Contract(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="contracts"
    )
    rate_card = models.ForeignKey(
        "pricing.RateCard", null=True, blank=True, on_delete=models.PROTECT
    )
    package = models.ForeignKey("pricing.Package", null=True, blank=True, on_delete=models.PROTECT)
    name = models.CharField(max_length=200, blank=True)
    starting_at = models.DateTimeField()
    ending_before = models.DateTimeField(null=True, blank=True)  # exclusive; null = open-ended
    # Usage statements: periods of `usage_statement_frequency` anchored at this moment.
    usage_statement_frequency = models.CharField(
        max_length=10, choices=Frequency.choices, default=Frequency.MONTHLY
    )
    usage_statement_anchor = models.DateTimeField()
    multiplier_override_prioritization = models.CharField(
        max_length=20, default="LOWEST_MULTIPLIER"
    )
    net_payment_terms_days = models.PositiveIntegerField(null=True, blank=True)
    scheduled_charges_on_usage_invoices = models.CharField(max_length=10, blank=True)
    spend_threshold_configuration = models.JSONField(null=True, blank=True)
    prepaid_balance_threshold_configuration = models.JSONField(null=True, blank=True)
    # Why the last threshold evaluation failed: nothing was charged (retried after each ingest
    # and by the sweep; the contract page shows it). Cleared by the next that succeeds.
    threshold_error = models.TextField(blank=True)
    threshold_error_at = models.DateTimeField(null=True, blank=True)
    custom_fields = models.JSONField(default=dict, blank=True)
    uniqueness_key = models.CharField(max_length=128, null=True, blank=True)
    # Links to the deal in other systems, kept and shown as sent (Metronome's fields of the
    # same names); this server syncs with neither Salesforce nor NetSuite.
    salesforce_opportunity_id = models.CharField(max_length=255, blank=True, default="")
    netsuite_sales_order_id = models.CharField(max_length=255, blank=True, default="")
    # The deal's value as sent, in the contract's credit type unit (USD cents): reported, not billed.
    total_contract_value = RateField(null=True, blank=True)
    # Where its invoices are collected (a Stripe account, a marketplace). Archiving that
    # configuration stops billing through it at once; another one can then be assigned.
    billing_provider_configuration = models.ForeignKey(
        "customers.CustomerBillingProviderConfiguration",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    # Account hierarchy: a child contract names its parent (a contract of another customer);
    # who pays and whether its statements go on the parent's invoices.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    hierarchy_payer = models.CharField(max_length=8, blank=True)  # SELF | PARENT
    hierarchy_usage_statement_behavior = models.CharField(
        max_length=12, blank=True
    )  # CONSOLIDATE | SEPARATE
    # As a parent: CONCATENATE (child statements appended to the parent's invoice) | NONE
    invoice_consolidation_type = models.CharField(max_length=12, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    objects = ContractQuerySet.as_manager()

    class Meta:
        ordering = ["starting_at", "pk"]
        constraints = [
            # A retried create with the same key must not make a second contract.
            models.UniqueConstraint(
                fields=["customer", "uniqueness_key"], name="contract_uniqueness_key"
            ),
            models.CheckConstraint(
                condition=Q(ending_before__isnull=True)
                | Q(ending_before__gt=models.F("starting_at")),
                name="contract_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name or f"Contract {self.public_id}"


class ContractEdit(models.Model):
    """One recorded edit (amendment) of a contract: the /v2/contracts/edit body as applied."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="edits")
    uniqueness_key = models.CharField(max_length=128, null=True, blank=True)
    changes = models.JSONField(default=dict)  # what was added, updated, archived or removed
    # The body as sent (less customer_id/contract_id): a retry with the same key and the same
    # body is the same edit; the same key with another body is a conflict.
    request = models.JSONField(default=dict, blank=True)
    wire = models.JSONField(default=dict, blank=True)  # the edit as the API shows it, as applied
    actor = models.CharField(max_length=200, blank=True)  # user name or API token
    created_at = models.DateTimeField(auto_now_add=True)
    # Set on a v1 amendment (/v1/contracts/amend, contracts.terms.amendments): the edit that
    # added its terms, listed in the v1 read's amendments[] from this moment (inclusive).
    amendment_starting_at = models.DateTimeField(null=True, blank=True)
    amendment_netsuite_sales_order_id = models.CharField(max_length=255, blank=True)
    amendment_salesforce_opportunity_id = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "uniqueness_key"], name="contract_edit_uniqueness_key"
            )
        ]


class ContractTransition(models.Model):
    """A renewal or supersede: `to_contract` takes over from `from_contract`, which ends when
    the new one starts. A contract is transitioned from at most once."""

    from_contract = models.OneToOneField(
        Contract, on_delete=models.PROTECT, related_name="transition_out"
    )
    to_contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, related_name="transitions_in"
    )
    type = models.CharField(max_length=10)  # RENEWAL | SUPERSEDE
    # REMOVE: the old contract's future postpaid true-ups are not billed; AS_IS: they are.
    future_trueup = models.CharField(max_length=8, default="AS_IS")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]


class ContractUsageFilter(models.Model):
    """One entry of a contract's usage filter history (usage_filter on create, setUsageFilter):
    from `starting_at`, only events whose `group_key` property is one of `group_values` count
    toward the contract's usage. Append-only; at any moment the entry with the latest
    `starting_at` at or before it is in force (of two with the same start, the later one)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="usage_filters")
    group_key = models.CharField(max_length=200)
    group_values = models.JSONField(default=list)  # ["project_1", ...], as event property text
    starting_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starting_at", "pk"]


class ContractNamedSchedule(NamedScheduleSegment):
    """One segment of a named schedule on a contract (billing_console.named_schedules)."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="named_schedules")

    class Meta(NamedScheduleSegment.Meta):
        indexes = [
            models.Index(fields=["contract", "schedule_name"], name="contract_schedule_name")
        ]
