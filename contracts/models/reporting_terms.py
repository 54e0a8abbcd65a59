"""Terms a contract keeps for reporting, not billing: spend trackers (what the contract spent on
some charges in its current billing period, computed from its invoices) and reseller royalties
(a reseller's share of what the customer pays, for the reseller's books: the customer is billed
the same with or without them)."""

import uuid

from django.db import models
from django.db.models import Q

from billing_console.fields import RateField
from contracts.models.contract import Contract


class SpendTracker(models.Model):
    """Sums the charges its `applicable_spend_specifiers` name over each reset window
    (contracts/terms/spend_trackers.py). Stored as sent; archived, never deleted."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="spend_trackers")
    alias = models.CharField(max_length=200)  # unique among the contract's live trackers
    credit_type = models.ForeignKey(
        "pricing.CreditType", on_delete=models.PROTECT, related_name="+"
    )
    reset_frequency = models.CharField(max_length=20)  # BILLING_PERIOD
    # [{spend_type, sources: [...], discounted?}], as sent
    applicable_spend_specifiers = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "alias"],
                condition=Q(archived_at__isnull=True),
                name="spend_tracker_alias_per_contract",
            )
        ]

    def __str__(self) -> str:
        return self.alias


class ResellerRoyalty(models.Model):
    """One segment of a reseller's royalty: `fraction` of what the products it applies to bill
    during [starting_at, ending_before) is the reseller's. Segments of one reseller type do not
    overlap. Reported (contract, invoices, exports), never billed."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="reseller_royalties"
    )
    reseller_type = models.CharField(max_length=16)  # AWS | AWS_PRO_SERVICE | GCP | GCP_PRO_SERVICE
    fraction = RateField()  # 0..1, the reseller's share
    netsuite_reseller_id = models.CharField(max_length=255)
    starting_at = models.DateTimeField()
    ending_before = models.DateTimeField(null=True, blank=True)  # exclusive; null = open-ended
    applicable_product_ids = models.JSONField(default=list, blank=True)  # product public ids
    applicable_product_tags = models.JSONField(default=list, blank=True)
    # The deal's value through the reseller, as sent, in the contract's credit type unit (cents).
    reseller_contract_value = RateField(null=True, blank=True)
    aws_options = models.JSONField(default=dict, blank=True)  # account number, offer, payer ref
    gcp_options = models.JSONField(default=dict, blank=True)  # account id, offer id
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starting_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ending_before__isnull=True)
                | Q(ending_before__gt=models.F("starting_at")),
                name="reseller_royalty_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(fraction__gte=0) & Q(fraction__lte=1),
                name="reseller_royalty_fraction_0_1",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reseller_type} {self.fraction}"
