"""A contract's usage filter applied to the quantities its statements are priced on.

The usage source (the stored events, or a cost preview's) is wrapped so that every question
asked over [starting_at, ending_before) is answered with the filter entry in force: the
source receives `only=(group_key, group_values)` and counts only the events whose property has
one of the values. usage_lines cuts statement periods where the filter changes, so each of its
questions falls under one entry; a question spanning a change (the earlier statements of a
tier block) is answered per entry and added up, which is exact because tier blocks only carry
COUNT and SUM quantities.
"""

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from itertools import pairwise
from typing import Any

from contracts.models import Contract
from contracts.terms.usage_filters import FilterSegment, usage_filter_segments

UsageSource = Callable[..., dict[tuple, Decimal]]  # as in invoicing.usage_lines

ADDITIVE = ("COUNT", "SUM")


def usage_filter_changes(contract: Contract) -> list[datetime]:
    """Moments at which the contract's usage filter starts or changes."""
    return [s.starting_at for s in usage_filter_segments(contract)]


def _parts(
    segments: list[FilterSegment], start: datetime, end: datetime
) -> list[tuple[datetime, datetime, FilterSegment | None]]:
    """[start, end) cut at filter changes, each part with the entry in force (None before the
    first entry: every event counts)."""
    cuts = sorted({start, end, *(s.starting_at for s in segments if start < s.starting_at < end)})
    parts = []
    for low, high in pairwise(cuts):
        entry = None
        for segment in segments:
            if segment.starting_at <= low:
                entry = segment
        parts.append((low, high, entry))
    return parts


def filtered_usage(contract: Contract, usage: UsageSource) -> UsageSource:
    """`usage` as seen by `contract`: restricted by its usage filter (unchanged without one)."""
    segments = usage_filter_segments(contract)
    if not segments:
        return usage

    def source(
        *,
        metric: Any,
        customer: Any,
        starting_at: datetime,
        ending_before: datetime,
        group_by: list[str] | None = None,
    ) -> dict[tuple, Decimal]:
        answers = []
        for low, high, entry in _parts(segments, starting_at, ending_before):
            only = (entry.group_key, entry.group_values) if entry is not None else None
            extra = {"only": only} if only is not None else {}
            answers.append(
                usage(
                    metric=metric,
                    customer=customer,
                    starting_at=low,
                    ending_before=high,
                    group_by=group_by,
                    **extra,
                )
            )
        if len(answers) == 1:
            return answers[0]
        if getattr(metric, "aggregation_type", "") not in ADDITIVE:
            raise ValueError("a non-additive quantity cannot span a usage filter change")
        total: dict[tuple, Decimal] = {}
        for answer in answers:
            for group, quantity in answer.items():
                total[group] = total.get(group, Decimal(0)) + quantity
        return total

    return source
