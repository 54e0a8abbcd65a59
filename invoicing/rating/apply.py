"""The rating core's results as rows: a usage statement loaded (invoicing.rating.loader),
rated (invoicing.rating.statement), and each line's product, each draw's commit and segment
put back as the rows callers write and show. invoicing.drawdown writes draws to the ledger."""

from dataclasses import replace
from datetime import datetime

from billing_console.lib.periods import Period
from contracts.models import Contract
from invoicing.drawdown import Draw
from invoicing.models import Invoice
from invoicing.rating.lines import DraftLine
from invoicing.rating.loader import (
    UsageReader,
    UsageSource,
    statement_load,
    subscriptions_load,
)
from invoicing.rating.statement import rate_statement
from invoicing.rating.subscriptions import subscription_scheduled_lines
from invoicing.rating.terms import Cards
from pricing.models import Product


def statement_rated(
    contract: Contract, invoice: Invoice, period: Period, places: int, *,
    usage: UsageSource | UsageReader | None = None, cards: Cards | None = None,
) -> tuple[list[DraftLine], list[Draw]]:  # fmt: skip
    """The lines and commit draws of `contract`'s usage statement `invoice` over `period`,
    computed without writing anything. `usage` replaces the stored events as the source of
    quantities (cost preview); `cards` shares rate cards' terms among a batch's statements."""
    loaded = statement_load(contract, invoice, period, places, usage=usage, cards=cards)
    rated = rate_statement(loaded.snapshot)
    rows = loaded.rows
    draws = [
        Draw(rows.commits[d.commit.pk], rows.segments[d.segment.pk], d.amount, d.lines, d.fiat)
        for d in rated.draws
    ]
    return as_rows(rated.lines, rows.products), draws


def as_rows(lines: list[DraftLine], products: dict[int, Product]) -> list[DraftLine]:
    """The lines with their Product rows in place of the core's ProductRefs."""
    return [
        replace(line, product=products[line.product.pk]) if line.product is not None else line
        for line in lines
    ]


def scheduled_subscription_lines(
    contract: Contract, until: datetime, places: int
) -> list[tuple[datetime, DraftLine]]:
    """(timestamp, line) of the subscription charges billed on SCHEDULED invoices dated
    before `until`."""
    terms, subscriptions, products = subscriptions_load(contract, until)
    dated = subscription_scheduled_lines(terms, subscriptions, until, places)
    rows = as_rows([line for _at, line in dated], products)
    return [(at, row) for (at, _line), row in zip(dated, rows, strict=True)]
