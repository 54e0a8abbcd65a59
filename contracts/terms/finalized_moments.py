"""Moments an item can no longer be invoiced at: a SCHEDULED invoice already finalized (a
finalized invoice never changes what it says), or the contract's end and after (a contract that
has ended bills nothing more: contracts/end_date.py trims what lies there when the end moves).
An item dated at such a moment (a scheduled charge's, a discount's, a prepaid commit's invoice
schedule item, a professional services invoice) is refused, naming its timestamp."""

from datetime import datetime

from billing_console.wire import Reader
from contracts.models import Contract

INTO_FINALIZED = (
    "the scheduled invoice of {when} is finalized ({number}): an item dated then would never "
    "be invoiced."
)
AFTER_END = (
    "the contract ends at {end} (ending_before, exclusive): an item dated {when} would never be "
    "invoiced on it."
)


def finalized_scheduled_invoices(contract: Contract | None) -> dict[datetime, str]:
    """The moments whose SCHEDULED invoice is finalized, with its number (none, without a
    query, for no contract or one not saved yet)."""
    if contract is None or contract.pk is None:
        return {}
    from django.apps import apps

    invoice_model = apps.get_model("invoicing", "Invoice")  # invoicing sits above contracts
    rows = invoice_model.objects.filter(
        contract=contract, type="SCHEDULED", status__in=["FINALIZED", "PAID"]
    ).values_list("period_start", "number")
    return {moment: number or "without a number" for moment, number in rows}


def when(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def open_moment(
    reader: Reader,
    moment: datetime,
    finalized: dict[datetime, str],
    end: datetime | None = None,
    key: str = "timestamp",
) -> datetime:
    """`moment` (read from `reader`'s `key`), unless its scheduled invoice is finalized or it
    is at or after `end` (the contract's ending_before; None: open-ended)."""
    if moment in finalized:
        why = INTO_FINALIZED.format(when=when(moment), number=finalized[moment])
        raise reader.fail(key, why)
    return before_end(reader, moment, end, key)


def before_end(reader: Reader, moment: datetime, end: datetime | None, key: str) -> datetime:
    """`moment` (read from `reader`'s `key`), unless it is at or after the contract's end."""
    if end is not None and moment >= end:
        raise reader.fail(key, AFTER_END.format(end=when(end), when=when(moment)))
    return moment
