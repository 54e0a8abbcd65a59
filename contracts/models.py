"""Contracts: the deal. Commits, credits, overrides, scheduled charges, and their ledgers.

Amounts are Decimal in the contract's credit type unit (USD cents by default, as on the wire).
Commits and credits share one model (`Commit`, kind PREPAID | POSTPAID | CREDIT) because they
share access schedules, applicability and the drawdown ledger.
"""

import uuid

from auditlog.registry import auditlog
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
    custom_fields = models.JSONField(default=dict, blank=True)
    uniqueness_key = models.CharField(max_length=128, null=True, blank=True)
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
    rate_type = models.CharField(max_length=12, default="LIST_RATE")  # COMMIT_RATE | LIST_RATE
    # The unit of the access schedule's amounts: a custom pricing unit, or null for the
    # contract's fiat credit type. A custom-unit commit pays only for usage priced in its unit.
    access_credit_type = models.ForeignKey(
        "pricing.CreditType", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rollover_fraction = RateField(null=True, blank=True)
    do_not_invoice = models.BooleanField(default=False)
    invoice_schedule = models.JSONField(null=True, blank=True)  # as given on the wire
    custom_fields = models.JSONField(default=dict, blank=True)
    uniqueness_key = models.CharField(max_length=128, null=True, blank=True)
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


class AccessSegment(models.Model):
    """`amount` usable during [starting_at, ending_before): one item of an access schedule."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    commit = models.ForeignKey(Commit, on_delete=models.CASCADE, related_name="segments")
    amount = RateField()  # in the credit type's unit, e.g. USD cents
    starting_at = models.DateTimeField()
    ending_before = models.DateTimeField()

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


auditlog.register(Contract)
auditlog.register(Commit)
auditlog.register(AccessSegment)
auditlog.register(Override)
auditlog.register(ScheduledCharge)
auditlog.register(ScheduledChargeItem)


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

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "uniqueness_key"], name="contract_edit_uniqueness_key"
            )
        ]


auditlog.register(ContractEdit)


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


auditlog.register(ContractTransition)


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


auditlog.register(RecurringCommit)


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


auditlog.register(Subscription)
auditlog.register(SubscriptionQuantityChange)


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


auditlog.register(ThresholdCharge)


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


auditlog.register(ContractUsageFilter)
auditlog.register(ContractNamedSchedule)
