"""The pricing catalog: credit types, products (with dated versions), rate cards, rates, packages."""

import uuid

from auditlog.registry import auditlog
from django.db import models

from billing_console.fields import RateField
from billing_console.named_schedules import NamedScheduleSegment

# Metronome's well-known id of "USD (cents)", the default pricing unit.
USD_CENTS_ID = uuid.UUID("2714e483-4ff1-48e4-9e25-ac732e8f24f2")


class ArchivableQuerySet(models.QuerySet):
    def active(self) -> "ArchivableQuerySet":
        return self.filter(archived_at__isnull=True)


class CreditType(models.Model):
    """A pricing unit: a fiat currency's minor unit ("USD (cents)") or a custom unit."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    currency_code = models.CharField(max_length=3, blank=True)  # ISO 4217 for fiat types
    is_fiat = models.BooleanField(default=False)
    # Decimal places a line of this unit is rounded to: 0 for fiat minor units, custom units choose.
    decimal_places = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    objects = ArchivableQuerySet.as_manager()

    class Meta:
        ordering = ["-is_fiat", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["currency_code"],
                condition=~models.Q(currency_code=""),
                name="credit_type_currency_unique",
            )
        ]

    def __str__(self) -> str:
        return self.name


class ProductType(models.TextChoices):
    USAGE = "USAGE"
    SUBSCRIPTION = "SUBSCRIPTION"
    COMPOSITE = "COMPOSITE"
    FIXED = "FIXED"
    PRO_SERVICE = "PRO_SERVICE"


class Product(models.Model):
    """What is sold. Its changeable definition lives in dated ProductVersion rows; the fields
    here mirror the latest version for listing and search."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(max_length=12, choices=ProductType.choices)
    name = models.CharField(max_length=200)
    tags = models.JSONField(default=list, blank=True)
    custom_fields = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    objects = ArchivableQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class ProductVersion(models.Model):
    """The definition of a product from `starting_at` until the next version starts."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="versions")
    starting_at = models.DateTimeField()
    name = models.CharField(max_length=200)
    billable_metric = models.ForeignKey(
        "usage.BillableMetric", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    tags = models.JSONField(default=list, blank=True)
    pricing_group_key = models.JSONField(default=list, blank=True)
    presentation_group_key = models.JSONField(default=list, blank=True)
    quantity_conversion = models.JSONField(
        null=True, blank=True
    )  # {conversion_factor, operation, name}
    quantity_rounding = models.JSONField(null=True, blank=True)  # {decimal_places, rounding_method}
    composite_product_ids = models.JSONField(default=list, blank=True)
    composite_tags = models.JSONField(default=list, blank=True)
    exclude_free_usage = models.BooleanField(default=False)
    is_refundable = models.BooleanField(default=True)
    netsuite_internal_item_id = models.CharField(max_length=200, blank=True)
    netsuite_overage_item_id = models.CharField(max_length=200, blank=True)
    created_by = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["product", "starting_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "starting_at"], name="product_version_start_unique"
            )
        ]


class RateCard(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    fiat_credit_type = models.ForeignKey(CreditType, on_delete=models.PROTECT, related_name="+")
    aliases = models.JSONField(default=list, blank=True)  # [{name, starting_at, ending_before}]
    custom_fields = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    objects = ArchivableQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class CreditTypeConversion(models.Model):
    """How many fiat units one unit of a custom credit type is worth on a rate card."""

    rate_card = models.ForeignKey(RateCard, on_delete=models.CASCADE, related_name="conversions")
    custom_credit_type = models.ForeignKey(CreditType, on_delete=models.PROTECT, related_name="+")
    fiat_per_custom_credit = RateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["rate_card", "custom_credit_type"], name="conversion_unique"
            )
        ]


class RateType(models.TextChoices):
    FLAT = "FLAT"
    PERCENTAGE = "PERCENTAGE"
    SUBSCRIPTION = "SUBSCRIPTION"
    TIERED = "TIERED"
    CUSTOM = "CUSTOM"


class Rate(models.Model):
    """The price of a product (and group values) on a rate card from starting_at to ending_before."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    rate_card = models.ForeignKey(RateCard, on_delete=models.CASCADE, related_name="rates")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="rates")
    starting_at = models.DateTimeField()
    ending_before = models.DateTimeField(null=True, blank=True)
    entitled = models.BooleanField(default=True)
    rate_type = models.CharField(max_length=12, choices=RateType.choices)
    price = RateField(null=True, blank=True)
    tiers = models.JSONField(default=list, blank=True)  # [{"size": "1000" | absent, "price": "2"}]
    custom_rate = models.JSONField(null=True, blank=True)
    pricing_group_values = models.JSONField(default=dict, blank=True)
    credit_type = models.ForeignKey(CreditType, on_delete=models.PROTECT, related_name="+")
    is_prorated = models.BooleanField(default=False)
    quantity = RateField(null=True, blank=True)
    commit_rate = models.JSONField(null=True, blank=True)  # {rate_type, price, tiers}
    billing_frequency = models.CharField(max_length=12, blank=True)
    # TIERED only: tiers fill over this many usage statements before they start again (1: every
    # statement starts at the first tier).
    tier_reset_frequency = models.PositiveSmallIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["product__name", "starting_at", "pk"]
        indexes = [models.Index(fields=["rate_card", "product", "starting_at"])]

    def __str__(self) -> str:
        return f"{self.product} from {self.starting_at:%Y-%m-%d}"


class Package(models.Model):
    """A contract template: a rate card plus the commits, credits, overrides and schedule a
    contract created from it starts with (wire-shaped terms, validated by contracts)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    rate_card = models.ForeignKey(
        RateCard, null=True, blank=True, on_delete=models.PROTECT, related_name="packages"
    )
    aliases = models.JSONField(default=list, blank=True)
    terms = models.JSONField(
        default=dict, blank=True
    )  # commits, credits, overrides, charges, schedule...
    uniqueness_key = models.CharField(max_length=128, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    objects = ArchivableQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


for model in (CreditType, Product, ProductVersion, RateCard, CreditTypeConversion, Rate, Package):
    auditlog.register(model)


class RateCardProductPosition(models.Model):
    """Where a product sits in its rate card's display order (setRateCardProductsOrder,
    moveRateCardProducts): 0 first. Products without a row follow, by name."""

    rate_card = models.ForeignKey(
        RateCard, on_delete=models.CASCADE, related_name="product_positions"
    )
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["rate_card", "product"], name="rate_card_product_position_unique"
            )
        ]


class RateCardNamedSchedule(NamedScheduleSegment):
    """One segment of a named schedule on a rate card (billing_console.named_schedules)."""

    rate_card = models.ForeignKey(
        RateCard, on_delete=models.CASCADE, related_name="named_schedules"
    )

    class Meta(NamedScheduleSegment.Meta):
        indexes = [
            models.Index(fields=["rate_card", "schedule_name"], name="rate_card_schedule_name")
        ]


auditlog.register(RateCardProductPosition)
auditlog.register(RateCardNamedSchedule)
