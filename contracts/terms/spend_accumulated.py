"""What a spend tracker has accumulated: the commit purchases its specifiers name, billed on the
contract's invoices in the tracker's current reset window.

Metronome's documented meanings (docs "Spend trackers", "Auto-recharge discounts, spend caps"),
and how this server reads them:
- spend_type COMMIT_PURCHASE (the only one): a COMMIT_PURCHASE line of one of the contract's
  invoices that is not void, counted at its rounded total: what the customer is invoiced for the
  commit ("the cap is calculated based on invoice amounts"), after any discount.
- sources: THRESHOLD_RECHARGE, a commit granted by threshold billing (a spend threshold charge
  or a prepaid balance recharge); MANUAL, a commit created by hand (a contract's `commits`, an
  edit's `add_commits`, a customer-level commit invoiced on the contract). A recurring commit's
  periods are neither: Metronome names no source for them, so no tracker counts them.
- discounted: a manual commit is discounted when created with
  spend_tracker_attributes.counts_as_discounted true; a threshold commit when its invoice was
  discounted (invoiced for less than the commit grants). ANY (or not sent) counts both.
- reset_frequency BILLING_PERIOD: the contract's usage statement period that contains the
  moment asked about, clipped to the contract's term; before the contract starts or after it
  ends there is no current window and nothing is accumulated.
An invoice counts when it is issued in the window and by the moment asked about (a draft dated
later in the period is not yet spend).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.apps import apps

from billing_console.lib.periods import Period, period_containing
from contracts.models import Commit, Contract, SpendTracker, ThresholdCharge

MANUAL, THRESHOLD_RECHARGE = "MANUAL", "THRESHOLD_RECHARGE"


@dataclass(frozen=True)
class Purchase:
    """One commit purchase line: its rounded total, where its commit came from (None for a
    recurring commit's), and whether it was discounted."""

    total: Decimal
    source: str | None
    discounted: bool


@dataclass(frozen=True)
class Accumulated:
    amount: Decimal  # in the tracker's credit type unit (USD cents)
    period: Period


def billing_period(contract: Contract, at: datetime) -> Period | None:
    """The contract's usage statement period containing `at`, clipped to its term."""
    if at < contract.starting_at or (contract.ending_before and at >= contract.ending_before):
        return None
    if at < contract.usage_statement_anchor:
        return None
    period = period_containing(contract.usage_statement_anchor, contract.usage_statement_frequency, at)  # fmt: skip
    return period.intersect(Period(contract.starting_at, contract.ending_before or period.end))


def purchases(contract: Contract, credit_type_pk: int, period: Period, at: datetime) -> list[Purchase]:  # fmt: skip
    """The commit purchase lines of the contract's live invoices in `credit_type_pk`, issued in
    `period` and by `at` (invoicing sits above contracts: its models are looked up by name)."""
    line_model = apps.get_model("invoicing", "LineItem")
    lines = list(
        line_model.objects.filter(
            type="COMMIT_PURCHASE",
            commit_public_id__isnull=False,
            invoice__contract=contract,
            invoice__credit_type_id=credit_type_pk,
            invoice__issued_at__gte=period.start,
            invoice__issued_at__lt=period.end,
            invoice__issued_at__lte=at,
        )
        .exclude(invoice__status="VOID")
        .values_list("commit_public_id", "total")
    )
    ids = {commit_id for commit_id, _total in lines}
    commits = {
        public_id: (recurring_id, counts)
        for public_id, recurring_id, counts in Commit.objects.filter(public_id__in=ids).values_list(
            "public_id", "recurring_commit_id", "counts_as_discounted"
        )
    }
    charges = {
        commit_id: invoiced < granted
        for commit_id, granted, invoiced in ThresholdCharge.objects.filter(
            commit__public_id__in=ids
        ).values_list("commit__public_id", "amount", "invoice_amount")
    }
    out = []
    for commit_id, total in lines:
        if commit_id in charges:
            out.append(Purchase(total, THRESHOLD_RECHARGE, charges[commit_id]))
        elif commit_id in commits:
            recurring_id, counts = commits[commit_id]
            source = None if recurring_id is not None else MANUAL
            out.append(Purchase(total, source, counts is True))
    return out


def counted(purchase: Purchase, specifiers: Iterable[dict[str, Any]]) -> bool:
    """Whether any of a tracker's applicable_spend_specifiers names the purchase."""
    for spec in specifiers:
        if spec.get("spend_type") != "COMMIT_PURCHASE" or purchase.source not in spec["sources"]:
            continue
        discounted = spec.get("discounted") or "ANY"
        if discounted == "ANY" or (discounted == "DISCOUNTED_ONLY") == purchase.discounted:
            return True
    return False


def trackers_accumulated(
    contract: Contract, trackers: list[SpendTracker], at: datetime
) -> dict[int, Accumulated | None]:
    """Each tracker's accumulated spend at `at` (None without a current window): one read of
    the contract's purchases per credit type."""
    period = billing_period(contract, at)
    if period is None:
        return {tracker.pk: None for tracker in trackers}
    by_unit: dict[int, list[Purchase]] = {}
    out: dict[int, Accumulated | None] = {}
    for tracker in trackers:
        unit = tracker.credit_type_id
        if unit not in by_unit:
            by_unit[unit] = purchases(contract, unit, period, at)
        amount = sum(
            (p.total for p in by_unit[unit] if counted(p, tracker.applicable_spend_specifiers)),
            Decimal(0),
        )
        out[tracker.pk] = Accumulated(amount, period)
    return out
