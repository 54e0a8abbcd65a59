"""Usage quantities of a batch of statements read together (the month close of many drafts).

A statement asks the usage store for each usage product of its rate card over its window, one
customer at a time: a batched read per statement (invoicing.rating.loader). `BatchUsage` reads
the quantities every statement of the batch will ask for first, one rollup query per metric
and window for all the customers (usage.rollups.rollup_usage_many), and answers those
questions from memory. Anything else (a period cut by a rate change, a usage filter, tier
carry-over, SQL metrics) is read for its statement by usage.batch_usage.metric_usage_many as
without a batch, so the answers are the same either way.
"""

from datetime import datetime
from decimal import Decimal
from typing import Any

from billing_console.lib.periods import Period
from contracts.models import Contract
from contracts.terms.usage_filters import usage_filter_segments
from customers.models import Customer
from invoicing.rating.rates import rates_in, state_at
from invoicing.rating.terms import Cards
from invoicing.rating.usage_lines import usage_group_key
from usage.batch_usage import Answers, UsageAsk, metric_usage_many
from usage.rollups import rollup_usage_many
from usage.selectors import customer_event_ids

Key = tuple[int, int, datetime, datetime, tuple[str, ...]]  # metric, customer, window, group


class BatchUsage:
    """A usage reader (invoicing.rating.loader.UsageReader) with some answers known in
    advance."""

    def __init__(self) -> None:
        self.known: dict[Key, dict[tuple, Decimal]] = {}

    def read_many(self, customer: Customer, asks: list[UsageAsk]) -> Answers:
        answers: Answers = {}
        rest = []
        for ask in asks:
            key = (ask.metric.pk, customer.pk, ask.starting_at, ask.ending_before, ask.group_by)
            found = self.known.get(key) if ask.only is None else None
            if found is not None:
                answers[ask] = found
            else:
                rest.append(ask)
        if rest:
            answers.update(metric_usage_many(customer=customer, asks=rest))
        return answers

    def prefetch(self, statements: list[tuple[Contract, Period]], cards: Cards) -> None:
        """Read, for every (contract, period), what usage_lines will ask first: each usage
        product's metric over the statement's window, grouped by its pricing and presentation
        group keys (rates and versions from `cards`, shared with the statements)."""
        wanted: dict[tuple, tuple[Any, dict[int, Any]]] = {}
        for contract, period in statements:
            for metric, window, group_by in _questions(contract, period, cards):
                key = (metric.pk, window.start, window.end, group_by)
                wanted.setdefault(key, (metric, {}))[1][contract.customer_id] = contract.customer
        customers = {pk: c for _m, by_pk in wanted.values() for pk, c in by_pk.items()}
        event_ids = {pk: customer_event_ids(c) for pk, c in customers.items()}  # held: no query
        for (metric_id, start, end, group_by), (metric, by_pk) in wanted.items():
            answers = rollup_usage_many(
                metric=metric, customers={pk: event_ids[pk] for pk in by_pk},
                starting_at=start, ending_before=end, group_by=list(group_by),
            )  # fmt: skip
            for pk, values in (answers or {}).items():
                self.known[(metric_id, pk, start, end, group_by)] = values


def _questions(
    contract: Contract, period: Period, cards: Cards
) -> list[tuple[Any, Period, tuple[str, ...]]]:
    """(metric, window, group key) that usage_lines asks first for this statement (mirrors
    it; a question it does not ask is only a wasted read)."""
    if contract.rate_card is None or usage_filter_segments(contract):
        return []
    window = period.intersect(Period(contract.starting_at, contract.ending_before or period.end))
    if window is None:
        return []
    held = cards.held(contract.rate_card)
    out, seen = [], set()
    for rate in rates_in(held.terms, window.start, window.end):
        product = held.terms.products[rate.product_id]
        if product.pk in seen or product.type != "USAGE":
            continue
        seen.add(product.pk)
        state = state_at(held.terms, product.pk, window.start)
        if state.billable_metric is None:
            continue
        metric = held.metrics[state.billable_metric.pk]
        if not metric.sql:
            out.append((metric, window, tuple(usage_group_key(state))))
    return out
