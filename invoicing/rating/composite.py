"""Composite products: a percentage (over 100% allowed) of the other products' charges."""

from decimal import Decimal
from typing import Any

from billing_console.lib.money import round_line
from invoicing.rating.lines import DraftLine
from invoicing.rating.rates import rates_in, state_at
from invoicing.rating.snapshot import StatementSnapshot
from pricing import rating


def _included(line: DraftLine, product_ids: set[str], tags: set[str]) -> bool:
    if line.product is None or line.type not in ("USAGE", "SCHEDULED"):
        return False
    return str(line.product.public_id) in product_ids or bool(tags & set(line.product_tags))


def composite_lines(snapshot: StatementSnapshot, lines: list[DraftLine]) -> list[DraftLine]:
    card, period, places = snapshot.contract.rate_card, snapshot.period, snapshot.places
    if card is None:
        return []
    out = []
    for rate in rates_in(card, period.start, period.end):
        product = card.products[rate.product_id]
        if product.type != "COMPOSITE" or rate.rate_type != "PERCENTAGE" or not rate.entitled:
            continue
        at = max(rate.starting_at, period.start)
        state = state_at(card, rate.product_id, at)
        product_ids = {str(pid) for pid in state.composite_product_ids or []}
        tags = set(state.composite_tags or [])
        base = sum((line.total for line in lines if _included(line, product_ids, tags)), Decimal(0))
        if base == 0:
            continue
        rated = rating.percentage(base, rate.price)  # type: ignore[arg-type]
        explanation: dict[str, Any] = {"rate_id": str(rate.public_id), "percentage_of": str(base)}
        out.append(DraftLine(
            type="COMPOSITE", name=state.name, product=product, product_tags=list(state.tags or []),
            starting_at=period.start, ending_before=period.end, quantity=base, unit_price=rate.price,
            total_unrounded=rated.amount, total=round_line(rated.amount, places), explanation=explanation,
        ))  # fmt: skip
    return out
