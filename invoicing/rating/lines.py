"""A statement's lines before they are written, and how a usage line was priced."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from invoicing.rating.prices import ResolvedPrice
from invoicing.rating.snapshot import ProductVersionTerms


@dataclass
class DraftLine:
    """A line before it is written: everything the invoice page explains. The core names
    its product with a ProductRef; invoicing.rating.apply puts the Product row in its place."""

    type: str
    name: str
    product: Any  # ProductRef in the core, the Product row for callers; None without one
    starting_at: datetime
    ending_before: datetime
    total_unrounded: Decimal
    total: Decimal
    product_tags: list[str] = field(default_factory=list)
    pricing_group_values: dict[str, str | None] = field(default_factory=dict)
    presentation_group_values: dict[str, str | None] = field(default_factory=dict)
    quantity: Decimal | None = None
    raw_quantity: Decimal | None = None
    unit_price: Decimal | None = None
    list_price: Decimal | None = None
    tiers: list[dict[str, str]] = field(default_factory=list)
    explanation: dict[str, Any] = field(default_factory=dict)
    commit_public_id: Any = None
    commit_segment_public_id: Any = None
    scheduled_charge_public_id: Any = None
    rating: "LineRating | None" = None  # how the line was priced, for drawdown; not stored


@dataclass(frozen=True)
class LineRating:
    """What repricing a usage line's units needs (commit rates, commit-specific overrides,
    custom-unit drawdown): its price, group values, moment and tier position."""

    price: ResolvedPrice
    state: ProductVersionTerms
    pricing_values: dict[str, Any]
    presentation_values: dict[str, Any]
    at: datetime
    used: Decimal  # units priced before this line in its tier block
    to_fiat: Decimal  # fiat per unit of the price's unit (1 for fiat)
    unit_places: int  # decimal places of an amount in the price's unit
