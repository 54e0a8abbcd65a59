"""Commits and credits (one model, kind PREPAID | POSTPAID | CREDIT: they share access
schedules, applicability and the drawdown ledger), their access segments, invoice items and
ledger, and the recurring commits that issue them."""

import uuid

from django.db import models
from django.db.models import Q

from billing_console.fields import RateField
from contracts.models.contract import Contract


class CommitKind(models.TextChoices):
    PREPAID = "PREPAID"
    POSTPAID = "POSTPAID"
    CREDIT = "CREDIT"


class Commit(models.Model):
    """A prepaid or postpaid commit, or a free credit, on a contract (or on the customer)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="commits"
    )
    contract = models.ForeignKey(
        Contract, null=True, blank=True, on_delete=models.PROTECT, related_name="commits"
    )
    kind = models.CharField(max_length=10, choices=CommitKind.choices)
    product = models.ForeignKey("pricing.Product", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    priority = RateField(null=True, blank=True)  # lower draws first
    applicable_product_ids = models.JSONField(default=list, blank=True)  # product public ids
    applicable_product_tags = models.JSONField(default=list, blank=True)
    specifiers = models.JSONField(
        default=list, blank=True
    )  # [{product_id?, pricing_group_values?, ...}]
    # Customer-level commits only: the contracts it applies to (contract public ids; [] = all)
    # and the contract whose invoices bill it.
    applicable_contract_ids = models.JSONField(default=list, blank=True)
    invoice_contract = models.ForeignKey(
        Contract, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Account hierarchies (contracts.terms.child_access): whether the usage of the contract's
    # child contracts may draw this commit. "" (not given) and NONE: no child; ALL: every
    # child; CONTRACT_IDS: the children named in child_access_contract_ids (public ids).
    child_access = models.CharField(max_length=12, blank=True)
    child_access_contract_ids = models.JSONField(default=list, blank=True)
    rate_type = models.CharField(max_length=12, default="LIST_RATE")  # COMMIT_RATE | LIST_RATE
    # The unit of the access schedule's amounts: a custom pricing unit, or null for the
    # contract's fiat credit type. A custom-unit commit pays only for usage priced in its unit.
    access_credit_type = models.ForeignKey(
        "pricing.CreditType", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rollover_fraction = RateField(null=True, blank=True)
    do_not_invoice = models.BooleanField(default=False)
    # spend_tracker_attributes.counts_as_discounted as sent (None: not sent): its purchase
    # counts toward DISCOUNTED_ONLY spend trackers (contracts/terms/spend_trackers.py).
    counts_as_discounted = models.BooleanField(null=True, blank=True)
    invoice_schedule = models.JSONField(null=True, blank=True)  # as given on the wire
    custom_fields = models.JSONField(default=dict, blank=True)
    uniqueness_key = models.CharField(max_length=128, null=True, blank=True)
    # Links to other systems, kept and shown as sent (a recurring item passes its NetSuite id
    # down to the commits it issues); salesforce_opportunity_id: customer-level ones only.
    netsuite_sales_order_id = models.CharField(max_length=255, blank=True, default="")
    salesforce_opportunity_id = models.CharField(max_length=255, blank=True, default="")
    # Issued by a recurring commit or credit: for the period starting at recurring_period_start
    # (and, for a per-seat allocation, for one seat). At most one per period and seat.
    recurring_commit = models.ForeignKey(
        "RecurringCommit", null=True, blank=True, on_delete=models.PROTECT, related_name="issued"
    )
    recurring_period_start = models.DateTimeField(null=True, blank=True)
    seat_id = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["priority", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "uniqueness_key"], name="commit_uniqueness_key"
            ),
            # The issuing task may run twice (or concurrently): one commit per period and seat.
            models.UniqueConstraint(
                fields=["recurring_commit", "recurring_period_start", "seat_id"],
                condition=Q(recurring_commit__isnull=False),
                name="commit_one_per_recurring_period",
            ),
        ]

    def __str__(self) -> str:
        return self.name or f"{self.kind.title()} {self.public_id}"

    @property
    def is_credit(self) -> bool:
        return self.kind == CommitKind.CREDIT

    @property
    def seat(self) -> tuple[str, str] | None:
        """(seat group key, seat) of a commit or credit issued for one seat (a recurring one's
        INDIVIDUAL seat allocation: its specifiers price that seat's group value), else None."""
        if not self.seat_id:
            return None
        for specifier in self.specifiers or []:
            for key, value in (specifier.get("pricing_group_values") or {}).items():
                if value == self.seat_id:
                    return key, value
        return None


class AccessSegment(models.Model):
    """`amount` usable during [starting_at, ending_before): one item of an access schedule."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    commit = models.ForeignKey(Commit, on_delete=models.CASCADE, related_name="segments")
    amount = RateField()  # in the credit type's unit, e.g. USD cents
    starting_at = models.DateTimeField()
    ending_before = models.DateTimeField()
    # Why the month close cannot expire what is left once access has ended, and since when
    # (billing_console.lib.failing); cleared when it succeeds.
    error = models.TextField(blank=True)
    error_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starting_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ending_before__gt=models.F("starting_at")),
                name="segment_ends_after_start",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="segment_amount_not_negative"),
        ]


class CommitInvoiceItem(models.Model):
    """One item of a prepaid commit's invoice schedule: bill `amount` at `timestamp`."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    commit = models.ForeignKey(Commit, on_delete=models.CASCADE, related_name="invoice_items")
    timestamp = models.DateTimeField()
    amount = RateField()
    quantity = RateField(default=1)
    unit_price = RateField()

    class Meta:
        ordering = ["timestamp", "pk"]


class LedgerEntryType(models.TextChoices):
    SEGMENT_START = "SEGMENT_START"
    USAGE_DEDUCTION = "USAGE_DEDUCTION"  # drawn by a usage invoice
    EXPIRATION = "EXPIRATION"
    ROLLOVER = "ROLLOVER"
    MANUAL = "MANUAL"
    TRUE_UP = "TRUE_UP"  # postpaid shortfall invoiced at contract end
    SEAT_BASED_ADJUSTMENT = "SEAT_BASED_ADJUSTMENT"  # a pooled seat credit grows with seats


class LedgerEntry(models.Model):
    """Append-only: a commit's balance is the sum of its entries; rows are never edited.

    Deductions by a *draft* invoice are replaced when the draft is recomputed (they are still
    provisional); once the invoice is finalized its entries are permanent.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    commit = models.ForeignKey(Commit, on_delete=models.PROTECT, related_name="ledger")
    segment = models.ForeignKey(
        AccessSegment, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger"
    )
    type = models.CharField(max_length=24, choices=LedgerEntryType.choices)
    amount = RateField()  # signed: + adds to the balance, - draws from it
    timestamp = models.DateTimeField()
    # The invoice that drew (invoicing sits above contracts, so a plain UUID, not a FK).
    invoice_public_id = models.UUIDField(null=True, blank=True, db_index=True)
    reason = models.TextField(blank=True)
    uniqueness_key = models.CharField(max_length=128, null=True, blank=True)
    # ROLLOVER entries: the segment on the other side (where the amount went or came from).
    rollover_segment = models.ForeignKey(
        AccessSegment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["timestamp", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["commit", "uniqueness_key"], name="ledger_uniqueness_key"
            )
        ]
        indexes = [models.Index(fields=["commit", "timestamp"], name="ledger_commit_time")]


class RecurringCommit(models.Model):
    """A recurring commit (kind PREPAID | POSTPAID) or recurring credit (kind CREDIT): every
    period of `frequency` from `starting_at` the customer gets `access_amount` (and, for
    commits, is invoiced `invoice_amount`). Stored as given on the wire; amounts are in the
    credit type's unit."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="recurring_commits"
    )
    kind = models.CharField(max_length=10, choices=CommitKind.choices)
    product = models.ForeignKey("pricing.Product", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    priority = RateField()
    # None: on the contract's usage statement frequency (as Metronome does when not given).
    frequency = models.CharField(max_length=10, blank=True)  # WEEKLY..ANNUAL | DAILY
    access_amount = models.JSONField()  # {unit_price, quantity?, credit_type_id?, access_type?}
    invoice_amount = models.JSONField(null=True, blank=True)  # {unit_price, quantity, ...}
    commit_duration = models.JSONField()  # {value, unit: PERIODS}
    proration = models.CharField(max_length=16, default="FIRST_AND_LAST")
    proration_rounding = models.JSONField(null=True, blank=True)
    rate_type = models.CharField(max_length=12, default="COMMIT_RATE")
    rollover_fraction = RateField(null=True, blank=True)
    starting_at = models.DateTimeField()
    ending_before = models.DateTimeField(null=True, blank=True)
    applicable_product_ids = models.JSONField(default=list, blank=True)
    applicable_product_tags = models.JSONField(default=list, blank=True)
    specifiers = models.JSONField(default=list, blank=True)
    subscription_config = models.JSONField(null=True, blank=True)
    # Passed down to the commits it issues.
    netsuite_sales_order_id = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starting_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ending_before__isnull=True)
                | Q(ending_before__gt=models.F("starting_at")),
                name="recurring_commit_ends_after_start",
            )
        ]
