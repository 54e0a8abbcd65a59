"""Rows made into the snapshot's plain values, and rate cards read once per batch.

The Django side of the rating core (with invoicing.rating.loader): every function here reads
rows already loaded, except `Cards.held`, which reads a rate card in three queries the first
time a batch's statement needs it.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contracts.models import Commit, Contract, Override, Subscription
from contracts.terms.subscriptions import (
    quantity_steps,
    subscription_periods,
    subscription_timeline,
)
from contracts.terms.usage_filters import usage_filter_segments
from invoicing.rating.snapshot import (
    CommitTerms,
    ContractTerms,
    CustomUnit,
    MetricTerms,
    OverrideTerms,
    ProductRef,
    ProductVersionTerms,
    RateCardTerms,
    RateTerms,
    SegmentTerms,
    SubscriptionPeriod,
    SubscriptionTerms,
    UsageFilterEntry,
)
from pricing.models import Product, ProductVersion, Rate, RateCard
from pricing.rates_in_force import card_conversions, card_rates, versions_by_product
from usage.models import BillableMetric


def product_ref(product: Product) -> ProductRef:
    return ProductRef(product.pk, product.public_id, product.name, product.type)


def version_terms(version: ProductVersion) -> ProductVersionTerms:
    metric = version.billable_metric
    return ProductVersionTerms(
        pk=version.pk,
        starting_at=version.starting_at,
        name=version.name,
        billable_metric=MetricTerms(metric.pk, metric.aggregation_type) if metric else None,
        tags=tuple(version.tags or []),
        pricing_group_key=tuple(version.pricing_group_key or []),
        presentation_group_key=tuple(version.presentation_group_key or []),
        quantity_conversion=version.quantity_conversion,
        quantity_rounding=version.quantity_rounding,
        composite_product_ids=tuple(version.composite_product_ids or []),
        composite_tags=tuple(version.composite_tags or []),
    )


def rate_terms(rate: Rate) -> RateTerms:
    return RateTerms(
        pk=rate.pk,
        public_id=rate.public_id,
        product_id=rate.product_id,
        starting_at=rate.starting_at,
        ending_before=rate.ending_before,
        entitled=rate.entitled,
        rate_type=rate.rate_type,
        price=rate.price,
        tiers=tuple(rate.tiers or []),
        pricing_group_values=rate.pricing_group_values or {},
        credit_type_id=rate.credit_type_id,
        custom_unit=not rate.credit_type.is_fiat,
        commit_rate=rate.commit_rate,
        billing_frequency=rate.billing_frequency,
        tier_reset_frequency=rate.tier_reset_frequency,
    )


def override_terms(override: Override) -> OverrideTerms:
    return OverrideTerms(
        pk=override.pk,
        public_id=override.public_id,
        type=override.type,
        starting_at=override.starting_at,
        ending_before=override.ending_before,
        product_id=override.product_id,
        applicable_product_tags=tuple(override.applicable_product_tags or []),
        override_specifiers=tuple(override.override_specifiers or []),
        multiplier=override.multiplier,
        overwrite_rate=override.overwrite_rate,
        tiers=tuple(override.tiers) if override.tiers is not None else None,
        priority=override.priority,
        entitled=override.entitled,
        is_commit_specific=override.is_commit_specific,
        target=override.target,
        archived_at=override.archived_at,
    )


def commit_terms(commit: Commit, *, from_parent: bool = False) -> CommitTerms:
    """A commit with its segments (prefetched) and access credit type (selected);
    `from_parent`: a parent contract's commit shared with the child being rated."""
    unit = commit.access_credit_type
    return CommitTerms(
        pk=commit.pk,
        public_id=commit.public_id,
        kind=commit.kind,
        name=commit.name,
        product=product_ref(commit.product),
        customer_id=commit.customer_id,
        contract_id=commit.contract_id,
        applicable_contract_ids=tuple(commit.applicable_contract_ids or []),
        applicable_product_ids=tuple(commit.applicable_product_ids or []),
        applicable_product_tags=tuple(commit.applicable_product_tags or []),
        specifiers=tuple(commit.specifiers or []),
        priority=commit.priority,
        rate_type=commit.rate_type,
        access_credit_type_id=commit.access_credit_type_id,
        access_unit_places=unit.decimal_places if unit is not None else 0,
        issuer_public_id=commit.recurring_commit.public_id if commit.recurring_commit_id else None,
        segments=tuple(
            SegmentTerms(s.pk, s.public_id, s.starting_at, s.ending_before)
            for s in commit.segments.all()
        ),
        from_parent=from_parent,
    )


def subscription_terms(
    sub: Subscription, until: datetime, versions: list[ProductVersion]
) -> SubscriptionTerms:
    """A subscription (quantity changes prefetched) with its billing periods starting before
    `until`, each with its quantities (contracts.terms.subscriptions folds them)."""
    points = subscription_timeline(sub)
    periods = []
    for clipped, full in subscription_periods(sub, until):
        start, steps = quantity_steps(points, clipped)
        periods.append(SubscriptionPeriod(clipped, full, start, tuple(steps)))
    return SubscriptionTerms(
        public_id=sub.public_id,
        product=product_ref(sub.product),
        name=sub.name or sub.product.name,
        collection_schedule=sub.collection_schedule,
        invoice_placement=sub.invoice_placement,
        invoice_behavior=sub.invoice_behavior,
        billing_frequency=sub.billing_frequency,
        is_prorated=sub.is_prorated,
        proration_rounding=sub.proration_rounding,
        versions=tuple(version_terms(v) for v in versions),
        periods=tuple(periods),
    )


@dataclass(frozen=True)
class HeldCard:
    terms: RateCardTerms
    products: dict[int, Product]  # the rows behind terms.products
    metrics: dict[int, BillableMetric]  # the billable metrics of the products' versions
    versions: dict[int, list[ProductVersion]]  # by product pk


class Cards:
    """Rate cards' terms, each read once (rates, product versions, conversions: three
    queries) and shared by the statements that use it: one, or a batch (invoicing.close)."""

    def __init__(self) -> None:
        self._held: dict[int, HeldCard] = {}

    def held(self, card: RateCard) -> HeldCard:
        found = self._held.get(card.pk)
        if found is None:
            found = self._held[card.pk] = _card_read(card)
        return found


def _card_read(card: RateCard) -> HeldCard:
    rates = card_rates(card)
    products = {rate.product_id: rate.product for rate in rates}
    versions = versions_by_product(products)
    metrics = {
        v.billable_metric_id: v.billable_metric
        for product_versions in versions.values()
        for v in product_versions
        if v.billable_metric is not None
    }
    units = {
        c.custom_credit_type_id: CustomUnit(
            c.custom_credit_type.public_id, c.custom_credit_type.name,
            c.custom_credit_type.decimal_places, c.fiat_per_custom_credit,
        )
        for c in card_conversions(card)
    }  # fmt: skip
    terms = RateCardTerms(
        rates=tuple(rate_terms(rate) for rate in rates),
        products={pk: product_ref(product) for pk, product in products.items()},
        versions={pk: tuple(version_terms(v) for v in vs) for pk, vs in versions.items()},
        custom_units=units,
    )
    return HeldCard(terms, products, metrics, versions)


def contract_terms(contract: Contract, card: HeldCard | None) -> ContractTerms:
    """The contract's terms (overrides and usage filters prefetched, or read here)."""
    return ContractTerms(
        pk=contract.pk,
        public_id=contract.public_id,
        customer_id=contract.customer_id,
        starting_at=contract.starting_at,
        ending_before=contract.ending_before,
        usage_statement_anchor=contract.usage_statement_anchor,
        usage_statement_frequency=contract.usage_statement_frequency,
        multiplier_override_prioritization=contract.multiplier_override_prioritization,
        rate_card=card.terms if card is not None else None,
        overrides=tuple(override_terms(o) for o in contract.overrides.all()),
        usage_filter=tuple(
            UsageFilterEntry(s.group_key, tuple(s.group_values), s.starting_at)
            for s in usage_filter_segments(contract)
        ),
    )


def held_card(contract: Contract, cards: Cards) -> HeldCard | None:
    return cards.held(contract.rate_card) if contract.rate_card is not None else None


def rows_products(*groups: Any) -> dict[int, Product]:
    """Product rows by pk from several sources (the first one seen of each pk)."""
    out: dict[int, Product] = {}
    for group in groups:
        for product in group:
            out.setdefault(product.pk, product)
    return out
