"""Reads for the pricing console pages: list rows, rate rows with display text, audit trails.

Writes never happen here; they go through pricing.services (and usage.services)."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from auditlog.models import LogEntry
from django.db.models import Count, Prefetch, Q, QuerySet

from billing_console.lib.money_text import format_money, major_text
from pricing import selectors
from pricing.models import Package, Product, ProductVersion, Rate, RateCard, RateType
from usage.models import BillableMetric


def decimal_text(value: Any) -> str:
    """A Decimal (or numeric string) without trailing zeros and never in exponent form."""
    if value is None or value == "":
        return ""
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "") else text


def metric_summary(metric: BillableMetric | None) -> str:
    """One line describing what a billable metric aggregates, for a tooltip."""
    if metric is None:
        return ""
    parts = [metric.aggregation_type or "SQL"]
    if metric.aggregation_key:
        parts.append(f"of {metric.aggregation_key}")
    types = metric.event_type_filter or {}
    if types.get("in_values"):
        parts.append(f"· event_type in {', '.join(types['in_values'])}")
    if types.get("not_in_values"):
        parts.append(f"· event_type not in {', '.join(types['not_in_values'])}")
    for prop in metric.property_filters or []:
        text = prop.get("name", "?")
        if prop.get("exists") is not None:
            text += " exists" if prop["exists"] else " missing"
        if prop.get("in_values"):
            text += f" in {', '.join(prop['in_values'])}"
        if prop.get("not_in_values"):
            text += f" not in {', '.join(prop['not_in_values'])}"
        parts.append(f"· {text}")
    if metric.group_keys:
        groups = " | ".join(", ".join(keys) for keys in metric.group_keys)
        parts.append(f"· group keys {groups}")
    return " ".join(parts)


# -- products ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductRow:
    product: Product
    version: ProductVersion  # in force at the moment the list was asked for
    metric_summary: str


def with_versions(qs: QuerySet[Product]) -> QuerySet[Product]:
    """Products with their dated versions (and metrics) loaded, for `product_rows`."""
    versions = ProductVersion.objects.select_related("billable_metric").order_by("starting_at")
    return qs.prefetch_related(Prefetch("versions", queryset=versions, to_attr="dated"))


def version_at(product: Product, at: datetime) -> ProductVersion | None:
    """The version in force at `at` (the first one before any starts); needs `with_versions`."""
    current = None
    for version in product.dated:
        if current is None or version.starting_at <= at:
            current = version
    return current


def product_rows(products: Iterable[Product], at: datetime) -> list[ProductRow]:
    rows = []
    for product in products:
        version = version_at(product, at)
        if version is not None:
            rows.append(ProductRow(product, version, metric_summary(version.billable_metric)))
    return rows


def product_names(public_ids: list[str]) -> list[str]:
    found = dict(Product.objects.filter(public_id__in=public_ids).values_list("public_id", "name"))
    return [found.get(_uuid(pid), pid) for pid in public_ids]


def _uuid(value: str) -> Any:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return value


def product_audit(product: Product, limit: int = 50) -> list[LogEntry]:
    """Changes to the product and to its versions, newest first."""
    version_pks = [str(pk) for pk in product.versions.values_list("pk", flat=True)]
    return list(
        LogEntry.objects.select_related("actor", "content_type")
        .filter(
            Q(
                content_type__app_label="pricing",
                content_type__model="product",
                object_pk=str(product.pk),
            )
            | Q(
                content_type__app_label="pricing",
                content_type__model="productversion",
                object_pk__in=version_pks,
            )
        )
        .order_by("-timestamp", "-pk")[:limit]
    )


def billable_metric_choices() -> QuerySet[BillableMetric]:
    return BillableMetric.objects.active().order_by("name")


# -- rate cards and rates ---------------------------------------------------------------------


def rate_card_list(*, search: str = "", status: str = "active") -> QuerySet[RateCard]:
    qs = RateCard.objects.select_related("fiat_credit_type").annotate(rate_count=Count("rates"))
    if status == "active":
        qs = qs.filter(archived_at__isnull=True)
    elif status == "archived":
        qs = qs.filter(archived_at__isnull=False)
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(description__icontains=search))
    return qs.order_by("name", "pk")


@dataclass(frozen=True)
class RateRow:
    rate: Rate
    price_text: str
    tier_texts: list[str]
    group_text: str

    @property
    def product_archived(self) -> bool:
        return self.rate.product.archived_at is not None


def tier_lines(tiers: list[dict[str, Any]], credit_type: Any = None) -> list[str]:
    """Tiers as the lines "size price" the rate form takes ("* price" for the last, unbounded),
    prices in `credit_type`'s major unit ("1000 0.02" for 2 cents)."""
    return [
        f"{decimal_text(t['size']) if t.get('size') else '*'} {major_text(t['price'], credit_type)}"
        for t in tiers or []
    ]


def _size_text(size: Any) -> str:
    return f"{Decimal(str(size)).normalize():,f}"


def tier_texts(tiers: list[dict[str, Any]], credit_type: Any = None) -> list[str]:
    """Tiers for reading: "next 1,000 @ $0.02", then "rest @ $0.01"."""
    return [
        f"next {_size_text(t['size'])} @ {format_money(t['price'], credit_type)}"
        if t.get("size")
        else f"{'rest' if index else 'all'} @ {format_money(t['price'], credit_type)}"
        for index, t in enumerate(tiers or [])
    ]


def group_text(values: dict[str, str]) -> str:
    return ", ".join(f"{key}={value}" for key, value in (values or {}).items())


def rate_row(rate: Rate) -> RateRow:
    """A rate for reading: prices in the rate's credit type, as people read it ("$25.00")."""
    price = ""
    if rate.rate_type == RateType.TIERED:
        price = ""
    elif rate.price is not None:
        price = format_money(rate.price, rate.credit_type)
        if rate.rate_type == RateType.PERCENTAGE:  # stored as a fraction: 0.05 is 5%
            price = f"{decimal_text(rate.price * 100)}% of the included products"
    elif rate.rate_type == RateType.CUSTOM:
        price = "custom"
    tiers = tier_texts(rate.tiers, rate.credit_type)
    return RateRow(rate, price, tiers, group_text(rate.pricing_group_values))


def rate_card_rates(
    rate_card: RateCard,
    *,
    as_of: datetime | None = None,
    archived_products: bool = False,
    disabled_rates: bool = False,
) -> list[RateRow]:
    """The card's rates (all of them, or those in force at `as_of`), filtered for the editor."""
    if as_of is not None:
        rates = selectors.rates_at(rate_card, as_of)
    else:
        rates = list(
            rate_card.rates.select_related("product", "credit_type").order_by(
                "product__name", "product_id", "starting_at", "pk"
            )
        )
    if not archived_products:
        rates = [r for r in rates if r.product.archived_at is None]
    if not disabled_rates:
        rates = [r for r in rates if r.entitled]
    return [rate_row(r) for r in rates]


def rate_get(rate_card: RateCard, rate_id: Any) -> Rate | None:
    return (
        rate_card.rates.select_related("product", "credit_type", "rate_card")
        .filter(public_id=rate_id)
        .first()
    )


def rate_products() -> QuerySet[Product]:
    return Product.objects.filter(archived_at__isnull=True).order_by("name", "pk")


# -- packages ---------------------------------------------------------------------------------


def package_list(*, search: str = "", status: str = "active") -> QuerySet[Package]:
    qs = Package.objects.select_related("rate_card")
    if status == "active":
        qs = qs.filter(archived_at__isnull=True)
    elif status == "archived":
        qs = qs.filter(archived_at__isnull=False)
    if search:
        qs = qs.filter(name__icontains=search)
    return qs.order_by("name", "pk")


def package_get(package_id: Any) -> Package | None:
    return Package.objects.select_related("rate_card").filter(public_id=package_id).first()
