"""Drawing usage down against prepaid commits and credits, and tracking postpaid commits.

For each usage line, in line order, the applicable segments are drawn by priority (lower
first), then soonest expiry, then age. A segment applies to a line when its commit applies to
the line's product (ids, tags or specifiers; none given = every usage product) and its access
window overlaps the line's time window. What a segment can give an invoice is its balance from
earlier invoices only (ledger entries dated before the invoice's period), capped by what remains
overall, so recomputing an earlier statement can never overdraw a segment.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, Sum

from contracts.models import AccessSegment, Commit, CommitKind, LedgerEntry, LedgerEntryType
from invoicing.models import Invoice
from invoicing.usage_lines import DraftLine


@dataclass
class Draw:
    commit: Commit
    segment: AccessSegment
    amount: Decimal  # positive: what this invoice takes from the segment
    lines: list[str]


def _applies(commit: Commit, line: DraftLine) -> bool:
    product = line.product
    if product is None:
        return False
    ids, tags, specs = (
        commit.applicable_product_ids,
        commit.applicable_product_tags,
        commit.specifiers,
    )
    if not (ids or tags or specs):
        return True
    if str(product.public_id) in ids or set(tags) & set(line.product_tags):
        return True
    for spec in specs:
        if spec.get("product_id") and spec["product_id"] != str(product.public_id):
            continue
        if spec.get("product_tags") and not set(spec["product_tags"]) <= set(line.product_tags):
            continue
        wanted = spec.get("pricing_group_values") or {}
        if all(line.pricing_group_values.get(k) == v for k, v in wanted.items()):
            return True
    return False


def _candidate_segments(invoice: Invoice) -> list[tuple[Commit, AccessSegment]]:
    prefetched = getattr(invoice.contract, "prefetched_commits", None)  # see invoicing.close
    commits = (
        [
            c
            for c in prefetched
            if c.customer_id == invoice.customer_id and c.contract_id in (None, invoice.contract_id)
        ]
        if prefetched is not None
        else Commit.objects.filter(customer=invoice.customer, archived_at__isnull=True)
        .filter(Q(contract=invoice.contract) | Q(contract__isnull=True))
        .prefetch_related("segments")
    )
    contract_id = str(invoice.contract.public_id)
    pairs = [
        (commit, segment)
        for commit in commits
        # a customer-level commit may be limited to some of the customer's contracts
        if commit.contract_id is not None
        or not commit.applicable_contract_ids
        or contract_id in commit.applicable_contract_ids
        for segment in commit.segments.all()
        if segment.starting_at < invoice.period_end and segment.ending_before > invoice.period_start
    ]
    never = Decimal("1e30")
    pairs.sort(
        key=lambda p: (
            p[0].priority if p[0].priority is not None else never,
            p[1].ending_before,
            p[0].pk,
            p[1].pk,
        )
    )
    return pairs


def segment_available(segment: AccessSegment, invoice: Invoice) -> Decimal:
    entries = LedgerEntry.objects.filter(segment=segment).exclude(
        invoice_public_id=invoice.public_id
    )
    earlier = entries.filter(
        Q(type=LedgerEntryType.USAGE_DEDUCTION, timestamp__lt=invoice.period_start)
        | (
            ~Q(type__in=[LedgerEntryType.USAGE_DEDUCTION, LedgerEntryType.EXPIRATION])
            & Q(timestamp__lt=invoice.period_end)
        )
    ).aggregate(total=Sum("amount"))["total"] or Decimal(0)
    overall = entries.aggregate(total=Sum("amount"))["total"] or Decimal(0)
    return max(Decimal(0), min(earlier, overall))


def plan_drawdown(invoice: Invoice, lines: list[DraftLine]) -> list[Draw]:
    """Decide what each segment gives this invoice. Reads the ledger; writes nothing."""
    candidates = _candidate_segments(invoice)
    available: dict[int, Decimal] = {}
    draws: dict[int, Draw] = {}
    for index, line in enumerate(lines):
        if line.type not in ("USAGE", "COMPOSITE") or line.total <= 0:
            continue
        owed = line.total
        for commit, segment in candidates:
            if owed <= 0:
                break
            if not (
                segment.starting_at < line.ending_before
                and segment.ending_before > line.starting_at
            ):
                continue
            if not _applies(commit, line):
                continue
            if segment.pk not in available:
                available[segment.pk] = segment_available(segment, invoice)
            take = min(owed, available[segment.pk])
            if take <= 0:
                continue
            available[segment.pk] -= take
            if commit.kind != CommitKind.POSTPAID:
                owed -= take  # postpaid commits track spend; the usage is still invoiced
            draw = draws.setdefault(segment.pk, Draw(commit, segment, Decimal(0), []))
            draw.amount += take
            draw.lines.append(str(index))
    return list(draws.values())


def applied_line(draw: Draw) -> DraftLine | None:
    """The negative invoice line of a prepaid commit or credit drawdown (none for postpaid)."""
    if draw.commit.kind == CommitKind.POSTPAID:
        return None
    is_credit = draw.commit.kind == CommitKind.CREDIT
    return DraftLine(
        type="APPLIED_CREDIT" if is_credit else "APPLIED_COMMIT",
        name=draw.commit.name or ("Credit" if is_credit else "Prepaid commit"),
        product=draw.commit.product,
        starting_at=draw.segment.starting_at,
        ending_before=draw.segment.ending_before,
        total_unrounded=-draw.amount,
        total=-draw.amount,
        explanation={"commit_type": draw.commit.kind, "drawn_for_lines": draw.lines},
        commit_public_id=draw.commit.public_id,
        commit_segment_public_id=draw.segment.public_id,
    )


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
