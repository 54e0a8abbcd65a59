"""Reads of embedded dashboards. Every function takes the customer of the token: nothing here
can reach another customer's rows."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from billing_console.lib.periods import Period
from contracts.models import AccessSegment, Commit, CommitKind, Contract, LedgerEntry
from contracts.terms.balances import BalanceFilters, balances_list, commit_credit_type_id
from contracts.terms.ledger import commit_available_balance
from customers.models import Customer
from invoicing.models import Invoice, InvoiceStatus, LineItem
from invoicing.rating.lines import DraftLine
from invoicing.services import current_statements
from pricing.models import CreditType

STATUS_FILTERS = {
    "VOID": [InvoiceStatus.VOID],
    "FINALIZED": [InvoiceStatus.FINALIZED],
    "DRAFT": [InvoiceStatus.DRAFT],
    "FINALIZED_AND_DRAFT": [InvoiceStatus.FINALIZED, InvoiceStatus.DRAFT],
    "ALL": list(InvoiceStatus.values),
}


def embed_invoices(*, customer: Customer, options: dict[str, str]) -> QuerySet[Invoice]:
    """The customer's invoices, newest first, narrowed by the dashboard options."""
    statuses = STATUS_FILTERS[options.get("invoice_status_filter", "FINALIZED_AND_DRAFT")]
    if options.get("hide_voided_invoices") == "true":
        statuses = [s for s in statuses if s != InvoiceStatus.VOID]
    qs = Invoice.objects.filter(customer=customer, status__in=statuses)
    if options.get("contract_id"):
        qs = qs.filter(contract__public_id=options["contract_id"])
    if options.get("invoice_type"):
        qs = qs.filter(type=options["invoice_type"])
    return qs.select_related("credit_type", "contract").order_by("-period_start", "-pk")


def embed_invoice(
    *, customer: Customer, options: dict[str, str], invoice_id: Any
) -> Invoice | None:
    return (
        embed_invoices(customer=customer, options=options)
        .prefetch_related("lines__product")
        .filter(public_id=invoice_id)
        .first()
    )


def invoice_lines(invoice: Invoice, options: dict[str, str]) -> list[LineItem]:
    lines = list(invoice.lines.all())
    if options.get("show_zero_usage_line_items") != "true":
        lines = [line for line in lines if line.total != 0 or line.type != "USAGE"]
    return lines


@dataclass
class CurrentSpend:
    contract: Contract
    period: Period
    credit_type: CreditType
    lines: list[DraftLine]

    @property
    def charges(self) -> list[DraftLine]:
        return [line for line in self.lines if not line.type.startswith("APPLIED_")]

    @property
    def applied(self) -> list[DraftLine]:
        return [line for line in self.lines if line.type.startswith("APPLIED_")]

    @property
    def total(self) -> Decimal:
        return sum((line.total for line in self.lines), Decimal(0))

    @property
    def subtotal(self) -> Decimal:
        return sum((line.total for line in self.charges), Decimal(0))


def current_spend(*, customer: Customer, now: datetime) -> list[CurrentSpend]:
    """Each active contract's statement for the period containing `now`, as it stands: the
    same computation as the invoice (usage, overrides, drawdown), writing nothing."""
    return [
        CurrentSpend(contract, period, invoice.credit_type, lines)
        for contract, period, invoice, lines in current_statements(customer, now)
    ]


@dataclass
class BalanceView:
    commit: Commit
    credit_type: CreditType | None
    balance: Decimal
    segments: list[AccessSegment]
    ledger: list[LedgerEntry] = field(default_factory=list)

    @property
    def expires_at(self) -> datetime | None:
        return max((s.ending_before for s in self.segments), default=None)


def embed_balances(*, customer: Customer, credits_only: bool, now: datetime) -> list[BalanceView]:
    """Commits and credits (the customer's and its contracts'), each with what is available
    now, its access schedule and its ledger (drawdown history), oldest entry first."""
    kinds = (CommitKind.CREDIT,) if credits_only else tuple(CommitKind.values)
    commits = balances_list(
        customer=customer, filters=BalanceFilters(kinds=kinds, include_contract_balances=True)
    ).select_related("contract__rate_card__fiat_credit_type", "invoice_contract__rate_card")
    credit_types = {str(c.public_id): c for c in CreditType.objects.all()}
    views = []
    for commit in commits:
        views.append(
            BalanceView(
                commit=commit,
                credit_type=credit_types.get(commit_credit_type_id(commit)),
                balance=commit_available_balance(commit, at=now),
                segments=list(commit.segments.all()),
                ledger=list(commit.ledger.select_related("segment").order_by("timestamp", "pk")),
            )
        )
    return views
