"""Usage quantities as rating asks for them: from the snapshot, through the contract's usage
filter.

Every question over [starting_at, ending_before) is answered with the filter entry in force:
the snapshot holds the quantities of the events whose property has one of the entry's values
(`only`). usage_lines cuts statement periods where the filter changes, so each of its questions
falls under one entry; a question spanning a change (the earlier statements of a tier block)
is answered per entry and added up, which is exact because tier blocks only carry COUNT and
SUM quantities.

Asked for a quantity the snapshot lacks, `Quantities` raises MissingUsage, or, when it was
made to `discover`, notes the question and answers that nothing was used: the loader runs the
core that way to learn which quantities to read (invoicing.rating.statement.usage_questions).
"""

from datetime import datetime
from decimal import Decimal
from itertools import pairwise

from invoicing.rating.snapshot import (
    GroupQuantities,
    MetricTerms,
    StatementSnapshot,
    UsageFilterEntry,
    UsageQuestion,
)

ADDITIVE = ("COUNT", "SUM")
NOT_ADDITIVE_ACROSS_FILTER = "a non-additive quantity cannot span a usage filter change"


class MissingUsage(LookupError):
    """The snapshot holds no answer to a usage question the core asked."""


def filter_changes(snapshot: StatementSnapshot) -> list[datetime]:
    """Moments at which the contract's usage filter starts or changes."""
    return [entry.starting_at for entry in snapshot.contract.usage_filter]


def _parts(
    entries: tuple[UsageFilterEntry, ...], start: datetime, end: datetime
) -> list[tuple[datetime, datetime, UsageFilterEntry | None]]:
    """[start, end) cut at filter changes, each part with the entry in force (None before the
    first entry: every event counts)."""
    cuts = sorted({start, end, *(e.starting_at for e in entries if start < e.starting_at < end)})
    parts = []
    for low, high in pairwise(cuts):
        current = None
        for entry in entries:
            if entry.starting_at <= low:
                current = entry
        parts.append((low, high, current))
    return parts


class Quantities:
    """The usage of one statement's snapshot, as the core asks for it."""

    def __init__(self, snapshot: StatementSnapshot, *, discover: bool = False) -> None:
        self.known = snapshot.usage
        self.entries = snapshot.contract.usage_filter
        self.discover = discover
        self.missing: dict[UsageQuestion, None] = {}  # in the order asked

    def __call__(
        self, metric: MetricTerms, starting_at: datetime, ending_before: datetime,
        group_by: list[str],
    ) -> GroupQuantities:  # fmt: skip
        """{group values: quantity} of `metric` over the period, grouped by `group_by`."""
        key = tuple(group_by)
        if not self.entries:
            return self._known(UsageQuestion(metric.pk, starting_at, ending_before, key))
        answers = []
        for low, high, entry in _parts(self.entries, starting_at, ending_before):
            only = (entry.group_key, entry.group_values) if entry is not None else None
            answers.append(self._known(UsageQuestion(metric.pk, low, high, key, only)))
        if len(answers) == 1:
            return answers[0]
        if metric.aggregation_type not in ADDITIVE:
            raise ValueError(NOT_ADDITIVE_ACROSS_FILTER)
        total: dict[tuple, Decimal] = {}
        for answer in answers:
            for group, quantity in answer.items():
                total[group] = total.get(group, Decimal(0)) + quantity
        return total

    def _known(self, question: UsageQuestion) -> GroupQuantities:
        found = self.known.get(question)
        if found is not None:
            return found
        if not self.discover:
            raise MissingUsage(question)
        self.missing[question] = None
        return {}
