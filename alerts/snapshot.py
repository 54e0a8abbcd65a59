"""A customer's current usage statements, computed once per evaluation by the invoicing engine
(the same `draft_usage_statement` that writes invoices) and shared by every alert evaluated."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.db.models import Q, Sum

from billing_console.lib.periods import Period
from contracts.models import Contract, LedgerEntry, LedgerEntryType
from customers.models import Customer
from invoicing.models import Invoice, InvoiceStatus, InvoiceType
from invoicing.services import (
    contract_credit_type,
    contract_statement_periods,
    draft_usage_statement,
)
from usage.batch_usage import Answers, UsageAsk, metric_usage_many


@dataclass
class Statement:
    contract: Contract
    period: Period
    invoice: Invoice  # the stored statement, or an unsaved one when none exists yet
    lines: list[Any]  # DraftLine (live) or LineItem (finalized): both have .type and .total
    draws: list[Any] = field(default_factory=list)


def metric_has_group_key(metric: Any, key: str) -> bool:
    return any(key in keys for keys in metric.group_keys or [])


class CustomerSnapshot:
    def __init__(self, customer: Customer, now: datetime, group_keys: set[str] | None = None):
        self.customer = customer
        self.now = now
        # Per-value spend alerts need the values their key took this period: the default usage
        # source records them while the statements are computed.
        self.group_keys = group_keys or set()
        self.seen_values: dict[str, set[str]] = {key: set() for key in self.group_keys}
        self._statements: dict[int, Statement | None] = {}

    @cached_property
    def contracts(self) -> list[Contract]:
        """Contracts in force now (started, not ended, not archived)."""
        return list(
            Contract.objects.filter(
                customer=self.customer, archived_at__isnull=True, starting_at__lte=self.now
            )
            .filter(Q(ending_before__isnull=True) | Q(ending_before__gt=self.now))
            .select_related("rate_card__fiat_credit_type", "customer")
        )

    @cached_property
    def credit_type_ids(self) -> dict[int, int]:
        return {c.pk: contract_credit_type(c).pk for c in self.contracts}

    def period(self, contract: Contract) -> Period | None:
        periods = contract_statement_periods(contract, self.now)
        current = [p for p in periods if p.contains(self.now)]
        return current[-1] if current else None

    def _invoice(self, contract: Contract, period: Period) -> Invoice:
        stored = (
            Invoice.objects.filter(
                contract=contract, type=InvoiceType.USAGE, period_start=period.start
            )
            .exclude(status=InvoiceStatus.VOID)
            .first()
        )
        return stored or Invoice(
            customer=self.customer, contract=contract, credit_type=contract_credit_type(contract),
            type=InvoiceType.USAGE, period_start=period.start, period_end=period.end,
            issued_at=period.end,
        )  # fmt: skip

    def read_many(self, customer: Customer, asks: list[UsageAsk]) -> Answers:
        """The stored usage (a usage reader, invoicing.rating.loader), read in one batch with
        the values of the recorded keys over the same windows, which it notes."""
        recorded = [
            (key, UsageAsk(ask.metric, ask.starting_at, ask.ending_before, (key,)))
            for ask in asks
            for key in self.group_keys
            if metric_has_group_key(ask.metric, key)
        ]
        answers = metric_usage_many(customer=customer, asks=[*asks, *(a for _k, a in recorded)])
        for key, ask in recorded:
            self.seen_values[key].update(v[0] for v in answers[ask] if v[0] is not None)
        return {ask: answers[ask] for ask in asks}

    def statement(
        self, contract: Contract, usage: Callable[..., dict] | None = None
    ) -> Statement | None:
        """The contract's statement for the period containing now; cached unless `usage`
        replaces the stored events (a group-scoped recomputation)."""
        if usage is None and contract.pk in self._statements:
            return self._statements[contract.pk]
        period = self.period(contract)
        result = None
        if period is not None:
            invoice = self._invoice(contract, period)
            if invoice.pk and not invoice.is_draft:
                result = Statement(contract, period, invoice, list(invoice.lines.all()))
            else:
                lines, draws = draft_usage_statement(contract, invoice, period, usage=usage or self)
                result = Statement(contract, period, invoice, lines, draws)
        if usage is None:
            self._statements[contract.pk] = result
        return result

    def statements(self) -> list[Statement]:
        return [s for c in self.contracts if (s := self.statement(c)) is not None]

    def usage_window(self, contracts: list[Contract]) -> Period | None:
        """The customer's current billing period: from the earliest start to the latest end of
        the contracts' current statement periods (Metronome's definition)."""
        periods = [p for c in contracts if (p := self.period(c)) is not None]
        if not periods:
            return None
        return Period(min(p.start for p in periods), max(p.end for p in periods))

    @cached_property
    def pending_draws(self) -> dict[int, Decimal]:
        """Per segment pk: how the live statements change its ledger sum against what is
        stored. Stored provisional deductions of those drafts are replaced by the live plan,
        so usage ingested since the last recompute already lowers the balance."""
        change: dict[int, Decimal] = {}
        for statement in self.statements():
            invoice = statement.invoice
            if invoice.pk is None or not invoice.is_draft:
                continue
            stored = (
                LedgerEntry.objects.filter(
                    invoice_public_id=invoice.public_id, type=LedgerEntryType.USAGE_DEDUCTION
                )
                .order_by()
                .values("segment_id")
                .annotate(total=Sum("amount"))
            )
            for row in stored:
                change[row["segment_id"]] = change.get(row["segment_id"], Decimal(0)) - (
                    row["total"] or Decimal(0)
                )
        for statement in self.statements():
            if statement.invoice.pk is not None and not statement.invoice.is_draft:
                continue
            for draw in statement.draws:
                change[draw.segment.pk] = change.get(draw.segment.pk, Decimal(0)) - draw.amount
        return change
