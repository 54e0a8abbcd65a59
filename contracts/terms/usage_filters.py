"""A contract's usage filter: which of the customer's events count toward this contract.

When a customer holds several contracts priced alike (one per project), each contract names a
group key (`project_id`) and the values it takes (`["project_1"]`); from `starting_at` only
events whose property has one of those values are billed on it. Changes are kept as history
(ContractUsageFilter rows); invoices apply the entry in force over each part of a statement
period (invoicing.usage_filter).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction

from billing_console.lib.wire_values import iso
from billing_console.wire import Reader
from contracts.models import Contract, ContractUsageFilter
from pricing import selectors as pricing_selectors

MAX_GROUP_VALUES = 100
NOT_A_METRIC_GROUP_KEY = (
    "'{key}' is not a group key of billable metric '{metric}' (product '{product}'); the rate "
    "card's billable metrics must all group by a usage filter's key."
)


@dataclass(frozen=True)
class FilterSegment:
    group_key: str
    group_values: tuple[str, ...]
    starting_at: datetime
    ending_before: datetime | None  # the next entry's start, or the contract's end


def _group_key_check(reader: Reader, contract: Contract, key: str) -> None:
    """Metronome's rule: the billable metrics under the contract's rate card group by the key.
    (SQL metrics are filtered on the event property directly and need no group key.)"""
    if contract.rate_card is None:
        raise reader.fail("group_key", "a usage filter needs a contract with a rate card.")
    seen: set[int] = set()
    for rate in pricing_selectors.rates_for(
        contract.rate_card, starting_at=contract.starting_at, ending_before=contract.ending_before
    ):
        if rate.product_id in seen or rate.product.type != "USAGE":
            continue
        seen.add(rate.product_id)
        metric = pricing_selectors.product_current(rate.product).billable_metric
        if metric is None or metric.sql:
            continue
        if not any(key in keys for keys in metric.group_keys or []):
            raise reader.fail(
                "group_key",
                NOT_A_METRIC_GROUP_KEY.format(
                    key=key, metric=metric.name, product=rate.product.name
                ),
            )


def usage_filter_from_wire(
    reader: Reader, *, contract: Contract, default_start: datetime | None = None
) -> ContractUsageFilter:
    """Validate {group_key, group_values, starting_at} and record it as the contract's usage
    filter from `starting_at` (or `default_start`, the contract's start on create)."""
    key = reader.str("group_key", required=True, max_length=200)
    values = reader.str_list("group_values")
    if not values:
        raise reader.fail("group_values", "needs at least one value.")
    if len(values) > MAX_GROUP_VALUES:
        raise reader.fail("group_values", f"at most {MAX_GROUP_VALUES} values.")
    if any(len(v) > 200 for v in values):
        raise reader.fail("group_values", "each value must be at most 200 characters.")
    start = reader.datetime("starting_at", required=default_start is None) or default_start
    assert start is not None
    if contract.ending_before is not None and start >= contract.ending_before:
        raise reader.fail("starting_at", "must be before the contract's end.")
    _group_key_check(reader, contract, key)
    return ContractUsageFilter.objects.create(
        contract=contract,
        group_key=key,
        group_values=list(dict.fromkeys(values)),
        starting_at=max(start, contract.starting_at),
    )


@transaction.atomic
def contract_usage_filter_set(*, contract: Contract, data: dict[str, Any]) -> ContractUsageFilter:
    """setUsageFilter: the filter from `starting_at` on (earlier entries keep their time)."""
    contract = (
        Contract.objects.select_for_update(of=("self",))
        .select_related("rate_card")
        .get(pk=contract.pk)
    )
    if contract.archived_at is not None:
        raise Reader(data).fail("contract_id", "the contract is archived.")
    return usage_filter_from_wire(Reader(data), contract=contract)


def usage_filter_segments(contract: Contract) -> list[FilterSegment]:
    """The filter's history as consecutive segments; an entry replaced by a later one with
    the same start does not show."""
    entries: dict[datetime, ContractUsageFilter] = {}
    for entry in contract.usage_filters.all():  # ordered by (starting_at, pk)
        entries[entry.starting_at] = entry
    ordered = sorted(entries.values(), key=lambda e: e.starting_at)
    if not ordered:
        return []
    ends = [e.starting_at for e in ordered[1:]] + [contract.ending_before]
    return [
        FilterSegment(e.group_key, tuple(e.group_values), e.starting_at, end)
        for e, end in zip(ordered, ends, strict=True)
    ]


def usage_filter_to_wire(contract: Contract, *, v1: bool = False) -> Any:
    """v2: ContractV2.usage_filter, a list of segments; v1: {initial, current, updates}."""
    segments = usage_filter_segments(contract)
    if not v1:
        return [
            {
                "group_key": s.group_key,
                "group_values": list(s.group_values),
                "starting_at": iso(s.starting_at),
                "ending_before": iso(s.ending_before),
            }
            for s in segments
        ]
    if not segments:
        return None

    def entry(s: FilterSegment) -> dict[str, Any]:
        return {
            "group_key": s.group_key,
            "group_values": list(s.group_values),
            "starting_at": iso(s.starting_at),
        }

    from django.utils import timezone

    now = timezone.now()
    current = next((s for s in reversed(segments) if s.starting_at <= now), segments[0])
    return {
        "initial": entry(segments[0]),
        "current": entry(current),
        "updates": [entry(s) for s in segments[1:]],
    }
