"""Recording each complete UTC hour's usage for marketplace customers, per dimension.

Which usage: a product is metered to a marketplace when its custom field names the listing's
dimension (DIMENSION_FIELDS: `aws_marketplace_dimension`, `azure_marketplace_dimension`,
`gcp_marketplace_metric`). Its billable metric's value for the hour (and what arrived late for
hours already recorded), for the customer of each
live marketplace configuration that a contract in force at that hour is billed through, is
read from the hourly usage rollups (usage.selectors.metric_usage; raw events only for what
the rollups lack), summed over group values and over the products sharing a dimension, and
converted by the product's quantity conversion.

Rounding: marketplaces take whole units. Each hour sends the running total of exact usage
(over this configuration's and dimension's recorded hours) rounded HALF_UP, less what earlier
hours sent: a fraction is carried into later hours, never lost or billed twice, and the units
sent never differ from the rounded exact total by more than half a unit. An hour whose carry
leaves nothing to send is recorded as CARRIED and not sent.

When: an hour is recorded once it is complete plus MARKETPLACE_METERING_LAG_MINUTES (late
events and the rollup job catch up), looking back MARKETPLACE_METERING_LOOKBACK_HOURS (AWS
refuses records more than 6 hours old; Azure 24), so a missed run is made up.
"""

import logging
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from billing_console.lib.failing import failing_record
from contracts.models import Contract
from customers.models import BillingProvider, CustomerBillingProviderConfiguration
from invoicing.marketplaces.models import (
    MarketplaceMeteringCursor,
    MarketplaceMeterRecord,
    MeterStatus,
)
from pricing.models import Product, ProductType
from pricing.selectors import product_versions
from usage.selectors import metric_usage

logger = logging.getLogger(__name__)
HOUR = timedelta(hours=1)
DIMENSION_FIELDS = {
    BillingProvider.AWS_MARKETPLACE: "aws_marketplace_dimension",
    BillingProvider.AZURE_MARKETPLACE: "azure_marketplace_dimension",
    BillingProvider.GCP_MARKETPLACE: "gcp_marketplace_metric",
}


def hours_due(now: datetime) -> list[datetime]:
    """The complete hours to record at `now`, oldest first."""
    ready = (now - timedelta(minutes=settings.MARKETPLACE_METERING_LAG_MINUTES)).replace(
        minute=0, second=0, microsecond=0
    )
    count = settings.MARKETPLACE_METERING_LOOKBACK_HOURS
    return [ready - HOUR * n for n in range(count, 0, -1)]


def _converted(quantity: Decimal, conversion: dict | None) -> Decimal:
    if not conversion:
        return quantity
    factor = Decimal(str(conversion["conversion_factor"]))
    return quantity / factor if conversion.get("operation") == "DIVIDE" else quantity * factor


def _products(field: str) -> list[Product]:
    return [
        p
        for p in Product.objects.filter(type=ProductType.USAGE, archived_at__isnull=True)
        if str((p.custom_fields or {}).get(field) or "").strip()
    ]


def _usage_by_dimension(
    products: list[Product], field: str, contract: Contract, start: datetime, hour: datetime
) -> dict[str, Decimal]:
    """Each dimension's usage over [start, hour + 1 h), converted."""
    usage: dict[str, Decimal] = defaultdict(Decimal)
    for product in products:
        versions = [v for v in product_versions(product) if v.starting_at <= hour]
        version = versions[-1] if versions else None
        if version is None or version.billable_metric is None:
            continue
        values = metric_usage(
            metric=version.billable_metric,
            customer=contract.customer,
            starting_at=start,
            ending_before=hour + HOUR,
        )
        total = sum(values.values(), Decimal(0))
        usage[str(product.custom_fields[field]).strip()] += _converted(
            total, version.quantity_conversion
        )
    return usage


def _new_usage(
    products: list[Product], field: str, configuration_id: int, contract: Contract, hour: datetime
) -> dict[str, Decimal]:
    """What each dimension used that no earlier record holds: the usage from the
    configuration's first recorded hour through this one, less what the records before this
    hour hold. Events that arrive late for an hour already recorded are metered with the next
    hour (not lost); before the first record there was none to meter."""
    records = MarketplaceMeterRecord.objects.filter(configuration_id=configuration_id)
    first = records.order_by("hour").values_list("hour", flat=True).first()
    start = min(first, hour) if first is not None else hour
    recorded = dict(
        records.filter(hour__gte=start, hour__lt=hour)
        .values_list("dimension")
        .annotate(total=Sum("usage"))
        .values_list("dimension", "total")
    )
    used = _usage_by_dimension(products, field, contract, start, hour)
    new = {d: value - (recorded.get(d) or Decimal(0)) for d, value in used.items()}
    return {dimension: value for dimension, value in new.items() if value > 0}


def _contract_in_force(configuration: CustomerBillingProviderConfiguration, hour: datetime):
    return (
        Contract.objects.filter(
            billing_provider_configuration=configuration,
            archived_at__isnull=True,
            starting_at__lte=hour,
        )
        .filter(Q(ending_before__isnull=True) | Q(ending_before__gt=hour))
        .select_related("customer")
        .order_by("starting_at", "pk")
        .first()
    )


def _quantity(configuration_id: int, dimension: str, hour: datetime, usage: Decimal) -> int:
    earlier = MarketplaceMeterRecord.objects.filter(
        configuration_id=configuration_id, dimension=dimension, hour__lt=hour
    ).aggregate(usage=Sum("usage"), quantity=Sum("quantity"))
    running = (earlier["usage"] or Decimal(0)) + usage
    whole = int(running.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return max(whole - (earlier["quantity"] or 0), 0)


def _cursor(configuration_id: int, hour: datetime) -> MarketplaceMeteringCursor:
    """The configuration's cursor, locked (created at `hour` the first time)."""
    MarketplaceMeteringCursor.objects.get_or_create(
        configuration_id=configuration_id, defaults={"recorded_through": hour}
    )
    return MarketplaceMeteringCursor.objects.select_for_update().get(
        configuration_id=configuration_id
    )


@transaction.atomic
def configuration_hour_record(
    *, configuration_id: int, hour: datetime, products: list[Product]
) -> list[MarketplaceMeterRecord]:
    """Record one configuration's usage of one hour; an hour already recorded adds nothing.
    The configuration's cursor row is locked, so two runs of the same hour create one set."""
    cursor = _cursor(configuration_id, hour)
    if hour < cursor.recorded_through:
        return []  # evaluated before (a rerun, another worker)
    cursor.recorded_through, cursor.error, cursor.error_at = hour + HOUR, "", None
    cursor.save(update_fields=["recorded_through", "error", "error_at"])
    configuration = (
        CustomerBillingProviderConfiguration.objects.filter(
            pk=configuration_id, archived_at__isnull=True
        )
        .select_related("customer")
        .first()
    )
    if configuration is None:
        return []
    contract = _contract_in_force(configuration, hour)
    if contract is None:
        return []
    field = DIMENSION_FIELDS[BillingProvider(configuration.billing_provider)]
    done = set(
        MarketplaceMeterRecord.objects.filter(configuration=configuration, hour=hour).values_list(
            "dimension", flat=True
        )
    )
    created = []
    new_usage = _new_usage(products, field, configuration.pk, contract, hour)
    for dimension, usage in sorted(new_usage.items()):
        if dimension in done:
            continue
        quantity = _quantity(configuration.pk, dimension, hour, usage)
        created.append(
            MarketplaceMeterRecord.objects.create(
                configuration=configuration,
                customer=contract.customer,
                contract=contract,
                billing_provider=configuration.billing_provider,
                dimension=dimension,
                hour=hour,
                usage=usage,
                quantity=quantity,
                status=MeterStatus.PENDING if quantity else MeterStatus.CARRIED,
                next_attempt_at=hour + HOUR if quantity else None,
            )
        )
    return created


def marketplace_hours_record(*, now: datetime) -> int:
    """Record every due hour for every live marketplace configuration; one configuration's
    failure is logged and the others go on (its hour is tried again by the next run)."""
    created = 0
    for provider, field in DIMENSION_FIELDS.items():
        products = _products(field)
        if not products:
            continue
        configuration_ids = list(
            CustomerBillingProviderConfiguration.objects.active()
            .filter(billing_provider=provider, provider__archived_at__isnull=True)
            .values_list("pk", flat=True)
        )
        for configuration_id in configuration_ids:
            for hour in hours_due(now):
                try:
                    created += len(
                        configuration_hour_record(
                            configuration_id=configuration_id, hour=hour, products=products
                        )
                    )
                except Exception as error:
                    # The cursor stays before this hour: the next run tries it again.
                    logger.exception(
                        "marketplace metering: configuration %s, hour %s", configuration_id, hour
                    )
                    _stalled(configuration_id, hour, error)
                    break
    return created


def _stalled(configuration_id: int, hour: datetime, error: Exception) -> None:
    """Recorded on the configuration's cursor (since when it stalls), for the metering page."""
    from invoicing.failures import describe

    MarketplaceMeteringCursor.objects.get_or_create(
        configuration_id=configuration_id, defaults={"recorded_through": hour}
    )
    cursor = MarketplaceMeteringCursor.objects.filter(configuration_id=configuration_id)
    failing_record(cursor, describe(error), timezone.now())
