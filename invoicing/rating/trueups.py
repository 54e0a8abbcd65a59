"""Postpaid commits: at the end of a commit's access, what was committed but not used is
invoiced as a true-up line."""

from billing_console.lib.money import round_line
from invoicing.rating.lines import DraftLine
from invoicing.rating.snapshot import StatementSnapshot


def postpaid_true_up_lines(snapshot: StatementSnapshot) -> list[DraftLine]:
    """At the end of a postpaid commit's access, invoice what was committed but not used."""
    period, places = snapshot.period, snapshot.places
    # A renewal that says trueup REMOVE drops the true-ups falling due after the hand-over.
    removed_from = snapshot.true_ups_removed_from
    lines = []
    for commit in snapshot.commits:
        if commit.contract_id != snapshot.contract.pk or commit.kind != "POSTPAID":
            continue
        for segment in commit.segments:
            if not period.start < segment.ending_before <= period.end:
                continue
            if removed_from is not None and segment.ending_before >= removed_from:
                continue
            shortfall = snapshot.shortfalls[segment.pk]
            if shortfall > 0:
                lines.append(DraftLine(
                    type="POSTPAID_TRUEUP",
                    name=f"{commit.name or 'Postpaid commit'} true-up",
                    product=commit.product,
                    starting_at=segment.starting_at,
                    ending_before=segment.ending_before,
                    total_unrounded=shortfall,
                    total=round_line(shortfall, places),
                    commit_public_id=commit.public_id,
                    commit_segment_public_id=segment.public_id,
                ))  # fmt: skip
    return lines
