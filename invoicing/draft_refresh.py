"""A contract edit that changes what its drafts bill (scheduled charge items, commit invoice
schedules, the end date) brings those drafts in line at once, in the edit's transaction, so no
draft keeps billing what the contract no longer says (contracts.signals.contract_billing_changed).

Finalized invoices never change. A SCHEDULED draft is recomputed, or voided when nothing is
billed at its moment any more; when the end moved, a usage statement draft whose period now lies
after the end is voided (giving back what it drew) and one whose period the end cut or
lengthened takes the new period and is recomputed.
"""

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from contracts.models import Contract
from invoicing.models import Invoice, InvoiceStatus, InvoiceType
from invoicing.services import (
    contract_scheduled_invoices_sync,
    contract_statement_periods,
    invoice_compute_usage,
    invoice_void,
)

STEP = timedelta(microseconds=1)  # `through` is exclusive: a draft dated `t` needs t + STEP


def _drafts(contract: Contract, kind: str) -> list[Invoice]:
    return list(
        Invoice.objects.filter(contract=contract, type=kind, status=InvoiceStatus.DRAFT).order_by(
            "period_start", "pk"
        )
    )


def _scheduled(contract: Contract, now: datetime, done: dict[str, list[str]]) -> None:
    drafts = _drafts(contract, InvoiceType.SCHEDULED)
    if not drafts:
        return
    through = max(now, drafts[-1].period_start + STEP)
    live = {invoice.pk for invoice in contract_scheduled_invoices_sync(contract=contract, through=through)}  # fmt: skip
    for draft in drafts:
        if draft.pk in live:
            done["recomputed"].append(str(draft.public_id))
        else:  # nothing is billed at its moment any more
            invoice_void(invoice=draft)
            done["voided"].append(str(draft.public_id))


def _usage(contract: Contract, now: datetime, done: dict[str, list[str]]) -> None:
    from invoicing.failures import statement_failed

    drafts = _drafts(contract, InvoiceType.USAGE)
    if not drafts:
        return
    through = max(now, drafts[-1].period_end)
    periods = {p.start: p for p in contract_statement_periods(contract, through)}
    for draft in drafts:
        period = periods.get(draft.period_start)
        if period is None:  # the period now lies after the contract's end
            invoice_void(invoice=draft)
            done["voided"].append(str(draft.public_id))
            continue
        if draft.period_end == period.end:
            continue  # the move did not touch its period: nothing it bills changed
        draft.period_end = draft.issued_at = period.end
        draft.save(update_fields=["period_end", "issued_at", "updated_at"])
        try:
            invoice_compute_usage(contract=contract, period=period)
        except Exception as error:  # recorded on the draft, as a refresh records it
            statement_failed(contract=contract, period=period, error=error)
        done["recomputed"].append(str(draft.public_id))


def contract_drafts_refresh(*, contract: Contract, end_date_moved: bool) -> dict[str, list[str]]:
    """Recompute or void the contract's drafts after an edit; returns their ids by what was
    done ({"recomputed": [...], "voided": [...]}, empty lists left out)."""
    done: dict[str, list[str]] = {"recomputed": [], "voided": []}
    now = timezone.now()
    _scheduled(contract, now, done)
    if end_date_moved:
        _usage(contract, now, done)
    return {key: ids for key, ids in done.items() if ids}


def on_contract_billing_changed(
    sender: Any, contract: Contract, end_date_moved: bool = False, **kwargs: Any
) -> dict[str, list[str]]:
    return contract_drafts_refresh(contract=contract, end_date_moved=end_date_moved)
