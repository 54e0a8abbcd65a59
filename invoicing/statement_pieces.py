"""A contract's usage statements as they are billed: its schedule's periods, cut where a
statement was finalized before its period ended (invoicing.finalize_rules).

A period finalized early on Dec 4 is billed by two statements: the finalized one, [Dec 1,
Dec 3), and the rest of the period, [Dec 3, Jan 1), a draft the close finalizes after Jan 1.
Both are stored invoices, so the cut is read back from them, never stored twice: inside a
period, a live statement that starts after the period's start begins a piece, and a finalized
one that ends before the period's end ends one. A draft's own end does not cut (a draft whose
contract end moved is brought in line by invoicing.draft_refresh), nor does a void invoice: a
void statement's period is billed again by the next refresh, as a void whole period is.
"""

from datetime import datetime

from billing_console.lib.periods import Period, iter_periods, split_at
from contracts.models import Contract
from invoicing.models import Invoice, InvoiceStatus, InvoiceType

Row = tuple[datetime, datetime, str]  # a live statement's (period_start, period_end, status)


def statement_periods(
    contract: Contract, through: datetime, rows: list[Row] | None = None
) -> list[Period]:
    """Usage statement periods begun by `through`, cut where one was finalized early; `rows`:
    the contract's live statements when the caller read them (a batch), else read here."""
    end = (
        min(filter(None, [contract.ending_before, through])) if contract.ending_before else through
    )
    periods = []
    for period in iter_periods(
        contract.usage_statement_anchor, contract.usage_statement_frequency, until=end
    ):
        if contract.ending_before and period.start >= contract.ending_before:
            break
        clipped = period.intersect(
            Period(contract.starting_at, contract.ending_before or period.end)
        )
        if clipped is not None:
            periods.append(clipped)
    pieces = statement_pieces(contract, periods, rows)
    return [piece for piece in pieces if piece.start < end]


def statement_pieces(
    contract: Contract, periods: list[Period], rows: list[Row] | None = None
) -> list[Period]:
    """`periods` (consecutive, in order) with each one cut where its statements were cut, in
    one query (none when the caller gives the contract's live statements as `rows`)."""
    if not periods or contract.pk is None:
        return periods
    if rows is None:
        rows = list(
            Invoice.objects.filter(
                contract=contract,
                type=InvoiceType.USAGE,
                period_start__gte=periods[0].start,
                period_start__lt=periods[-1].end,
            )
            .exclude(status=InvoiceStatus.VOID)
            .values_list("period_start", "period_end", "status")
        )
    pieces: list[Period] = []
    for period in periods:
        cuts = []
        for start, end, status in rows:
            if not period.contains(start):
                continue
            cuts.append(start)  # split_at ignores the period's own start
            if status == InvoiceStatus.FINALIZED:
                cuts.append(end)  # and any end at or after the period's end
        pieces += split_at(period, cuts)
    return pieces
