"""A historical invoice's usage line priced by the rating core (invoicing.rating), not by a
second pricing engine: the line's quantity is the usage source the core's usage questions are
answered from, over the line's own period, so the contract's rate in force, its overrides, tiers
and pricing group values price it exactly as a statement's line of that usage would be priced.

Each line is rated on its own (a tier block does not carry from one given line to the next).
The core asks for the line's product's metric over the pieces its pricing cuts the period into:
a line whose period a rate or override change cuts cannot be priced from one quantity, and is
refused, naming the moment to split it at.
"""

from dataclasses import dataclass
from decimal import Decimal

from billing_console.api import ApplicationError
from billing_console.lib.periods import Period
from billing_console.lib.wire_values import iso
from contracts.models import Contract
from customers.models import Customer
from invoicing.models import Invoice
from invoicing.rating.apply import as_rows
from invoicing.rating.lines import DraftLine
from invoicing.rating.loader import statement_load
from invoicing.rating.quantities import Quantities
from invoicing.rating.usage_lines import usage_lines
from pricing.models import Product
from usage.batch_usage import Answers, UsageAsk

SPLIT_THE_LINE = (
    "{path}: the contract's pricing of this product changes at {at}, inside the line's period; "
    "send one line on each side of it."
)
UNKNOWN_GROUP_KEY = "{path}.{field}: the product has no group key '{key}' (it has: {keys})."
NOT_PRICED = (
    "{path}.product_id: the contract's rate card prices no usage of this product "
    "over the line's period (no rate in force, or not entitled)."
)


@dataclass(frozen=True)
class GivenLine:
    """One usage_line_items[] entry as sent: `path` names it in errors."""

    path: str
    product: Product
    period: Period
    quantity: Decimal
    pricing_group_values: dict[str, str]
    presentation_group_values: dict[str, str]


class GivenUsage:
    """A usage reader (invoicing.rating.loader.UsageReader) answering from one given line:
    its quantity for its product's metric over exactly its period, nothing anywhere else."""

    def __init__(self, line: GivenLine) -> None:
        self.line = line
        # The metrics the product's versions measure (a product's metric is per version).
        versions = line.product.versions.exclude(billable_metric=None)
        self.metric_ids = set(versions.values_list("billable_metric_id", flat=True))

    def read_many(self, customer: Customer, asks: list[UsageAsk]) -> Answers:
        return {ask: self._answer(ask) for ask in asks}

    def _answer(self, ask: UsageAsk) -> dict[tuple, Decimal]:
        line = self.line
        if ask.metric.pk not in self.metric_ids:
            return {}
        start, end = line.period.start, line.period.end
        if ask.ending_before <= start or ask.starting_at >= end:
            return {}  # before the line (an earlier statement of a tier block) or after it
        if (ask.starting_at, ask.ending_before) != (start, end):
            cut = ask.ending_before if ask.starting_at == start else ask.starting_at
            raise ApplicationError(SPLIT_THE_LINE.format(path=line.path, at=iso(cut)))
        values = {**line.presentation_group_values, **line.pricing_group_values}
        for field in ("pricing_group_values", "presentation_group_values"):
            for key in getattr(line, field):
                if key not in ask.group_by:
                    keys = ", ".join(ask.group_by) or "none"
                    raise ApplicationError(
                        UNKNOWN_GROUP_KEY.format(path=line.path, field=field, key=key, keys=keys)
                    )
        return {tuple(values.get(key) for key in ask.group_by): line.quantity}


def historical_line_rated(
    contract: Contract, invoice: Invoice, line: GivenLine, places: int
) -> DraftLine:
    """The line priced by the core: its product's usage line over the line's period."""
    loaded = statement_load(contract, invoice, line.period, places, usage=GivenUsage(line))
    rated = usage_lines(loaded.snapshot, Quantities(loaded.snapshot))
    rows = as_rows(rated, loaded.rows.products)
    mine = [row for row in rows if row.product is not None and row.product.pk == line.product.pk]
    if len(mine) != 1:
        raise ApplicationError(NOT_PRICED.format(path=line.path))
    return mine[0]
