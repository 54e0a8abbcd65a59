"""Usage quantities of a batch of statements read together (the month close of many drafts).

A statement asks the usage store for each usage product of its rate card over its window, one
customer at a time: two or three queries per invoice. `BatchUsage` reads the quantities every
statement of the batch will ask for first, one rollup query per metric and window for all the
customers (usage.rollups.rollup_usage_many), and answers those questions from memory. Anything
else (a period cut by a rate change, a usage filter, tier carry-over, SQL metrics) is asked of
usage.selectors.metric_usage as before, so the answers are the same either way.
"""

from datetime import datetime
from decimal import Decimal
from typing import Any

from billing_console.lib.periods import Period
from contracts.models import Contract
from contracts.terms.usage_filters import usage_filter_segments
from customers.models import IngestAlias
from invoicing.usage_lines import usage_group_key
from pricing import selectors as pricing_selectors
from usage.rollups import rollup_usage_many
from usage.selectors import metric_usage

Key = tuple[int, int, datetime, datetime, tuple[str, ...]]  # metric, customer, window, group


class BatchUsage:
    """A UsageSource (see invoicing.usage_lines) with some answers known in advance."""

    def __init__(self) -> None:
        self.known: dict[Key, dict[tuple, Decimal]] = {}

    def __call__(self, **kwargs: Any) -> dict[tuple, Decimal]:
        if set(kwargs) <= {"metric", "customer", "starting_at", "ending_before", "group_by"}:
            key = (
                kwargs["metric"].pk,
                kwargs["customer"].pk,
                kwargs["starting_at"],
                kwargs["ending_before"],
                tuple(kwargs.get("group_by") or ()),
            )
            found = self.known.get(key)
            if found is not None:
                return found
        return metric_usage(**kwargs)

    def prefetch(self, statements: list[tuple[Contract, Period]]) -> None:
        """Read, for every (contract, period), what usage_lines will ask first: each usage
        product's metric over the statement's window, grouped by its pricing and presentation
        group keys.
        Call inside the card's rates_snapshot (rates are read from it)."""
        wanted: dict[tuple, tuple[Any, dict[int, Any]]] = {}
        for contract, period in statements:
            for metric, window, group_by in _questions(contract, period):
                key = (metric.pk, window.start, window.end, group_by)
                wanted.setdefault(key, (metric, {}))[1][contract.customer_id] = contract.customer
        customers = {pk: c for _m, by_pk in wanted.values() for pk, c in by_pk.items()}
        event_ids = {pk: [str(c.public_id)] for pk, c in customers.items()}
        for customer_id, alias in IngestAlias.objects.filter(
            customer_id__in=list(customers)
        ).values_list("customer_id", "alias"):
            event_ids[customer_id].append(alias)
        for (metric_id, start, end, group_by), (metric, by_pk) in wanted.items():
            answers = rollup_usage_many(
                metric=metric, customers={pk: event_ids[pk] for pk in by_pk},
                starting_at=start, ending_before=end, group_by=list(group_by),
            )  # fmt: skip
            for pk, values in (answers or {}).items():
                self.known[(metric_id, pk, start, end, group_by)] = values


def _questions(contract: Contract, period: Period) -> list[tuple[Any, Period, tuple[str, ...]]]:
    """(metric, window, group key) that usage_lines asks first for this statement (mirrors
    it; a question it does not ask is only a wasted read)."""
    if contract.rate_card is None or usage_filter_segments(contract):
        return []
    window = period.intersect(Period(contract.starting_at, contract.ending_before or period.end))
    if window is None:
        return []
    out, seen = [], set()
    for rate in pricing_selectors.rates_for(
        contract.rate_card, starting_at=window.start, ending_before=window.end
    ):
        product = rate.product
        if product.pk in seen or product.type != "USAGE":
            continue
        seen.add(product.pk)
        state = pricing_selectors.product_state_at(product, window.start)
        metric = state.billable_metric
        if metric is not None and not metric.sql:
            out.append((metric, window, tuple(usage_group_key(state))))
    return out
