"""Composite products: a percentage (over 100% allowed) of the other products' charges."""

from decimal import Decimal
from typing import Any

from billing_console.lib.money import round_line
from billing_console.lib.periods import Period
from contracts.models import Contract
from invoicing.usage_lines import DraftLine
from pricing import rating
from pricing import selectors as pricing_selectors


def _included(line: DraftLine, product_ids: set[str], tags: set[str]) -> bool:
    if line.product is None or line.type not in ("USAGE", "SCHEDULED"):
        return False
    return str(line.product.public_id) in product_ids or bool(tags & set(line.product_tags))


def composite_lines(
    contract: Contract, period: Period, lines: list[DraftLine], places: int
) -> list[DraftLine]:
    if contract.rate_card is None:
        return []
    out = []
    for rate in pricing_selectors.rates_for(
        contract.rate_card, starting_at=period.start, ending_before=period.end
    ):
        if rate.product.type != "COMPOSITE" or rate.rate_type != "PERCENTAGE" or not rate.entitled:
            continue
        at = max(rate.starting_at, period.start)
        state = pricing_selectors.product_state_at(rate.product, at)
        product_ids = {str(pid) for pid in (getattr(state, "composite_product_ids", None) or [])}
        tags = set(getattr(state, "composite_tags", None) or [])
        base = sum((line.total for line in lines if _included(line, product_ids, tags)), Decimal(0))
        if base == 0:
            continue
        rated = rating.percentage(base, rate.price)
        explanation: dict[str, Any] = {"rate_id": str(rate.public_id), "percentage_of": str(base)}
        out.append(DraftLine(
            type="COMPOSITE", name=state.name, product=rate.product, product_tags=list(state.tags or []),
            starting_at=period.start, ending_before=period.end, quantity=base, unit_price=rate.price,
            total_unrounded=rated.amount, total=round_line(rated.amount, places), explanation=explanation,
        ))  # fmt: skip
    return out
