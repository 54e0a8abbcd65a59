"""Reads for the pricing console pages: list rows, rate rows with display text, audit trails.

Writes never happen here; they go through pricing.services (and usage.services)."""

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from auditlog.models import LogEntry
from django.db.models import Count, Prefetch, Q, QuerySet

from pricing import selectors
from pricing.models import Package, Product, ProductVersion, Rate, RateCard, RateType
from usage.models import BillableMetric

# Sections of a package's wire-shaped terms, in the order the package page shows them.
TERM_SECTIONS = (
    ("commits", "Commits"),
    ("recurring_commits", "Recurring commits"),
    ("credits", "Credits"),
    ("recurring_credits", "Recurring credits"),
    ("scheduled_charges", "Scheduled charges"),
    ("subscriptions", "Subscriptions"),
    ("overrides", "Overrides"),
    ("spend_trackers", "Spend trackers"),
    ("usage_statement_schedule", "Usage statement schedule"),
)


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


def tier_lines(tiers: list[dict[str, Any]]) -> list[str]:
    """Tiers as the lines "size price" the rate form takes ("* price" for the last, unbounded)."""
    return [
        f"{decimal_text(t['size']) if t.get('size') else '*'} {decimal_text(t['price'])}"
        for t in tiers or []
    ]


def tier_texts(tiers: list[dict[str, Any]]) -> list[str]:
    """Tiers for reading: "next 1000 @ 2", then "rest @ 1"."""
    return [
        f"next {decimal_text(t['size'])} @ {decimal_text(t['price'])}"
        if t.get("size")
        else f"{'rest' if index else 'all'} @ {decimal_text(t['price'])}"
        for index, t in enumerate(tiers or [])
    ]


def group_text(values: dict[str, str]) -> str:
    return ", ".join(f"{key}={value}" for key, value in (values or {}).items())


def rate_row(rate: Rate) -> RateRow:
    price = ""
    if rate.rate_type == RateType.TIERED:
        price = ""
    elif rate.price is not None:
        price = decimal_text(rate.price)
        if rate.rate_type == RateType.PERCENTAGE:  # stored as a fraction: 0.05 is 5%
            price = f"{decimal_text(rate.price * 100)}% of the included products"
    elif rate.rate_type == RateType.CUSTOM:
        price = "custom"
    return RateRow(rate, price, tier_texts(rate.tiers), group_text(rate.pricing_group_values))


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


@dataclass(frozen=True)
class TermSection:
    key: str
    title: str
    columns: list[str]
    rows: list[list[str]]


def _cell(key: str, value: Any, names: dict[str, str]) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return names.get(value, value) if key.endswith("product_id") else value
    if isinstance(value, (int, float, Decimal, bool)):
        return str(value)
    return json.dumps(value, separators=(", ", ": "), default=str)


def package_term_sections(package: Package) -> list[TermSection]:
    """The package's terms split into the known sections, each a table of its items."""
    terms = package.terms or {}
    names = product_name_map(package)
    sections = []
    for key, title in TERM_SECTIONS:
        value = terms.get(key)
        if value in (None, [], {}):
            continue
        items = value if isinstance(value, list) else [value]
        items = [i if isinstance(i, dict) else {"value": i} for i in items]
        columns = list(dict.fromkeys(k for item in items for k in item))
        rows = [[_cell(c, item.get(c), names) for c in columns] for item in items]
        sections.append(TermSection(key, title, columns, rows))
    return sections


def package_other_terms(package: Package) -> dict[str, Any]:
    known = {key for key, _ in TERM_SECTIONS}
    return {k: v for k, v in (package.terms or {}).items() if k not in known}


def product_name_map(package: Package) -> dict[str, str]:
    """public id -> product name, for the product ids named anywhere in the terms."""
    ids: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                if key in ("product_id", "applicable_product_ids") or key.endswith("product_id"):
                    for pid in inner if isinstance(inner, list) else [inner]:
                        if isinstance(pid, str):
                            ids.add(pid)
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk(package.terms or {})
    valid = [u for u in (_uuid(i) for i in ids) if not isinstance(u, str)]
    return {
        str(pid): name
        for pid, name in Product.objects.filter(public_id__in=valid).values_list(
            "public_id", "name"
        )
    }
