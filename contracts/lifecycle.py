"""Ending contracts: archiving its terms (invoicing.contract_archive voids its invoices first)
and changing the end date."""

from datetime import datetime

from django.db import transaction

from billing_console.api import ApplicationError
from contracts.models import CommitKind, Contract
from contracts.terms.ledger import segment_close

END_BEFORE_FINALIZED = (
    "{field}: the contract has a finalized invoice through {end}; set {flag} to end it earlier."
)


def latest_finalized_end(contract: Contract) -> datetime | None:
    from django.apps import apps

    invoice_model = apps.get_model("invoicing", "Invoice")  # invoicing sits above contracts
    latest = (
        invoice_model.objects.filter(contract=contract, status__in=["FINALIZED", "PAID"])
        .order_by("-period_end")
        .first()
    )
    return latest.period_end if latest else None


def end_date_check(
    contract: Contract, end: datetime | None, *, allow: bool, field: str, flag: str
) -> None:
    """Refuse an end at or before the start, and (unless `allow`) before the end of a period
    that a finalized invoice already billed."""
    if end is not None and end <= contract.starting_at:
        raise ApplicationError(f"{field}: must be after the contract's starting_at.")
    finalized_end = latest_finalized_end(contract)
    if end is not None and finalized_end and end < finalized_end and not allow:
        raise ApplicationError(
            END_BEFORE_FINALIZED.format(field=field, end=finalized_end.isoformat(), flag=flag)
        )


@transaction.atomic
def contract_update_end_date(
    *, contract: Contract, ending_before: datetime | None, allow_before_finalized: bool = True
) -> Contract:
    """Set (or, with None, remove) the contract's end. Metronome defaults
    allow_ending_before_finalized_invoice to true; false refuses to cut into billed periods."""
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    if contract.archived_at is not None:
        raise ApplicationError("contract_id: the contract is archived.")
    end_date_check(
        contract,
        ending_before,
        allow=allow_before_finalized,
        field="ending_before",
        flag="allow_ending_before_finalized_invoice",
    )
    contract.ending_before = ending_before
    contract.save(update_fields=["ending_before", "updated_at"])
    return contract


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
