"""Threshold alerts, each customer's state per alert, and lifecycle notification settings.

Thresholds are Decimal in the alert's unit: the credit type's unit (USD cents by default, as on
the wire) for spend, balance and invoice alerts; the billable metric's unit for usage alerts.
"""

import uuid

from auditlog.registry import auditlog
from django.db import models
from django.db.models import Q

from billing_console.fields import RateField


class AlertType(models.TextChoices):
    USAGE = "usage_threshold_reached", "Usage threshold reached"
    SPEND = "spend_threshold_reached", "Spend threshold reached"
    LOW_BALANCE = (
        "low_remaining_contract_credit_and_commit_balance_reached",
        "Low remaining commit and credit balance",
    )
    LOW_COMMIT_BALANCE = "low_remaining_commit_balance_reached", "Low remaining commit balance"
    LOW_CREDIT_BALANCE = (
        "low_remaining_contract_credit_balance_reached",
        "Low remaining credit balance",
    )
    INVOICE_TOTAL = "invoice_total_reached", "Invoice total reached"
    # Metronome 1.0 credit grants (plans.CreditGrant: customer-level commits and credits).
    LOW_GRANT_BALANCE = "low_credit_balance_reached", "Low credit grant balance"
    LOW_GRANT_PERCENTAGE = (
        "low_remaining_credit_percentage_reached",
        "Low remaining credit grant percentage",
    )
    # What remains of the commits and credits in force, as a percentage of their access.
    LOW_PERCENTAGE = (
        "low_remaining_contract_credit_and_commit_percentage_reached",
        "Low remaining commit and credit percentage",
    )
    LOW_COMMIT_PERCENTAGE = (
        "low_remaining_commit_percentage_reached",
        "Low remaining commit percentage",
    )
    LOW_CREDIT_PERCENTAGE = (
        "low_remaining_contract_credit_percentage_reached",
        "Low remaining credit percentage",
    )
    # The balance of one seat's commits and credits (seat_filter required).
    LOW_SEAT_BALANCE = "low_remaining_seat_balance_reached", "Low remaining seat balance"
    # Days until the access segment in force ends, the soonest of the commits (or credits).
    LOW_COMMIT_DAYS = (
        "low_remaining_days_for_commit_segment_reached",
        "Few days left in a commit segment",
    )
    LOW_CREDIT_DAYS = (
        "low_remaining_days_for_contract_credit_segment_reached",
        "Few days left in a credit segment",
    )
    # Days until the customer's plan (Metronome 1.0: plans.CustomerPlan) ends.
    LOW_DAYS_IN_PLAN = "low_remaining_days_in_plan_reached", "Few days left in a plan"


BALANCE_TYPES = frozenset(
    {
        AlertType.LOW_BALANCE,
        AlertType.LOW_COMMIT_BALANCE,
        AlertType.LOW_CREDIT_BALANCE,
        AlertType.LOW_SEAT_BALANCE,
    }
)
PERCENT_TYPES = frozenset(
    {AlertType.LOW_PERCENTAGE, AlertType.LOW_COMMIT_PERCENTAGE, AlertType.LOW_CREDIT_PERCENTAGE}
)
DAYS_TYPES = frozenset({AlertType.LOW_COMMIT_DAYS, AlertType.LOW_CREDIT_DAYS})
# Read on the contracts' commits and credits (custom field filters, seat filter, specifiers).
COMMIT_TYPES = BALANCE_TYPES | PERCENT_TYPES | DAYS_TYPES
# Read on the customer's credit grants, filtered by credit_grant_type_filters.
GRANT_TYPES = frozenset({AlertType.LOW_GRANT_BALANCE, AlertType.LOW_GRANT_PERCENTAGE})
# Alarm at or below the threshold, and publish `.resolved` when they leave the alarm.
LOW_TYPES = COMMIT_TYPES | GRANT_TYPES | {AlertType.LOW_DAYS_IN_PLAN}
# Thresholds that are not money: usage in the metric's unit, percentages, days.
NOT_MONEY_TYPES = (
    frozenset({AlertType.USAGE, AlertType.LOW_GRANT_PERCENTAGE, AlertType.LOW_DAYS_IN_PLAN})
    | PERCENT_TYPES
    | DAYS_TYPES
)


# The SDK's custom field filter entities (types/v1/alert_create_params.py CustomFieldFilter).
WIRE_ENTITIES = ("Contract", "Commit", "ContractCredit", "ContractCreditOrCommit")


class AlertQuerySet(models.QuerySet):
    def active(self) -> "AlertQuerySet":
        return self.filter(archived_at__isnull=True)


class Alert(models.Model):
    """A threshold notification (Metronome's alert): for one customer or for all of them."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    alert_type = models.CharField(max_length=64, choices=AlertType.choices)
    # Spend/balance/invoice: credit type units (USD cents); usage: the metric's unit;
    # low_remaining_credit_percentage_reached: a percentage (0-100) of what was granted.
    threshold = RateField()
    credit_type = models.ForeignKey(
        "pricing.CreditType", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    billable_metric = models.ForeignKey(
        "usage.BillableMetric", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # plan_id: only customers on this plan (Metronome 1.0) now, for any alert type.
    plan = models.ForeignKey(
        "plans.Plan", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Spend alerts: [{"key": "user_id", "value": "123"}] scopes to one value; a key without a
    # value alarms for every value of that key on its own.
    group_values = models.JSONField(default=list, blank=True)
    invoice_types_filter = models.JSONField(default=list, blank=True)  # ["USAGE", "SCHEDULED"]
    # [{"entity": "Contract" | "Commit" | "ContractCredit" | "ContractCreditOrCommit" | "Customer",
    #   "key": ..., "value": ...}]
    custom_field_filters = models.JSONField(default=list, blank=True)
    alert_specifiers = models.JSONField(default=list, blank=True)  # balance alerts only
    access_type = models.CharField(max_length=10, blank=True)  # SPEND (balance alerts)
    # Credit grant alerts: only grants whose credit_grant_type is listed count (empty: all).
    credit_grant_type_filters = models.JSONField(default=list, blank=True)
    evaluate_on_create = models.BooleanField(default=True)
    uniqueness_key = models.CharField(max_length=128, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # A retried create with the same key must not make a second alert (409 instead);
            # archiving with release_uniqueness_key clears the key so it can be used again.
            models.UniqueConstraint(
                fields=["uniqueness_key"],
                condition=Q(uniqueness_key__isnull=False),
                name="alert_uniqueness_key",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def is_balance(self) -> bool:
        """Alarms at or below its threshold (a balance, or what remains of credit grants)."""
        return self.alert_type in LOW_TYPES

    @property
    def value_unit(self) -> str:
        """What the threshold and measured values count: money, usage, percent or days."""
        if self.alert_type == AlertType.USAGE:
            return "usage"
        if self.alert_type in PERCENT_TYPES or self.alert_type == AlertType.LOW_GRANT_PERCENTAGE:
            return "percent"
        if self.alert_type in DAYS_TYPES or self.alert_type == AlertType.LOW_DAYS_IN_PLAN:
            return "days"
        return "money"

    @property
    def per_value_key(self) -> str | None:
        """The group key whose every value alarms on its own, if any (spend alerts)."""
        if self.alert_type in COMMIT_TYPES:
            return None  # group_values holds the seat filter (seat_filter)
        for item in self.group_values or []:
            if item.get("value") is None:
                return item["key"]
        return None

    @property
    def seat_filter(self) -> tuple[str, str | None] | None:
        """Balance alerts: (seat group key, seat or None for each seat) whose commits and
        credits the balance is read from, kept in group_values (spend alerts' otherwise)."""
        if self.alert_type not in COMMIT_TYPES or not self.group_values:
            return None
        item = self.group_values[0]
        return item["key"], item.get("value")

    @property
    def fixed_group_values(self) -> dict[str, str]:
        return {
            item["key"]: item["value"]
            for item in self.group_values or []
            if item.get("value") is not None
        }


class AlertStatus(models.TextChoices):
    EVALUATING = "evaluating"
    OK = "ok"
    IN_ALARM = "in_alarm"


class CustomerAlert(models.Model):
    """A customer's state for one alert (and, for per-value spend alerts, one group value).

    `version` counts state changes: a notification's key is (state, version), so an evaluation
    that runs twice publishes once, and a reset followed by a new crossing notifies again.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="customer_states")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="alert_states"
    )
    # "" for the whole customer, else "user_id=7": one state per group value.
    scope = models.CharField(max_length=500, blank=True)
    group_values = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=12, choices=AlertStatus.choices, default=AlertStatus.EVALUATING
    )
    version = models.PositiveIntegerField(default=0)
    triggered_by = models.CharField(max_length=40, blank=True)
    # What was measured last (spend, usage, remaining balance or invoice total), in the
    # alert's unit; null until evaluated.
    value = RateField(null=True, blank=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # Why the last evaluation of this alert for this customer failed (a SQL metric failing on
    # the customer's events, ...), shown in the console; cleared by the next one that succeeds.
    error = models.TextField(blank=True)
    error_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["alert_id", "customer_id", "scope"]
        constraints = [
            models.UniqueConstraint(
                fields=["alert", "customer", "scope"], name="customer_alert_one_per_scope"
            )
        ]
        indexes = [models.Index(fields=["customer", "alert"], name="customer_alert_lookup")]

    def __str__(self) -> str:
        return f"{self.alert} / {self.customer_id} {self.scope}: {self.status}"


auditlog.register(Alert)


class OffsetNotificationQuerySet(models.QuerySet):
    def active(self) -> "OffsetNotificationQuerySet":
        return self.filter(archived_at__isnull=True)


class OffsetNotification(models.Model):
    """A lifecycle notification fired at an offset from a lifecycle moment: "P7D" after a
    contract starts, "-P7D" before it ends. Each occurrence publishes once (keyed by this id,
    the object and the moment); `processed_through` is how far the beat task has looked."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    policy_type = models.CharField(max_length=40)  # contract.end, credit.segment.end, ...
    offset = models.CharField(max_length=64)  # ISO-8601 duration, "-" before the moment
    uniqueness_key = models.CharField(max_length=128, null=True, blank=True)
    created_by = models.CharField(max_length=200, blank=True)
    # Occurrences firing at or before this moment have been published (or were in the past
    # when the notification was created: offsets never fire retroactively).
    processed_through = models.DateTimeField()
    # Why the last pass of the beat task failed on it, and since when it has been failing (it
    # retries every minute; the settings page shows it); cleared by the next pass that succeeds.
    error = models.TextField(blank=True)
    error_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    objects = OffsetNotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["uniqueness_key"],
                condition=Q(uniqueness_key__isnull=False),
                name="offset_notification_uniqueness_key",
            )
        ]

    def __str__(self) -> str:
        return self.name


class SystemNotification(models.Model):
    """Whether a system lifecycle event (contract.create, contract.end, ...) is published.
    Time-based ones are found by the beat task, as an offset of zero, from `processed_through`."""

    type = models.CharField(max_length=40, unique=True)
    is_enabled = models.BooleanField(default=False)
    processed_through = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)  # as OffsetNotification's
    error_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["type"]

    def __str__(self) -> str:
        return f"{self.type} ({'on' if self.is_enabled else 'off'})"


# processed_through is the beat task's progress cursor (moved every minute): bookkeeping, not
# a change anyone made.
auditlog.register(OffsetNotification, exclude_fields=["processed_through", "updated_at"])
auditlog.register(SystemNotification, exclude_fields=["processed_through", "updated_at"])
