"""Pricing reads: products as of a moment, rates in force, rate schedules."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from billing_console.api import get_by_public_id
from pricing.models import (
    CreditType,
    Package,
    Product,
    ProductVersion,
    Rate,
    RateCard,
    RateCardProductPosition,
)


def credit_type_get(public_id: Any, field: str = "credit_type_id") -> CreditType:
    return get_by_public_id(CreditType.objects.all(), public_id, "credit type", field)


def product_get(public_id: Any, field: str = "id") -> Product:
    return get_by_public_id(Product.objects.all(), public_id, "product", field)


def rate_card_get(public_id: Any, field: str = "id") -> RateCard:
    return get_by_public_id(
        RateCard.objects.select_related("fiat_credit_type"), public_id, "rate card", field
    )


def package_get(public_id: Any, field: str = "package_id") -> Package:
    return get_by_public_id(
        Package.objects.select_related("rate_card"), public_id, "package", field
    )


def product_list(
    *, archived: str = "NOT_ARCHIVED", search: str = "", product_type: str = ""
) -> QuerySet[Product]:
    qs = Product.objects.all()
    if archived == "NOT_ARCHIVED":
        qs = qs.filter(archived_at__isnull=True)
    elif archived == "ARCHIVED":
        qs = qs.filter(archived_at__isnull=False)
    if search:
        qs = qs.filter(name__icontains=search)
    if product_type:
        qs = qs.filter(type=product_type)
    return qs


def product_versions(product: Product) -> list[ProductVersion]:
    cached = getattr(product, "_versions_cache", None)
    if cached is None:
        cached = list(product.versions.select_related("billable_metric").order_by("starting_at"))
        product._versions_cache = cached
    return cached


def _versions_prefetch(products: list[Product]) -> None:
    """Read the versions of all these products in one query (product_versions' cache)."""
    missing = [p for p in products if getattr(p, "_versions_cache", None) is None]
    if not missing:
        return
    by_product: dict[int, list[ProductVersion]] = {p.pk: [] for p in missing}
    for version in (
        ProductVersion.objects.filter(product_id__in=list(by_product))
        .select_related("billable_metric")
        .order_by("starting_at")
    ):
        by_product[version.product_id].append(version)
    for product in missing:
        product._versions_cache = by_product[product.pk]


def product_state_at(product: Product, at: datetime) -> ProductVersion:
    """The version of `product` in force at `at` (the first version before any starts)."""
    versions = product_versions(product)
    current = versions[0]
    for version in versions:
        if version.starting_at <= at:
            current = version
    return current


def product_current(product: Product) -> ProductVersion:
    return product_versions(product)[-1]


def product_change_points(product: Product, start: datetime, end: datetime) -> list[datetime]:
    """Moments strictly inside [start, end) at which a new version of the product takes effect."""
    return [v.starting_at for v in product_versions(product) if start < v.starting_at < end]


def _overlapping(qs: QuerySet, starting_at: datetime, ending_before: datetime | None) -> QuerySet:
    qs = qs.filter(Q(ending_before__isnull=True) | Q(ending_before__gt=starting_at))
    if ending_before is not None:
        qs = qs.filter(starting_at__lt=ending_before)
    return qs


def rates_for(
    rate_card: RateCard,
    *,
    starting_at: datetime,
    ending_before: datetime | None,
    product: Product | None = None,
) -> list[Rate]:
    """Rates of the card in force at some moment of [starting_at, ending_before)."""
    snapshot = getattr(rate_card, "_rates_snapshot", None)
    if snapshot is not None:  # inside `rates_snapshot`: answered from memory
        return [
            r for r in snapshot
            if (product is None or r.product_id == product.pk)
            and (r.ending_before is None or r.ending_before > starting_at)
            and (ending_before is None or r.starting_at < ending_before)
        ]  # fmt: skip
    qs = _overlapping(
        rate_card.rates.select_related("product", "credit_type"), starting_at, ending_before
    )
    if product is not None:
        qs = qs.filter(product=product)
    return list(qs.order_by("product__name", "product_id", "starting_at", "pk"))


@contextmanager
def rates_snapshot(rate_card: RateCard | None) -> Iterator[None]:
    """Within the block, rates_for and rate_at read the card's rates from one query made on
    entry (a statement computation asks for them hundreds of times)."""
    if rate_card is None or getattr(rate_card, "_rates_snapshot", None) is not None:
        yield
        return
    rate_card._rates_snapshot = list(
        rate_card.rates.select_related("product", "credit_type").order_by(
            "product__name", "product_id", "starting_at", "pk"
        )
    )
    _versions_prefetch([rate.product for rate in rate_card._rates_snapshot])
    try:
        yield
    finally:
        rate_card._rates_snapshot = None


def rate_at(
    rate_card: RateCard, product: Product, at: datetime, values: dict[str, Any]
) -> Rate | None:
    """The rate for `product` with pricing group `values` at `at`: the rate whose group values
    all match (the most specific one), else a rate without group values; None when unpriced."""
    best: Rate | None = None
    for rate in rates_for(rate_card, starting_at=at, ending_before=None, product=product):
        if not (rate.starting_at <= at and (rate.ending_before is None or at < rate.ending_before)):
            continue
        wanted = rate.pricing_group_values or {}
        if not all(values.get(key) == value for key, value in wanted.items()):
            continue
        if best is None or len(wanted) > len(best.pricing_group_values or {}):
            best = rate
    return best


def in_product_order(rate_card: RateCard, rates: list[Rate]) -> list[Rate]:
    """`rates` (ordered by product name) in the card's product order: products with a position
    (setRateCardProductsOrder, moveRateCardProducts) first, the others after them by name."""
    positions = dict(
        RateCardProductPosition.objects.filter(rate_card=rate_card).values_list(
            "product_id", "position"
        )
    )
    if not positions:
        return rates

    def key(rate: Rate) -> tuple[bool, int]:
        position = positions.get(rate.product_id)
        return (position is None, position or 0)

    return sorted(rates, key=key)  # stable: name order among equals


def rates_at(
    rate_card: RateCard, at: datetime, selectors: list[dict[str, Any]] | None = None
) -> list[Rate]:
    """The rate schedule at one moment (getRates), in the card's product order."""
    rates = [
        r for r in rates_for(rate_card, starting_at=at, ending_before=None) if r.starting_at <= at
    ]
    return in_product_order(rate_card, [r for r in rates if rate_selected(r, selectors)])


def rate_selected(rate: Rate, selectors: list[dict[str, Any]] | None) -> bool:
    """Metronome's rate selectors: any selector matching selects the rate."""
    if not selectors:
        return True
    for selector in selectors:
        if selector.get("product_id") and selector["product_id"] != str(rate.product.public_id):
            continue
        if selector.get("partial_pricing_group_values") and not all(
            (rate.pricing_group_values or {}).get(k) == v
            for k, v in selector["partial_pricing_group_values"].items()
        ):
            continue
        if (
            selector.get("pricing_group_values") is not None
            and (rate.pricing_group_values or {}) != selector["pricing_group_values"]
        ):
            continue
        if selector.get("product_tags") and not set(selector["product_tags"]) & set(
            rate.product.tags or []
        ):
            continue
        if selector.get("billing_frequency") and selector["billing_frequency"] != (
            rate.billing_frequency or None
        ):
            continue
        return True
    return False


def rate_schedule(
    rate_card: RateCard, *, starting_at: datetime, ending_before: datetime | None,
    selectors: list[dict[str, Any]] | None = None,
) -> list[Rate]:  # fmt: skip
    rates = rates_for(rate_card, starting_at=starting_at, ending_before=ending_before)
    return in_product_order(rate_card, [r for r in rates if rate_selected(r, selectors)])


def _archive_filter(qs: QuerySet, archive_filter: str) -> QuerySet:
    if archive_filter == "NOT_ARCHIVED":
        return qs.filter(archived_at__isnull=True)
    if archive_filter == "ARCHIVED":
        return qs.filter(archived_at__isnull=False)
    return qs


def credit_type_list() -> QuerySet[CreditType]:
    return CreditType.objects.active()


def rate_card_list(*, archive_filter: str = "NOT_ARCHIVED") -> QuerySet[RateCard]:
    return _archive_filter(RateCard.objects.select_related("fiat_credit_type"), archive_filter)


def package_list(*, archive_filter: str = "NOT_ARCHIVED") -> QuerySet[Package]:
    return _archive_filter(
        Package.objects.select_related("rate_card__fiat_credit_type"), archive_filter
    )
