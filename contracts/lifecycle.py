"""Ending contracts: archiving its terms (invoicing.contract_archive voids its invoices first).
Changing the end date, and what it trims, is contracts/end_date.py (its names are kept here for
the modules that import them from here)."""

from datetime import datetime

from contracts.end_date import (
    END_BEFORE_FINALIZED as END_BEFORE_FINALIZED,
)
from contracts.end_date import (
    contract_update_end_date as contract_update_end_date,
)
from contracts.end_date import (
    end_date_check as end_date_check,
)
from contracts.end_date import (
    latest_finalized_end as latest_finalized_end,
)
from contracts.models import CommitKind, Contract
from contracts.terms.ledger import segment_close


def contract_terms_archive(*, contract: Contract, now: datetime) -> None:
    """Archive a locked contract and its terms (its invoices are invoicing's: see
    invoicing.contract_archive): what remains on prepaid commits and credits expires now."""
    for commit in contract.commits.filter(archived_at__isnull=True).prefetch_related("segments"):
        if commit.kind != CommitKind.POSTPAID:
            for segment in commit.segments.all():
                segment_close(segment, at=now, reason="Contract archived", rollover=False)
        commit.archived_at = now
        commit.save(update_fields=["archived_at", "updated_at"])
    for related in (contract.overrides, contract.scheduled_charges, contract.recurring_commits):
        related.filter(archived_at__isnull=True).update(archived_at=now)
    contract.archived_at = now
    contract.save(update_fields=["archived_at", "updated_at"])
