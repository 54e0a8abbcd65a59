"""Reads of a customer's commits and credits as balances: filters of the list endpoints
(customerBalances/list, customerCommits/list, customerCredits/list) and the net balance."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from contracts.models import AccessSegment, Commit, CommitKind
from contracts.terms.ledger import commit_available_balance

BALANCE_TYPES = {
    "PREPAID_COMMIT": CommitKind.PREPAID,
    "POSTPAID_COMMIT": CommitKind.POSTPAID,
    "CREDIT": CommitKind.CREDIT,
}


@dataclass(frozen=True)
class BalanceFilters:
    kinds: tuple[str, ...] = tuple(CommitKind.values)
    public_id: str | None = None
    covering_date: datetime | None = None  # a segment covers it
    starting_at: datetime | None = None  # some access on or after it
    effective_before: datetime | None = None  # some access before it
    include_archived: bool = False
    include_contract_balances: bool = False


def balances_list(*, customer: Any, filters: BalanceFilters) -> QuerySet[Commit]:
    """The customer's commits and credits matching `filters`, oldest first."""
    qs = Commit.objects.filter(customer=customer, kind__in=filters.kinds)
    if not filters.include_contract_balances:
        qs = qs.filter(contract__isnull=True)
    if not filters.include_archived:
        qs = qs.filter(archived_at__isnull=True).filter(
            Q(contract__isnull=True) | Q(contract__archived_at__isnull=True)
        )
    if filters.public_id:
        qs = qs.filter(public_id=filters.public_id)
    window = Q()
    if filters.covering_date is not None:
        window &= Q(starting_at__lte=filters.covering_date, ending_before__gt=filters.covering_date)
    if filters.starting_at is not None:
        window &= Q(ending_before__gt=filters.starting_at)
    if filters.effective_before is not None:
        window &= Q(starting_at__lt=filters.effective_before)
    if window:
        segments = AccessSegment.objects.filter(window, commit=OuterRef("pk"))
        qs = qs.filter(Exists(segments))
    return qs.select_related("product", "contract", "invoice_contract").prefetch_related(
        "segments", "invoice_items"
    )


def contract_credit_type_id(contract: Any) -> str:
    """The credit type a contract is denominated in: its rate card's fiat type, else USD."""
    from pricing.services import credit_type_get_default

    card = contract.rate_card if contract is not None else None
    if card is not None and card.fiat_credit_type_id:
        return str(card.fiat_credit_type.public_id)
    return str(credit_type_get_default().public_id)


def commit_credit_type_id(commit: Commit) -> str:
    """A commit's credit type: its custom pricing unit, else that of its contract (or of the
    contract that invoices it)."""
    if commit.access_credit_type_id is not None:
        return str(commit.access_credit_type.public_id)
    return contract_credit_type_id(commit.contract or commit.invoice_contract)


def _matches(commit: Commit, balance_filter: dict[str, Any]) -> bool:
    types = balance_filter.get("balance_types")
    if types and commit.kind not in {BALANCE_TYPES[t] for t in types}:
        return False
    ids = balance_filter.get("ids")
    if ids and str(commit.public_id) not in ids:
        return False
    wanted = balance_filter.get("custom_fields") or {}
    return all(commit.custom_fields.get(k) == v for k, v in wanted.items())


def net_balance(
    *,
    customer: Any,
    at: datetime,
    credit_type_id: str,
    balance_filters: list[dict[str, Any]] | None = None,
    finalized_only: bool = False,
) -> Decimal:
    """The sum of what every matching commit and credit makes available at `at` (each segment
    counted at no less than 0). Filters are OR'd; within one filter the conditions AND."""
    commits = Commit.objects.filter(customer=customer, archived_at__isnull=True).filter(
        Q(contract__isnull=True) | Q(contract__archived_at__isnull=True)
    )
    total = Decimal(0)
    for commit in commits.select_related("contract__rate_card__fiat_credit_type").prefetch_related(
        "segments"
    ):
        if commit_credit_type_id(commit) != credit_type_id:
            continue
        if balance_filters and not any(_matches(commit, f) for f in balance_filters):
            continue
        total += commit_available_balance(commit, at=at, finalized_only=finalized_only)
    return total
