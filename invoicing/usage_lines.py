"""Usage lines of a statement: quantities from `usage`, rates from the rate card and the
contract's overrides, priced by the pure functions of pricing.rating.

A period is cut wherever a rate, an override or a product version changes, so usage is priced
by the rate in force when it happened; adjacent pieces priced alike are merged back into one
line. One line per product, pricing and presentation group value set and price; none for a
group with no usage, and a $0 line for a product without a pricing group key that had none.
A rate in a custom pricing unit is priced in that unit and converted to the card's fiat with
the card's conversion; the line keeps what draws down need (`LineRating`).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from billing_console.lib.money import round_line
from billing_console.lib.periods import Period, split_at
from contracts.models import Contract
from invoicing.overrides import ResolvedPrice, resolve_price
from invoicing.tier_carry import converted, tier_carry
from invoicing.usage_filter import filtered_usage, usage_filter_changes
from pricing import selectors as pricing_selectors
from pricing.models import Product
from usage.selectors import metric_usage

GroupValues = tuple[str | None, ...]
# metric_usage's signature: (metric=, customer=, starting_at=, ending_before=, group_by=) -> {group: qty}
UsageSource = Callable[..., dict[tuple, Decimal]]


@dataclass
class DraftLine:
    """A line before it is written: everything the invoice page explains."""

    type: str
    name: str
    product: Product | None
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
    state: Any
    pricing_values: dict[str, Any]
    presentation_values: dict[str, Any]
    at: datetime
    used: Decimal  # units priced before this line in its tier block
    to_fiat: Decimal  # fiat per unit of the price's unit (1 for fiat)
    unit_places: int  # decimal places of an amount in the price's unit


def _cut_points(
    contract: Contract, product: Product, rates: Iterable, period: Period, filter_changes: list
) -> list[datetime]:
    points: list[datetime] = list(filter_changes)
    for rate in rates:
        points.append(rate.starting_at)
        if rate.ending_before:
            points.append(rate.ending_before)
    for override in contract.overrides.all():
        points.append(override.starting_at)
        if override.ending_before:
            points.append(override.ending_before)
    points.extend(pricing_selectors.product_change_points(product, period.start, period.end))
    return points


def usage_group_key(state: Any) -> list[str]:
    """The usage dimensions of a line: pricing group keys, then presentation group keys."""
    pricing = list(state.pricing_group_key or [])
    return pricing + [k for k in state.presentation_group_key or [] if k not in pricing]


def _split_values(state: Any, group_key: list[str], group: GroupValues) -> tuple[dict, dict]:
    """(pricing group values, presentation group values) of a usage group."""
    values = dict(zip(group_key, group, strict=True))
    pricing = set(state.pricing_group_key or [])
    return (
        {k: v for k, v in values.items() if k in pricing},
        {k: v for k, v in values.items() if k not in pricing},
    )


@dataclass(frozen=True)
class CustomUnit:
    public_id: Any
    name: str
    decimal_places: int
    to_fiat: Decimal  # fiat per unit, from the rate card's conversion


def card_custom_units(contract: Contract) -> dict[int, CustomUnit]:
    """The custom credit types of the contract's rate card, by pk, with their conversions."""
    card = contract.rate_card
    if card is None:
        return {}
    held = getattr(card, "_custom_units", None)  # a batch's statements share the card
    if held is not None and getattr(card, "_rates_snapshot", None) is held[0]:
        return held[1]
    units = {
        c.custom_credit_type_id: CustomUnit(
            c.custom_credit_type.public_id, c.custom_credit_type.name,
            c.custom_credit_type.decimal_places,
            c.fiat_per_custom_credit,
        )
        for c in card.conversions.select_related("custom_credit_type")
    }  # fmt: skip
    snapshot = getattr(card, "_rates_snapshot", None)
    if snapshot is not None:  # kept as long as the card's rates snapshot (one computation)
        card._custom_units = (snapshot, units)
    return units


def usage_lines(
    contract: Contract, period: Period, places: int, *, usage: UsageSource | None = None
) -> list[DraftLine]:
    """Price every usage product of the contract's rate card over `period`, with quantities
    from `usage` (the stored events by default)."""
    if contract.rate_card is None:
        return []
    window = period.intersect(Period(contract.starting_at, contract.ending_before or period.end))
    if window is None:
        return []
    rates = pricing_selectors.rates_for(
        contract.rate_card, starting_at=window.start, ending_before=window.end
    )
    by_product: dict[int, list] = {}
    for rate in rates:
        by_product.setdefault(rate.product_id, []).append(rate)
    lines: list[DraftLine] = []
    # The contract's usage filter decides which events count (see invoicing.usage_filter).
    source = filtered_usage(contract, usage or metric_usage)
    changes = usage_filter_changes(contract)
    pricing = _Pricing(places, card_custom_units(contract))
    for product_rates in by_product.values():
        product = product_rates[0].product
        if product.type != "USAGE":
            continue
        lines.extend(
            _product_lines(contract, product, product_rates, window, pricing, source, changes)
        )
    return lines


@dataclass(frozen=True)
class _Pricing:
    places: int  # of the invoice's (fiat) credit type
    custom_units: dict[int, CustomUnit]  # by credit type pk


def _product_lines(
    contract: Contract,
    product: Product,
    rates: list,
    window: Period,
    pricing: _Pricing,
    usage: UsageSource,
    filter_changes: list[datetime],
) -> list[DraftLine]:
    pieces = split_at(window, _cut_points(contract, product, rates, window, filter_changes))
    # For each group value: consecutive (piece, price) pairs, merged when the price is equal.
    # A run's quantity is known from the piece query, and recomputed over the merged period
    # (MAX, UNIQUE and LATEST do not add up across pieces).
    runs: dict[GroupValues, list[tuple[Period, ResolvedPrice, Any, Decimal | None]]] = {}
    for piece in pieces:
        state = pricing_selectors.product_state_at(product, piece.start)
        if state.billable_metric is None:
            continue
        group_key = usage_group_key(state)
        quantities = usage(
            metric=state.billable_metric,
            customer=contract.customer,
            starting_at=piece.start,
            ending_before=piece.end,
            group_by=group_key or None,
        )
        for group, quantity in quantities.items():
            values, shown = _split_values(state, group_key, group)
            price = resolve_price(contract, product, state, values, piece.start, shown)
            if price is None:
                continue  # no rate (or not entitled) for this group: not billable here
            run = runs.setdefault(group, [])
            last = run[-1] if run else None
            if (
                last and last[1] == price and last[2] == state and last[0].end == piece.start
                and piece.start not in filter_changes  # counted events differ across a change
            ):  # fmt: skip
                run[-1] = (Period(last[0].start, piece.end), price, state, None)
            else:
                run.append((piece, price, state, quantity))
    lines = []
    reset = {str(rate.public_id): rate.tier_reset_frequency for rate in rates}
    carries: dict[tuple, dict[tuple, Decimal]] = {}
    for group, run in runs.items():
        _piece, first_price, first_state, _known = run[0]
        frequency = reset.get(first_price.rate_id, 1)
        key = (frequency, first_state.pk)
        if key not in carries:
            carries[key] = tier_carry(
                contract, first_state, usage_group_key(first_state), window, frequency, usage
            )
        # Units already priced: earlier statements of the tier block, then earlier pieces.
        used = carries[key].get(group, Decimal(0))
        for piece, price, state, known in run:
            group_key = usage_group_key(state)
            raw = known
            if raw is None:
                raw = usage(
                    metric=state.billable_metric,
                    customer=contract.customer,
                    starting_at=piece.start,
                    ending_before=piece.end,
                    group_by=group_key or None,
                ).get(group)
            if raw is None:
                continue
            line = _price_line(product, state, group_key, group, piece, raw, price, used, pricing)
            used += line.quantity or Decimal(0)
            lines.append(line)
    if not lines and not _has_pricing_group_key(product, pieces):
        lines.extend(_zero_line(contract, product, window, pricing))
    return lines


def _has_pricing_group_key(product: Product, pieces: list[Period]) -> bool:
    return any(
        pricing_selectors.product_state_at(product, piece.start).pricing_group_key
        for piece in pieces
    )


def _zero_line(
    contract: Contract, product: Product, window: Period, pricing: _Pricing
) -> list[DraftLine]:
    """The $0 line of a usage product without a pricing group key that had no usage (as
    Metronome shows it), when a price of it is in force at the window's start."""
    state = pricing_selectors.product_state_at(product, window.start)
    if state.billable_metric is None:
        return []
    price = resolve_price(contract, product, state, {}, window.start, {})
    if price is None:
        return []
    zero = Decimal(0)  # no group values: the line stands for the product as a whole
    return [_price_line(product, state, [], (), window, zero, price, zero, pricing)]


def _price_line(
    product: Product,
    state: Any,
    group_key: list[str],
    group: GroupValues,
    piece: Period,
    raw: Decimal,
    price: ResolvedPrice,
    used: Decimal,
    pricing: _Pricing,
) -> DraftLine:
    quantity = converted(state, raw)
    rated = price.rate(quantity, already_used=used)
    values, shown = _split_values(state, group_key, group)
    explanation = price.explanation()
    to_fiat, unit_places = Decimal(1), pricing.places
    amount = rated.amount
    if price.custom_unit is not None:
        custom = pricing.custom_units[price.custom_unit]  # rate_add requires the conversion
        to_fiat, unit_places = custom.to_fiat, custom.decimal_places
        explanation.update(
            credit_type_id=str(custom.public_id),
            credit_type_name=custom.name,
            custom_amount=str(rated.amount),
            fiat_per_custom_credit=str(to_fiat),
        )
        amount = rated.amount * to_fiat
    unit = price.unit_price(quantity, rated.amount)
    return DraftLine(
        type="USAGE",
        name=state.name,
        product=product,
        product_tags=list(state.tags or []),
        starting_at=piece.start,
        ending_before=piece.end,
        pricing_group_values=values,
        presentation_group_values=shown,
        quantity=quantity,
        raw_quantity=raw,
        unit_price=unit * to_fiat if unit is not None else None,
        list_price=price.list_price * to_fiat if price.list_price is not None else None,
        total_unrounded=amount,
        total=round_line(amount, pricing.places),
        tiers=price.tier_details(rated),
        explanation=explanation,
        rating=LineRating(price, state, values, shown, piece.start, used, to_fiat, unit_places),
    )
