"""What rating one usage statement needs, as plain frozen values: the contract's terms, the
rate card's rates and product versions, usage quantities, and what commits can give.

invoicing.rating.loader builds a StatementSnapshot with a fixed number of queries; the core
(invoicing.rating.statement) turns it into lines and draws without touching the database.
Values keep the names of the model fields they come from, so the rules read as before.

Rates, product versions, overrides, commits and segments compare by `pk` alone, as the rows
they stand for do: two versions with the same fields are still two versions.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from billing_console.lib.periods import Period

GroupValues = tuple[str | None, ...]
GroupQuantities = Mapping[tuple, Decimal]  # {group values: quantity}, a group only with usage
Only = tuple[str, tuple[str, ...]]  # a usage filter entry: (property, the values that count)


@dataclass(frozen=True)
class ProductRef:
    """A product as lines name it (the row is put back by invoicing.rating.apply)."""

    pk: int
    public_id: UUID = field(compare=False)
    name: str = field(compare=False)
    type: str = field(compare=False)  # USAGE, SUBSCRIPTION, COMPOSITE, FIXED, PRO_SERVICE


@dataclass(frozen=True)
class MetricTerms:
    pk: int
    aggregation_type: str = field(
        compare=False
    )  # COUNT, SUM, MAX, UNIQUE, LATEST; "" for a SQL metric


@dataclass(frozen=True)
class ProductVersionTerms:
    """A product's definition from `starting_at` until its next version starts."""

    pk: int
    starting_at: datetime = field(compare=False)
    name: str = field(compare=False)
    billable_metric: MetricTerms | None = field(compare=False)
    tags: tuple[str, ...] = field(compare=False)
    pricing_group_key: tuple[str, ...] = field(compare=False)
    presentation_group_key: tuple[str, ...] = field(compare=False)
    quantity_conversion: Mapping[str, Any] | None = field(
        compare=False
    )  # {conversion_factor, operation}
    quantity_rounding: Mapping[str, Any] | None = field(
        compare=False
    )  # {decimal_places, rounding_method}
    composite_product_ids: tuple[str, ...] = field(compare=False)
    composite_tags: tuple[str, ...] = field(compare=False)


@dataclass(frozen=True)
class RateTerms:
    pk: int
    public_id: UUID = field(compare=False)
    product_id: int = field(compare=False)
    starting_at: datetime = field(compare=False)
    ending_before: datetime | None = field(compare=False)
    entitled: bool = field(compare=False)
    rate_type: str = field(compare=False)  # FLAT, TIERED, PERCENTAGE, SUBSCRIPTION, CUSTOM
    price: Decimal | None = field(compare=False)  # per unit, in the rate's credit type
    tiers: tuple[Mapping[str, Any], ...] = field(compare=False)  # [{size?, price}] as stored
    pricing_group_values: Mapping[str, Any] = field(compare=False)
    credit_type_id: int = field(compare=False)
    custom_unit: bool = field(
        compare=False
    )  # priced in a custom credit type, converted to the card's fiat
    commit_rate: Mapping[str, Any] | None = field(compare=False)  # {rate_type, price, tiers}
    billing_frequency: str = field(compare=False)
    tier_reset_frequency: int = field(compare=False)


@dataclass(frozen=True)
class CustomUnit:
    public_id: Any
    name: str
    decimal_places: int
    to_fiat: Decimal  # fiat per unit, from the rate card's conversion


@dataclass(frozen=True)
class RateCardTerms:
    """A rate card as rating reads it; shared by the statements of one batch."""

    rates: tuple[RateTerms, ...]  # every rate, by product name, product, start, pk
    products: Mapping[int, ProductRef]  # by pk: the card's products, and subscriptions' ones
    versions: Mapping[int, tuple[ProductVersionTerms, ...]]  # by product pk, oldest first
    custom_units: Mapping[int, CustomUnit]  # by credit type pk, with the card's conversion


@dataclass(frozen=True)
class OverrideTerms:
    pk: int
    public_id: UUID = field(compare=False)
    type: str = field(compare=False)  # OVERWRITE, MULTIPLIER, TIERED
    starting_at: datetime = field(compare=False)
    ending_before: datetime | None = field(compare=False)
    product_id: int | None = field(compare=False)
    applicable_product_tags: tuple[str, ...] = field(compare=False)
    override_specifiers: tuple[Mapping[str, Any], ...] = field(compare=False)
    multiplier: Decimal | None = field(compare=False)
    overwrite_rate: Mapping[str, Any] | None = field(
        compare=False
    )  # {rate_type, price, tiers, ...}
    tiers: tuple[Mapping[str, Any], ...] | None = field(compare=False)  # [{size?, multiplier}]
    priority: Decimal | None = field(compare=False)
    entitled: bool | None = field(compare=False)
    is_commit_specific: bool = field(compare=False)
    target: str = field(compare=False)  # COMMIT_RATE | LIST_RATE ("" = LIST_RATE)
    archived_at: datetime | None = field(compare=False)


@dataclass(frozen=True)
class UsageFilterEntry:
    """One entry of the contract's usage filter, in force from `starting_at` to the next."""

    group_key: str
    group_values: tuple[str, ...]
    starting_at: datetime


@dataclass(frozen=True)
class ContractTerms:
    pk: int
    public_id: UUID
    customer_id: int
    starting_at: datetime
    ending_before: datetime | None
    usage_statement_anchor: datetime
    usage_statement_frequency: str
    multiplier_override_prioritization: str  # LOWEST_MULTIPLIER | EXPLICIT
    rate_card: RateCardTerms | None
    overrides: tuple[OverrideTerms, ...]  # all of them, archived ones too, by start then pk
    usage_filter: tuple[UsageFilterEntry, ...]


@dataclass(frozen=True)
class SegmentTerms:
    pk: int
    public_id: UUID = field(compare=False)
    starting_at: datetime = field(compare=False)
    ending_before: datetime = field(compare=False)


@dataclass(frozen=True)
class CommitTerms:
    """A commit or credit (the contract's, or the customer's) and its access segments."""

    pk: int
    public_id: UUID = field(compare=False)
    kind: str = field(compare=False)  # PREPAID, POSTPAID, CREDIT
    name: str = field(compare=False)
    product: ProductRef = field(compare=False)
    customer_id: int = field(compare=False)
    contract_id: int | None = field(compare=False)
    applicable_contract_ids: tuple[str, ...] = field(
        compare=False
    )  # a customer-level commit's contracts
    applicable_product_ids: tuple[str, ...] = field(compare=False)
    applicable_product_tags: tuple[str, ...] = field(compare=False)
    specifiers: tuple[Mapping[str, Any], ...] = field(compare=False)
    priority: Decimal | None = field(compare=False)
    rate_type: str = field(compare=False)  # COMMIT_RATE | LIST_RATE
    access_credit_type_id: int | None = field(compare=False)  # None: the contract's fiat
    access_unit_places: int = field(compare=False)  # decimal places of an amount in the access unit
    issuer_public_id: UUID | None = field(
        compare=False
    )  # the recurring commit or credit that issued it
    segments: tuple[SegmentTerms, ...] = field(compare=False)  # by start, then pk
    # a parent contract's commit that this child contract may draw (child_access)
    from_parent: bool = field(default=False, compare=False)


@dataclass(frozen=True)
class SubscriptionPeriod:
    """One billing period of a subscription: clipped to its window, the full period (for
    proration), the quantity at its start and each change inside it (moment, before, after)."""

    clipped: Period
    full: Period
    start_quantity: Decimal
    steps: tuple[tuple[datetime, Decimal, Decimal], ...]


@dataclass(frozen=True)
class SubscriptionTerms:
    public_id: UUID
    product: ProductRef
    name: str  # the subscription's name, or its product's
    collection_schedule: str  # ADVANCE | ARREARS
    invoice_placement: str  # ON_USAGE_INVOICE | ON_SCHEDULED_INVOICE
    invoice_behavior: str  # BILL_IMMEDIATELY | BILL_ON_NEXT_COLLECTION_DATE
    billing_frequency: str
    is_prorated: bool
    proration_rounding: Mapping[str, Any] | None  # {decimal_places, rounding_method}
    versions: tuple[ProductVersionTerms, ...]  # of its product, oldest first
    periods: tuple[SubscriptionPeriod, ...]  # those starting before the loader's horizon


@dataclass(frozen=True)
class UsageChargeTerms:
    """A scheduled charge item billed on the usage statement (invoicing.usage_charges)."""

    pk: int
    charge_public_id: UUID = field(compare=False)
    product: ProductRef = field(compare=False)
    name: str = field(compare=False)
    quantity: Decimal = field(compare=False)
    unit_price: Decimal = field(compare=False)
    amount: Decimal = field(compare=False)  # unrounded, in the invoice's credit type


@dataclass(frozen=True)
class UsageQuestion:
    """A usage quantity rating asks for: a metric over [starting_at, ending_before), grouped
    by `group_by`, counting only the events a usage filter entry lets through (`only`)."""

    metric_id: int
    starting_at: datetime
    ending_before: datetime
    group_by: tuple[str, ...]
    only: Only | None = None


@dataclass(frozen=True)
class StatementSnapshot:
    """Everything one usage statement's lines and draws depend on."""

    contract: ContractTerms
    period: Period  # what the statement covers (a breakdown window: part of the invoice's)
    invoice_period: Period  # the invoice's own period: which segments it may draw
    invoice_customer_id: int  # whose commits and credits it may draw (with the contract's)
    places: int  # decimal places of a line total in the invoice's credit type
    commits: tuple[CommitTerms, ...]  # the contract's and the customer's, not archived
    available: Mapping[int, Decimal]  # by segment pk: what it can give this invoice
    shortfalls: Mapping[int, Decimal]  # by postpaid segment pk ending in the period: unused
    true_ups_removed_from: datetime | None  # a renewal dropped true-ups due from then on
    subscriptions: tuple[SubscriptionTerms, ...]
    usage: Mapping[UsageQuestion, GroupQuantities]
    # scheduled charge items consolidated onto this statement (none unless the contract has
    # scheduled_charges_on_usage_invoices ALL and the window ends the invoice's period)
    usage_charges: tuple[UsageChargeTerms, ...] = ()
