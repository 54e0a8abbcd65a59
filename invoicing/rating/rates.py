"""Rates in force and product versions, read from a rate card snapshot (what
pricing.selectors answers from the database: rates_for, rate_at, product_state_at)."""

from datetime import datetime
from typing import Any

from invoicing.rating.snapshot import ProductVersionTerms, RateCardTerms, RateTerms


def rates_in(
    card: RateCardTerms,
    starting_at: datetime,
    ending_before: datetime | None,
    product_id: int | None = None,
) -> list[RateTerms]:
    """Rates of the card in force at some moment of [starting_at, ending_before), in the
    card's order (product name, product, start)."""
    return [
        r for r in card.rates
        if (product_id is None or r.product_id == product_id)
        and (r.ending_before is None or r.ending_before > starting_at)
        and (ending_before is None or r.starting_at < ending_before)
    ]  # fmt: skip


def rate_at(
    card: RateCardTerms, product_id: int, at: datetime, values: dict[str, Any]
) -> RateTerms | None:
    """The rate for the product with pricing group `values` at `at`: the rate whose group
    values all match (the most specific one), else a rate without group values; None when
    unpriced."""
    best: RateTerms | None = None
    for rate in rates_in(card, at, None, product_id):
        if not (rate.starting_at <= at and (rate.ending_before is None or at < rate.ending_before)):
            continue
        wanted = rate.pricing_group_values or {}
        if not all(values.get(key) == value for key, value in wanted.items()):
            continue
        if best is None or len(wanted) > len(best.pricing_group_values or {}):
            best = rate
    return best


def state_at(card: RateCardTerms, product_id: int, at: datetime) -> ProductVersionTerms:
    """The version of the product in force at `at` (the first version before any starts)."""
    versions = card.versions[product_id]
    current = versions[0]
    for version in versions:
        if version.starting_at <= at:
            current = version
    return current


def change_points(
    card: RateCardTerms, product_id: int, start: datetime, end: datetime
) -> list[datetime]:
    """Moments strictly inside [start, end) at which a new version of the product starts."""
    return [v.starting_at for v in card.versions[product_id] if start < v.starting_at < end]
