"""Commit drawdown written to the ledger: what a statement's draws take from each segment.

The draws are planned by the rating core (invoicing.rating.drawdown: which segments pay for
which lines, at what price, in which unit) and given back as rows by invoicing.rating.apply;
a draft's provisional deductions are replaced when it is recomputed, and a voided invoice's
are reversed by appended entries.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from contracts.models import AccessSegment, Commit, LedgerEntry, LedgerEntryType
from invoicing.models import Invoice


@dataclass
class Draw:
    commit: Commit
    segment: AccessSegment
    amount: Decimal  # positive: what this invoice takes from the segment, in its unit
    lines: list[str]
    fiat: Decimal | None = None  # what the applied line takes off the invoice (None: amount)


def write_ledger(invoice: Invoice, draws: list[Draw]) -> None:
    """Replace this (draft) invoice's provisional deductions with the new plan."""
    LedgerEntry.objects.filter(
        invoice_public_id=invoice.public_id, type=LedgerEntryType.USAGE_DEDUCTION
    ).delete()
    LedgerEntry.objects.bulk_create(
        LedgerEntry(
            commit=draw.commit,
            segment=draw.segment,
            type=LedgerEntryType.USAGE_DEDUCTION,
            amount=-draw.amount,
            timestamp=invoice.period_start,
            invoice_public_id=invoice.public_id,
            reason=f"Usage on invoice {invoice.public_id}",
        )
        for draw in draws
        if draw.amount > 0
    )


def reverse_ledger(invoice: Invoice) -> None:
    """A voided invoice gives back what it drew: append reversing entries (append-only)."""
    for entry in LedgerEntry.objects.filter(
        invoice_public_id=invoice.public_id, type=LedgerEntryType.USAGE_DEDUCTION, amount__lt=0
    ):
        LedgerEntry.objects.create(
            commit=entry.commit,
            segment=entry.segment,
            type=LedgerEntryType.USAGE_DEDUCTION,
            amount=-entry.amount,
            timestamp=entry.timestamp,
            invoice_public_id=invoice.public_id,
            reason=f"Invoice {invoice.public_id} voided",
            uniqueness_key=f"void:{entry.public_id}",
        )


def explain(draws: list[Draw]) -> list[dict[str, Any]]:
    return [
        {
            "commit_id": str(d.commit.public_id),
            "segment_id": str(d.segment.public_id),
            "amount": str(d.amount),
        }
        for d in draws
    ]
