"""Usage lines of a statement: quantities from `usage`, rates from the rate card and the
contract's overrides, priced by the pure functions of pricing.rating.

A period is cut wherever a rate, an override or a product version changes, so usage is priced
by the rate in force when it happened; adjacent pieces priced alike are merged back into one
line. One line per product, pricing group value and price; none for a group with no usage.
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


def _group_key(state: Any) -> list[str]:
    return list(state.pricing_group_key or [])


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
    for product_rates in by_product.values():
        product = product_rates[0].product
        if product.type != "USAGE":
            continue
        lines.extend(
            _product_lines(contract, product, product_rates, window, places, source, changes)
        )
    return lines


def _product_lines(
    contract: Contract,
    product: Product,
    rates: list,
    window: Period,
    places: int,
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
        group_key = _group_key(state)
        quantities = usage(
            metric=state.billable_metric,
            customer=contract.customer,
            starting_at=piece.start,
            ending_before=piece.end,
            group_by=group_key or None,
        )
        for group, quantity in quantities.items():
            values = dict(zip(group_key, group, strict=True))
            price = resolve_price(contract, product, state, values, piece.start)
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
                contract, first_state, _group_key(first_state), window, frequency, usage
            )
        # Units already priced: earlier statements of the tier block, then earlier pieces.
        used = carries[key].get(group, Decimal(0))
        for piece, price, state, known in run:
            group_key = _group_key(state)
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
            line = _price_line(product, state, group_key, group, piece, raw, price, used, places)
            used += line.quantity or Decimal(0)
            lines.append(line)
    return lines


def _price_line(
    product: Product,
    state: Any,
    group_key: list[str],
    group: GroupValues,
    piece: Period,
    raw: Decimal,
    price: ResolvedPrice,
    used: Decimal,
    places: int,
) -> DraftLine:
    quantity = converted(state, raw)
    rated = price.rate(quantity, already_used=used)
    return DraftLine(
        type="USAGE",
        name=state.name,
        product=product,
        product_tags=list(state.tags or []),
        starting_at=piece.start,
        ending_before=piece.end,
        pricing_group_values=dict(zip(group_key, group, strict=True)),
        quantity=quantity,
        raw_quantity=raw,
        unit_price=price.unit_price(quantity, rated.amount),
        list_price=price.list_price,
        total_unrounded=rated.amount,
        total=round_line(rated.amount, places),
        tiers=price.tier_details(rated),
        explanation=price.explanation(),
    )
