"""Bulk reads of what rating a rate card needs, one query each: all its rates, the versions of
many products, its custom credit type conversions (invoicing.rating.loader)."""

from collections.abc import Iterable

from pricing.models import CreditTypeConversion, ProductVersion, Rate, RateCard


def card_rates(rate_card: RateCard) -> list[Rate]:
    """Every rate of the card, with its product and credit type, in the order rates_for gives
    them (product name, product, start)."""
    return list(
        rate_card.rates.select_related("product", "credit_type").order_by(
            "product__name", "product_id", "starting_at", "pk"
        )
    )


def versions_by_product(product_ids: Iterable[int]) -> dict[int, list[ProductVersion]]:
    """{product pk: its versions with their billable metric, oldest first}."""
    by_product: dict[int, list[ProductVersion]] = {pk: [] for pk in product_ids}
    if not by_product:
        return by_product
    for version in (
        ProductVersion.objects.filter(product_id__in=list(by_product))
        .select_related("billable_metric")
        .order_by("starting_at")
    ):
        by_product[version.product_id].append(version)
    return by_product


def card_conversions(rate_card: RateCard) -> list[CreditTypeConversion]:
    """How many fiat units a unit of each custom credit type is worth on the card."""
    return list(rate_card.conversions.select_related("custom_credit_type"))
