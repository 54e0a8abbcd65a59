"""Postpaid commits: at the end of a commit's access, what was committed but not used is
invoiced as a true-up line."""

from billing_console.lib.money import round_line
from billing_console.lib.periods import Period
from contracts.models import CommitKind, Contract
from invoicing.usage_lines import DraftLine


def postpaid_true_up_lines(contract: Contract, period: Period, places: int) -> list[DraftLine]:
    """At the end of a postpaid commit's access, invoice what was committed but not used."""
    from contracts.models import Commit
    from contracts.selectors import segment_balance

    lines = []
    # A renewal that says trueup REMOVE drops the true-ups falling due after the hand-over.
    transition = getattr(contract, "transition_out", None)
    removed_from = transition.to_contract.starting_at if transition and (
        transition.future_trueup == "REMOVE"
    ) else None  # fmt: skip
    prefetched = getattr(contract, "prefetched_commits", None)  # see invoicing.close
    commits = (
        [c for c in prefetched if c.contract_id == contract.pk and c.kind == CommitKind.POSTPAID]
        if prefetched is not None
        else Commit.objects.filter(
            contract=contract, kind=CommitKind.POSTPAID, archived_at__isnull=True
        )
    )
    for commit in commits:
        for segment in commit.segments.all():
            if not period.start < segment.ending_before <= period.end:
                continue
            if removed_from is not None and segment.ending_before >= removed_from:
                continue
            shortfall = segment_balance(segment, exclude_invoice_period_start=period.start)
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
