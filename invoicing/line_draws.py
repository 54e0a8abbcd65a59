"""Which commits and credits paid each charge line, and why a commit or credit that still has
money left did not pay what is owed.

Read from the invoice's applied lines (their explanation names the positions of the lines each
draw paid, in line order: invoicing.rating.drawdown.applied_line) and the commits' terms. The
reasons mirror the drawdown's rules (invoicing.rating.drawdown): a segment pays a usage or
composite line when its unit is the line's, its commit applies to the line's product, and its
access window overlaps the line's; else its balance for the period was used up.
"""

from decimal import Decimal

from django.db.models import Q

from billing_console.lib.money_text import format_money, unit_label
from contracts.models import Commit, CommitKind
from contracts.selectors import commit_balance
from invoicing.models import Invoice, LineItem
from invoicing.rating.drawdown import commit_applies

DRAWN_TYPES = ("USAGE", "COMPOSITE")  # the only lines the drawdown draws commits for

NOT_DRAWN = "only usage lines draw from commits and credits"
OTHER_UNIT = "it is in {commit_unit}, this line in {line_unit}"
NOT_APPLICABLE = "not applicable to this product"
OUTSIDE_WINDOW = "outside its access window ({window})"
OTHER_CONTRACT = "limited to other contracts"
EXHAUSTED = "exhausted: what it had for this period went to other lines or invoices"


def _window(commit: Commit) -> str:
    segments = list(commit.segments.all())
    if not segments:
        return "none"
    start = min(s.starting_at for s in segments)
    end = max(s.ending_before for s in segments)
    return f"{start:%b} {start.day}, {start.year} to {end:%b} {end.day}, {end.year}"


def _overlaps(commit: Commit, line: LineItem) -> bool:
    if line.starting_at is None or line.ending_before is None:
        return True
    return any(
        s.starting_at < line.ending_before and s.ending_before > line.starting_at
        for s in commit.segments.all()
    )


def why_not_paid(invoice: Invoice, commit: Commit, line: LineItem) -> str:
    if line.type not in DRAWN_TYPES:
        return NOT_DRAWN
    line_unit_id = (line.explanation or {}).get("credit_type_id")
    commit_unit = commit.access_credit_type
    if (commit_unit.public_id if commit_unit else None) != line_unit_id and (
        commit_unit is not None or line_unit_id
    ):
        line_unit = (line.explanation or {}).get("credit_type_name") or unit_label(
            invoice.credit_type
        )
        commit_label = unit_label(commit_unit) if commit_unit else unit_label(invoice.credit_type)
        return OTHER_UNIT.format(commit_unit=commit_label, line_unit=line_unit)
    if (
        commit.contract_id is None
        and commit.applicable_contract_ids
        and str(invoice.contract.public_id) not in commit.applicable_contract_ids
    ):
        return OTHER_CONTRACT
    if not commit_applies(commit, line):
        return NOT_APPLICABLE
    if not _overlaps(commit, line):
        return OUTSIDE_WINDOW.format(window=_window(commit))
    return EXHAUSTED


def _paid(
    invoice: Invoice, lines: list[LineItem]
) -> tuple[dict[int, list[str]], dict[int, Decimal]]:
    """What each draw paid of each line (filled in line order), and what is left owed."""
    by_position = {line.position: line for line in lines}
    owed = {line.pk: line.total for line in lines}
    paid_by: dict[int, list[str]] = {line.pk: [] for line in lines}
    applied = [line for line in invoice.lines.all() if line.type.startswith("APPLIED_")]
    for draw in applied:
        left = -draw.total  # positive: what it took off the invoice, in its credit type
        for position in (draw.explanation or {}).get("drawn_for_lines", []):
            line = by_position.get(int(position))
            if line is None or left <= 0:
                continue
            share = min(owed[line.pk], left)
            owed[line.pk] -= share
            left -= share
            kind = "credit" if draw.type == "APPLIED_CREDIT" else "commit"
            money = format_money(share, invoice.credit_type)
            paid_by[line.pk].append(f"{draw.name} ({kind}) paid {money}")
    for line in lines:  # usage priced at a commit's own price: that commit paid it
        commit_name = (line.explanation or {}).get("paid_by_commit")
        if commit_name and not paid_by[line.pk]:
            paid_by[line.pk].append(f"{commit_name} paid it, at its own price")
    return paid_by, owed


def _commits_with_money(invoice: Invoice) -> list[tuple[Commit, Decimal]]:
    commits = (
        Commit.objects.filter(
            Q(contract=invoice.contract) | Q(customer=invoice.customer, contract__isnull=True),
            kind__in=(CommitKind.PREPAID, CommitKind.CREDIT),
            archived_at__isnull=True,
        )
        .select_related("product", "access_credit_type")
        .prefetch_related("segments")
    )
    out = []
    for commit in commits:
        balance = commit_balance(commit)
        if balance > 0:
            out.append((commit, balance))
    return out


def draw_notes(invoice: Invoice, lines: list[LineItem]) -> dict[int, tuple[list[str], list[str]]]:
    """Per charge line (by pk): who paid it, and why each commit or credit with money left did
    not pay what is still owed on it."""
    paid_by, owed = _paid(invoice, lines)
    owing = [line for line in lines if owed[line.pk] > 0]
    commits = _commits_with_money(invoice) if owing else []
    notes: dict[int, tuple[list[str], list[str]]] = {}
    for line in lines:
        why = []
        if owed[line.pk] > 0:
            for commit, balance in commits:
                unit = commit.access_credit_type or invoice.credit_type
                name = commit.name or commit.product.name
                reason = why_not_paid(invoice, commit, line)
                why.append(f"{name} ({format_money(balance, unit)} left) did not pay: {reason}.")
        notes[line.pk] = (paid_by[line.pk], why)
    return notes
