"""Usage lines of a statement: quantities from the snapshot's usage, rates from its rate card
and the contract's overrides, priced by the pure functions of pricing.rating.

A period is cut wherever a rate, an override or a product version changes, so usage is priced
by the rate in force when it happened; adjacent pieces priced alike are merged back into one
line. One line per product, pricing and presentation group value set and price; none for a
group with no usage, and a $0 line for a product without a pricing group key that had none.
A rate in a custom pricing unit is priced in that unit and converted to the card's fiat with
the card's conversion; the line keeps what draws down need (`LineRating`).
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from itertools import groupby
from typing import Any

from billing_console.lib.money import round_line
from billing_console.lib.periods import Period, split_at
from invoicing.rating.lines import DraftLine, LineRating
from invoicing.rating.prices import ResolvedPrice, resolve_price
from invoicing.rating.quantities import Quantities, filter_changes
from invoicing.rating.rates import change_points, rates_in, state_at
from invoicing.rating.snapshot import (
    ContractTerms,
    CustomUnit,
    GroupValues,
    ProductRef,
    ProductVersionTerms,
    RateCardTerms,
    RateTerms,
    StatementSnapshot,
)
from invoicing.rating.tiers import converted, tier_carry

# For one group value: consecutive (piece, price, product version, quantity when known).
Run = list[tuple[Period, ResolvedPrice, ProductVersionTerms, Decimal | None]]


def usage_group_key(state: ProductVersionTerms) -> list[str]:
    """The usage dimensions of a line: pricing group keys, then presentation group keys."""
    pricing = list(state.pricing_group_key or [])
    return pricing + [k for k in state.presentation_group_key or [] if k not in pricing]


def _natural(value: str) -> tuple:
    """'node-10' after 'node-2', 'EU' beside 'eu': digit runs as numbers, the rest casefolded."""
    runs = ("".join(run) for _digit, run in groupby(value, str.isdecimal))
    return tuple((0, int(p), "") if p.isdecimal() else (1, 0, p.casefold()) for p in runs)


def group_order(group: GroupValues) -> tuple:
    """A usage group's place among its product's lines: by its values in the group key's order
    (pricing keys, then presentation keys), naturally and case-insensitively, a missing value
    last, the exact text breaking ties. The database's group order differs between PostgreSQL
    and SQLite; this one is the same on both, so API, console, PDF and embeds list alike."""
    return tuple((v is None, _natural(v or ""), v or "") for v in group)


def _split_values(
    state: ProductVersionTerms, group_key: list[str], group: GroupValues
) -> tuple[dict, dict]:
    """(pricing group values, presentation group values) of a usage group."""
    values = dict(zip(group_key, group, strict=True))
    pricing = set(state.pricing_group_key or [])
    return (
        {k: v for k, v in values.items() if k in pricing},
        {k: v for k, v in values.items() if k not in pricing},
    )


@dataclass(frozen=True)
class _Product:
    """One usage product being priced over the statement's window."""

    contract: ContractTerms
    card: RateCardTerms
    product: ProductRef
    rates: list[RateTerms]
    window: Period
    places: int  # of the invoice's (fiat) credit type
    filter_changes: list[datetime]

    def state(self, at: datetime) -> ProductVersionTerms:
        return state_at(self.card, self.product.pk, at)

    def cut_points(self) -> list[datetime]:
        points: list[datetime] = list(self.filter_changes)
        for rate in self.rates:
            points.append(rate.starting_at)
            if rate.ending_before:
                points.append(rate.ending_before)
        for override in self.contract.overrides:
            points.append(override.starting_at)
            if override.ending_before:
                points.append(override.ending_before)
        window = self.window
        points.extend(change_points(self.card, self.product.pk, window.start, window.end))
        return points


def usage_lines(snapshot: StatementSnapshot, usage: Quantities) -> list[DraftLine]:
    """Price every usage product of the contract's rate card over the statement's period.
    With `usage` discovering, only asks its questions (no line is priced)."""
    contract, period = snapshot.contract, snapshot.period
    card = contract.rate_card
    if card is None:
        return []
    window = period.intersect(Period(contract.starting_at, contract.ending_before or period.end))
    if window is None:
        return []
    by_product: dict[int, list[RateTerms]] = {}
    for rate in rates_in(card, window.start, window.end):
        by_product.setdefault(rate.product_id, []).append(rate)
    changes = filter_changes(snapshot)  # the contract's usage filter decides what counts
    lines: list[DraftLine] = []
    for product_id, rates in by_product.items():
        product = card.products[product_id]
        if product.type != "USAGE":
            continue
        priced = _Product(contract, card, product, rates, window, snapshot.places, changes)
        lines.extend(_product_lines(priced, usage))
    return lines


def _runs(priced: _Product, pieces: list[Period], usage: Quantities) -> dict[GroupValues, Run]:
    """Per group value: its consecutive (piece, price) pairs, merged when the price is equal.
    A run's quantity is known from the piece's question, and asked again over the merged
    period (MAX, UNIQUE and LATEST do not add up across pieces)."""
    runs: dict[GroupValues, Run] = {}
    for piece in pieces:
        state = priced.state(piece.start)
        if state.billable_metric is None:
            continue
        group_key = usage_group_key(state)
        quantities = usage(state.billable_metric, piece.start, piece.end, group_key)
        for group, quantity in quantities.items():
            values, shown = _split_values(state, group_key, group)
            price = resolve_price(
                priced.contract, priced.product, state, values, piece.start, shown
            )
            if price is None:
                continue  # no rate (or not entitled) for this group: not billable here
            run = runs.setdefault(group, [])
            last = run[-1] if run else None
            if (
                last and last[1] == price and last[2] == state and last[0].end == piece.start
                and piece.start not in priced.filter_changes  # counted events differ across a change
            ):  # fmt: skip
                run[-1] = (Period(last[0].start, piece.end), price, state, None)
            else:
                run.append((piece, price, state, quantity))
    return runs


def _product_lines(priced: _Product, usage: Quantities) -> list[DraftLine]:
    pieces = split_at(priced.window, priced.cut_points())
    runs = _runs(priced, pieces, usage)
    lines = []
    reset = {str(rate.public_id): rate.tier_reset_frequency for rate in priced.rates}
    carries: dict[tuple, dict[tuple, Decimal]] = {}
    for group, run in sorted(runs.items(), key=lambda item: group_order(item[0])):
        _piece, first_price, first_state, _known = run[0]
        frequency = reset.get(first_price.rate_id, 1)
        key = (frequency, first_state.pk)
        if key not in carries:
            carries[key] = tier_carry(
                priced.contract, first_state, usage_group_key(first_state), priced.window,
                frequency, usage,
            )  # fmt: skip
        # Units already priced: earlier statements of the tier block, then earlier pieces.
        used = carries[key].get(group, Decimal(0))
        for piece, price, state, known in run:
            group_key = usage_group_key(state)
            raw = known
            if raw is None:
                metric = state.billable_metric
                assert metric is not None  # runs hold only versions with a metric
                raw = usage(metric, piece.start, piece.end, group_key).get(group)
            if raw is None or usage.discover:
                continue
            line = _price_line(priced, state, group_key, group, piece, raw, price, used)
            used += line.quantity or Decimal(0)
            lines.append(line)
    if not lines and not usage.discover and not _has_pricing_group_key(priced, pieces):
        lines.extend(_zero_line(priced))
    return lines


def _has_pricing_group_key(priced: _Product, pieces: list[Period]) -> bool:
    return any(priced.state(piece.start).pricing_group_key for piece in pieces)


def _zero_line(priced: _Product) -> list[DraftLine]:
    """The $0 line of a usage product without a pricing group key that had no usage (as
    Metronome shows it), when a price of it is in force at the window's start."""
    window = priced.window
    state = priced.state(window.start)
    if state.billable_metric is None:
        return []
    price = resolve_price(priced.contract, priced.product, state, {}, window.start, {})
    if price is None:
        return []
    zero = Decimal(0)  # no group values: the line stands for the product as a whole
    return [_price_line(priced, state, [], (), window, zero, price, zero)]


def _price_line(
    priced: _Product,
    state: ProductVersionTerms,
    group_key: list[str],
    group: GroupValues,
    piece: Period,
    raw: Decimal,
    price: ResolvedPrice,
    used: Decimal,
) -> DraftLine:
    quantity = converted(state, raw)
    rated = price.rate(quantity, already_used=used)
    values, shown = _split_values(state, group_key, group)
    explanation: dict[str, Any] = price.explanation()
    to_fiat, unit_places = Decimal(1), priced.places
    amount = rated.amount
    if price.custom_unit is not None:
        custom: CustomUnit = priced.card.custom_units[price.custom_unit]  # rate_add requires it
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
        product=priced.product,
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
        total=round_line(amount, priced.places),
        tiers=price.tier_details(rated),
        explanation=explanation,
        rating=LineRating(price, state, values, shown, piece.start, used, to_fiat, unit_places),
    )
