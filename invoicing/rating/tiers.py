"""Tiers that span usage statements (a rate's `tier_reset_frequency` of N > 1), and the
product's quantity conversion every priced quantity goes through.

Statements are grouped in blocks of N, counted from the contract's statement anchor; within a
block, a statement's tiered usage starts where the block's earlier statements left off. What
those statements used is asked again of the usage store, converted the way each of them
converted it, so the carry equals what they were priced on. Only additive aggregations (COUNT,
SUM) carry: a maximum or a distinct count of one month does not add to the next month's.
"""

from datetime import datetime
from decimal import Decimal

from billing_console.lib.periods import Period, iter_periods
from invoicing.rating.quantities import ADDITIVE, Quantities
from invoicing.rating.snapshot import ContractTerms, ProductVersionTerms
from pricing import rating


def block_start(
    contract: ContractTerms, moment: datetime, frequency: int
) -> tuple[datetime, list[Period]]:
    """The start of the block of `frequency` statements holding `moment`, and the block's
    statements before the one holding it."""
    periods: list[Period] = []
    for period in iter_periods(
        contract.usage_statement_anchor, contract.usage_statement_frequency, until=moment
    ):
        if period.start >= moment:
            break
        periods.append(period)
    current = len(periods) - 1 if periods and periods[-1].contains(moment) else len(periods)
    first = current - current % frequency
    earlier = periods[first:current]
    start = earlier[0].start if earlier else moment
    return start, earlier


def converted(state: ProductVersionTerms, raw: Decimal) -> Decimal:
    conversion = state.quantity_conversion or {}
    rounding_rule = state.quantity_rounding or {}
    return rating.convert_quantity(
        raw,
        factor=Decimal(str(conversion["conversion_factor"])) if conversion else None,
        operation=conversion.get("operation"),
        decimal_places=rounding_rule.get("decimal_places"),
        rounding_method=rounding_rule.get("rounding_method"),
    )


def tier_carry(
    contract: ContractTerms,
    state: ProductVersionTerms,
    group_key: list[str],
    window: Period,
    frequency: int,
    usage: Quantities,
) -> dict[tuple, Decimal]:
    """Per group value: the quantity already priced in this block's earlier statements."""
    metric = state.billable_metric
    if frequency <= 1 or metric is None or metric.aggregation_type not in ADDITIVE:
        return {}
    _start, earlier = block_start(contract, window.start, frequency)
    carry: dict[tuple, Decimal] = {}
    for period in earlier:
        piece = period.intersect(Period(contract.starting_at, window.start))
        if piece is None:
            continue
        for group, raw in usage(metric, piece.start, piece.end, group_key).items():
            carry[group] = carry.get(group, Decimal(0)) + converted(state, raw)
    return carry
