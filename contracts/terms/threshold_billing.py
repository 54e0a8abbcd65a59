"""Threshold billing on the contract side: balances the prepaid threshold watches, and the
commits that spend threshold charges and auto-recharges grant.

A charge's commit is created with its access segment at once; the segment's SEGMENT_START
ledger entry (which is what makes it usable: balances and drawdown read the ledger) is written
only when the charge is released: at once without a payment gate, or when the payment gate
says paid. Invoices and the evaluation itself are in invoicing/thresholds.py (invoicing sits
above contracts).
"""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone

from billing_console.lib.periods import add_months
from contracts.models import (
    AccessSegment,
    Commit,
    CommitKind,
    Contract,
    LedgerEntry,
    LedgerEntryType,
    ThresholdCharge,
    ThresholdChargeStatus,
    ThresholdKind,
)
from contracts.terms.ledger import commit_available_balance
from pricing.models import Product

CONFIG_FIELD = {
    ThresholdKind.SPEND: "spend_threshold_configuration",
    ThresholdKind.PREPAID_BALANCE: "prepaid_balance_threshold_configuration",
}
DEFAULT_PRIORITY = Decimal(100)  # Metronome's default for threshold commits
ENTITY_KINDS = {
    "Commit": {CommitKind.PREPAID, CommitKind.POSTPAID},
    "ContractCredit": {CommitKind.CREDIT},
    "ContractCreditOrCommit": {CommitKind.PREPAID, CommitKind.POSTPAID, CommitKind.CREDIT},
}


def threshold_config(contract: Contract, kind: str) -> dict[str, Any] | None:
    """The kind's configuration if present and enabled."""
    config = getattr(contract, CONFIG_FIELD[kind])
    return config if config and config.get("is_enabled") else None


def contracts_with_thresholds() -> "Q":
    return Q(spend_threshold_configuration__is_enabled=True) | Q(
        prepaid_balance_threshold_configuration__is_enabled=True
    )


def _excluded(commit: Commit, config: dict[str, Any]) -> bool:
    """threshold_balance_specifiers: a balance matching every filter of one exclude is left out."""
    for specifier in config.get("threshold_balance_specifiers") or []:
        for exclude in specifier.get("exclude") or []:
            filters = exclude.get("custom_field_filters") or []
            if filters and all(
                commit.kind in ENTITY_KINDS[f["entity"]]
                and commit.custom_fields.get(f["key"]) == f["value"]
                for f in filters
            ):
                return True
    return False


def prepaid_balance(*, contract: Contract, config: dict[str, Any], at: datetime) -> Decimal:
    """What the contract's prepaid commits and credits (its own and the customer-level ones
    that apply to it) make available at `at`, less the balances the configuration excludes.
    Provisional drawdown by the current draft statement counts: refresh it first."""
    commits = (
        Commit.objects.filter(
            customer_id=contract.customer_id,
            kind__in=[CommitKind.PREPAID, CommitKind.CREDIT],
            archived_at__isnull=True,
        )
        .filter(Q(contract=contract) | Q(contract__isnull=True))
        .prefetch_related("segments")
    )
    contract_id = str(contract.public_id)
    total = Decimal(0)
    for commit in commits:
        if commit.contract_id is None and commit.applicable_contract_ids:
            if contract_id not in commit.applicable_contract_ids:
                continue
        if _excluded(commit, config):
            continue
        total += commit_available_balance(commit, at=at)
    return total


def pending_charge(contract: Contract, kind: str) -> ThresholdCharge | None:
    return ThresholdCharge.objects.filter(
        contract=contract, kind=kind, status=ThresholdChargeStatus.PENDING_PAYMENT
    ).first()


def next_sequence(contract: Contract, kind: str) -> int:
    last = (
        ThresholdCharge.objects.filter(contract=contract, kind=kind)
        .order_by("-sequence")
        .values_list("sequence", flat=True)
        .first()
    )
    return (last or 0) + 1


def _access_end(contract: Contract, config: dict[str, Any], start: datetime) -> datetime:
    """Duration from the configuration (default one year, as Metronome), from `start`."""
    duration = (config.get("commit") or {}).get("duration") or {"unit": "YEARS", "value": 1}
    value = int(duration["value"])
    unit = duration["unit"]
    if unit == "DAYS":
        return start + timedelta(days=value)
    if unit == "WEEKS":
        return start + timedelta(weeks=value)
    return add_months(start, value * (12 if unit == "YEARS" else 1))


def threshold_commit_create(
    *, contract: Contract, kind: str, config: dict[str, Any], sequence: int, amount: Decimal,
    at: datetime,
) -> Commit:  # fmt: skip
    """The prepaid commit of one crossing: `amount` usable from `at`, not yet released."""
    spec = config.get("commit") or {}
    product = Product.objects.get(public_id=spec["product_id"])
    priority = spec.get("priority")
    commit = Commit.objects.create(
        customer_id=contract.customer_id,
        contract=contract,
        kind=CommitKind.PREPAID,
        product=product,
        name=spec.get("name") or product.name,
        description=spec.get("description") or "",
        priority=Decimal(str(priority)) if priority is not None else DEFAULT_PRIORITY,
        applicable_product_ids=spec.get("applicable_product_ids") or [],
        applicable_product_tags=spec.get("applicable_product_tags") or [],
        specifiers=spec.get("specifiers") or [],
        rate_type=spec.get("rate_type") or "LIST_RATE",
        rollover_fraction=(
            Decimal(str(spec["rollover_fraction"])) if "rollover_fraction" in spec else None
        ),
        do_not_invoice=True,  # billed by the threshold invoice, not an invoice schedule
        uniqueness_key=f"threshold:{kind.lower()}:{contract.public_id}:{sequence}",
    )
    AccessSegment.objects.create(
        commit=commit,
        amount=amount,
        starting_at=at,
        ending_before=_access_end(contract, config, at),
    )
    return commit


def threshold_charge_release(*, charge: ThresholdCharge, at: datetime | None = None) -> bool:
    """Make the charge's commit usable (idempotent). False if it was already released."""
    if charge.status == ThresholdChargeStatus.RELEASED:
        return False
    commit = charge.commit
    assert commit is not None
    for segment in commit.segments.all():
        LedgerEntry.objects.get_or_create(
            commit=commit,
            uniqueness_key=f"release:{segment.public_id}",
            defaults={
                "segment": segment,
                "type": LedgerEntryType.SEGMENT_START,
                "amount": segment.amount,
                "timestamp": segment.starting_at,
                "reason": f"Threshold charge {charge.public_id} released",
            },
        )
    charge.status = ThresholdChargeStatus.RELEASED
    charge.resolved_at = at or timezone.now()
    charge.save(update_fields=["status", "resolved_at"])
    return True


def threshold_charge_fail(*, charge: ThresholdCharge, at: datetime | None = None) -> None:
    """Payment failed: the commit is archived (never usable) and the configuration disabled,
    as Metronome does, until someone enables it again."""
    now = at or timezone.now()
    charge.status = ThresholdChargeStatus.FAILED
    charge.resolved_at = now
    charge.save(update_fields=["status", "resolved_at"])
    if charge.commit is not None and charge.commit.archived_at is None:
        charge.commit.archived_at = now
        charge.commit.save(update_fields=["archived_at", "updated_at"])
    contract = Contract.objects.select_for_update().get(pk=charge.contract_id)
    field = CONFIG_FIELD[charge.kind]
    config = dict(getattr(contract, field) or {})
    if config.get("is_enabled"):
        config["is_enabled"] = False
        setattr(contract, field, config)
        contract.save(update_fields=[field, "updated_at"])
