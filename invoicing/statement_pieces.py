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

from billing_console.lib.periods import Period, split_at
from contracts.models import Contract
from invoicing.models import Invoice, InvoiceStatus, InvoiceType


def statement_pieces(contract: Contract, periods: list[Period]) -> list[Period]:
    """`periods` (consecutive, in order) with each one cut where its statements were cut, in
    one query."""
    if not periods or contract.pk is None:
        return periods
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
