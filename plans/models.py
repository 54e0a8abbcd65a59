"""Metronome 1.0 objects on top of contracts: a credit grant is a customer-level commit or credit
(contracts.Commit) with what the 1.0 shape adds; a plan is an operator-defined price list whose
customers each get an internal, plan-backed contract (contracts.Contract)."""

import uuid

from auditlog.registry import auditlog
from django.db import models
from django.db.models import Q

from billing_console.fields import RateField


class CreditGrant(models.Model):
    """A credit grant: a customer-level CREDIT commit (or, with paid_amount > 0, a PREPAID one
    billed on one of the customer's contracts), with the 1.0 fields kept beside it."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="credit_grants"
    )
    commit = models.OneToOneField(
        "contracts.Commit", on_delete=models.PROTECT, related_name="credit_grant"
    )
    name = models.CharField(max_length=200)
    credit_grant_type = models.CharField(max_length=200, blank=True)
    reason = models.TextField(blank=True)
    priority = RateField()  # lower draws first (the commit holds the same)
    grant_amount = RateField()  # in grant_credit_type's unit (USD: cents)
    grant_credit_type = models.ForeignKey(
        "pricing.CreditType", on_delete=models.PROTECT, related_name="+"
    )
    paid_amount = RateField()  # in paid_credit_type's unit; > 0: a purchase invoice
    paid_credit_type = models.ForeignKey(
        "pricing.CreditType", on_delete=models.PROTECT, related_name="+"
    )
    effective_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    invoice_date = models.DateTimeField(null=True, blank=True)
    product_ids = models.JSONField(default=list, blank=True)  # product public ids, in order
    custom_fields = models.JSONField(default=dict, blank=True)
    uniqueness_key = models.CharField(max_length=128, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    voided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["effective_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "uniqueness_key"],
                condition=Q(uniqueness_key__isnull=False),
                name="credit_grant_uniqueness_key",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Plan(models.Model):
    """A plan, defined by an operator (console, admin or demo data: the API has no create): its
    charges, billed monthly from each customer's start, and its default trial."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    credit_type = models.ForeignKey(
        "pricing.CreditType", on_delete=models.PROTECT, related_name="+"
    )  # fiat: what the plan's contracts invoice in
    # Free trial: the first trial_length_days of each customer's plan are free, up to
    # trial_spending_cap (in credit_type's unit; null: no cap). Overridden by trial_spec.
    trial_length_days = models.PositiveIntegerField(null=True, blank=True)
    trial_spending_cap = RateField(null=True, blank=True)
    # The rate card built from the charges when the first customer is added, then reused.
    rate_card = models.ForeignKey(
        "pricing.RateCard", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    custom_fields = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class ChargeType(models.TextChoices):
    USAGE = "usage"  # flat per unit of the product's metric, or tiered (tiers)
    FIXED = "fixed"  # quantity x price per billing period (a subscription)


class PlanCharge(models.Model):
    """One charge of a plan. `price` per unit (usage), or per period (fixed, times quantity);
    a tiered usage charge has `tiers` instead: [{"tier": from this metric value, "value":
    price per unit}], Metronome's prices list. Prices in credit_type's unit (USD: cents)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="charges")
    product = models.ForeignKey("pricing.Product", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200)
    charge_type = models.CharField(max_length=10, choices=ChargeType.choices)
    credit_type = models.ForeignKey(
        "pricing.CreditType", on_delete=models.PROTECT, related_name="+"
    )
    price = RateField(null=True, blank=True)
    tiers = models.JSONField(default=list, blank=True)
    quantity = RateField(null=True, blank=True)  # fixed charges
    start_period = models.PositiveIntegerField(default=0)  # price ramps: only 0 is modelled
    custom_fields = models.JSONField(default=dict, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name


class CustomerPlan(models.Model):
    """A customer on a plan: the internal, plan-backed contract that bills it, and the terms
    it was added with (price adjustments as sent, the trial as applied)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="customer_plans"
    )
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="customer_plans")
    contract = models.OneToOneField(
        "contracts.Contract", on_delete=models.PROTECT, related_name="customer_plan"
    )
    starting_on = models.DateTimeField()
    ending_before = models.DateTimeField(null=True, blank=True)
    net_payment_terms_days = RateField(null=True, blank=True)
    price_adjustments = models.JSONField(default=list, blank=True)  # as sent, validated
    trial_ending_before = models.DateTimeField(null=True, blank=True)
    trial_credit = models.ForeignKey(
        "contracts.Commit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )  # the trial's spending cap, a credit of the contract for the trial window
    custom_fields = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starting_on", "pk"]


auditlog.register(CreditGrant)
auditlog.register(Plan)
auditlog.register(PlanCharge)
auditlog.register(CustomerPlan)
