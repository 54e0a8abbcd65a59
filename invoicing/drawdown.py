"""Drawing usage down against prepaid commits and credits, and tracking postpaid commits.

For each usage line, in line order, the applicable segments are drawn by priority (lower
first), then soonest expiry, then age. A segment applies to a line when its commit applies to
the line's product (ids, tags or specifiers on product, pricing and presentation group values;
none given = every usage product) and its access window overlaps the line's time window. What
a segment can give an invoice is its balance from earlier invoices only (ledger entries dated
before the invoice's period), capped by what remains overall, so recomputing an earlier
statement can never overdraw a segment.

Each segment pays at its commit's price (invoicing.overrides.commit_price: a commit rate, or
commit-specific overrides) and in its unit; the arithmetic is invoicing.draw_plan's.
"""

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from django.db.models import Q, Sum

from billing_console.lib.money import round_line
from contracts.models import AccessSegment, Commit, CommitKind, LedgerEntry, LedgerEntryType
from invoicing import draw_plan
from invoicing.models import Invoice
from invoicing.overrides import ResolvedPrice, commit_price
from invoicing.usage_lines import DraftLine


@dataclass
class Draw:
    commit: Commit
    segment: AccessSegment
    amount: Decimal  # positive: what this invoice takes from the segment, in its unit
    lines: list[str]
    fiat: Decimal | None = None  # what the applied line takes off the invoice (None: amount)


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
        if _group_values_match(spec, line):
            return True
    return False


def _group_values_match(spec: dict[str, Any], line: DraftLine) -> bool:
    """A specifier's group values against the line's. A pricing group value may also be found
    among the presentation values: a per-seat credit names its seat key as a pricing group
    value whichever kind of key the usage product has for it."""
    pricing, shown = line.pricing_group_values, line.presentation_group_values
    wanted = spec.get("pricing_group_values") or {}
    return all(pricing.get(k, shown.get(k)) == v for k, v in wanted.items()) and all(
        shown.get(k) == v for k, v in (spec.get("presentation_group_values") or {}).items()
    )


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
        .select_related("access_credit_type", "recurring_commit", "product")
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


def segments_available(segments: list[AccessSegment], invoice: Invoice) -> dict[int, Decimal]:
    """What each segment can give `invoice`, by segment pk, in one query: its balance from
    earlier invoices (entries dated before the period; grants before its end), capped by what
    remains overall, never below zero."""
    earlier = Q(type=LedgerEntryType.USAGE_DEDUCTION, timestamp__lt=invoice.period_start) | (
        ~Q(type__in=[LedgerEntryType.USAGE_DEDUCTION, LedgerEntryType.EXPIRATION])
        & Q(timestamp__lt=invoice.period_end)
    )
    rows = (
        LedgerEntry.objects.filter(segment_id__in=[s.pk for s in segments])
        .exclude(invoice_public_id=invoice.public_id)
        .values("segment_id")
        .annotate(earlier=Sum("amount", filter=earlier), overall=Sum("amount"))
    )
    zero = Decimal(0)
    sums = {r["segment_id"]: (r["earlier"] or zero, r["overall"] or zero) for r in rows}
    return {s.pk: max(zero, min(*sums.get(s.pk, (zero, zero)))) for s in segments}


def plan_drawdown(invoice: Invoice, lines: list[DraftLine]) -> tuple[list[DraftLine], list[Draw]]:
    """Decide what each segment gives this invoice, and at what price: the lines (a line
    whose units a segment pays for at another price is split) and the draws. Reads the ledger;
    writes nothing."""
    candidates = _candidate_segments(invoice)
    available = segments_available([segment for _commit, segment in candidates], invoice)
    fiat_places = 0 if invoice.credit_type.is_fiat else invoice.credit_type.decimal_places
    inputs, offers = [], []
    segments: dict[int, tuple[Commit, AccessSegment]] = {}
    for line in lines:
        drawable = line.type in ("USAGE", "COMPOSITE") and line.total > 0
        inputs.append(_line_in(line, fiat_places))
        line_offers = []
        for commit, segment in candidates if drawable else []:
            if not (
                segment.starting_at < line.ending_before
                and segment.ending_before > line.starting_at
                and _applies(commit, line)
            ):
                continue
            segments[segment.pk] = (commit, segment)
            line_offers.append(
                (
                    _segment_in(commit, segment, available[segment.pk]),
                    _pricer(invoice, line, commit),
                )
            )
        offers.append(line_offers)
    outs, planned = draw_plan.plan(inputs, offers)
    new_lines, positions = _split_lines(lines, outs, segments)
    draws = []
    for out in planned:
        commit, segment = segments[out.segment]
        unit_differs = commit.access_credit_type_id is not None
        draws.append(Draw(
            commit, segment, out.amount, [str(positions[i]) for i in out.lines],
            fiat=out.fiat if unit_differs else None,
        ))  # fmt: skip
    return new_lines, draws


def _line_in(line: DraftLine, fiat_places: int) -> draw_plan.LineIn:
    rated = line.rating
    if rated is None or line.type != "USAGE":
        return draw_plan.LineIn(total=line.total)
    return draw_plan.LineIn(
        total=line.total,
        quantity=line.quantity or Decimal(0),
        used=rated.used,
        pricer=_as_pricer(rated.price),
        unit=rated.price.custom_unit,
        to_fiat=rated.to_fiat,
        unit_places=rated.unit_places if rated.price.custom_unit is not None else fiat_places,
    )


def _segment_in(commit: Commit, segment: AccessSegment, available: Decimal) -> draw_plan.SegmentIn:
    unit = commit.access_credit_type
    return draw_plan.SegmentIn(
        key=segment.pk,
        unit=commit.access_credit_type_id,
        available=available,
        pays=commit.kind != CommitKind.POSTPAID,
        unit_places=unit.decimal_places if unit is not None else 0,
    )


def _as_pricer(price: ResolvedPrice) -> draw_plan.Pricer:
    return draw_plan.Pricer(price.effective_tiers(), price.label, price)


def _pricer(invoice: Invoice, line: DraftLine, commit: Commit) -> draw_plan.Pricer | None:
    """The price `commit` pays for the line's units at, or None for the list price."""
    rated = line.rating
    if rated is None or line.product is None or line.type != "USAGE":
        return None
    price = commit_price(
        invoice.contract, line.product, rated.state, rated.pricing_values,
        rated.presentation_values, rated.at, rated.price, commit,
    )  # fmt: skip
    return _as_pricer(price) if price is not None else None


def _split_lines(
    lines: list[DraftLine], outs: list[draw_plan.LineOut], segments: dict
) -> tuple[list[DraftLine], dict[int, int]]:
    """The lines with each one that segments paid for at other prices split in two or more:
    the units each such segment paid for at its price, then the rest at the list price.
    Returns the new lines and where each old line's first piece went."""
    new: list[DraftLine] = []
    positions: dict[int, int] = {}
    for index, (line, out) in enumerate(zip(lines, outs, strict=True)):
        positions[index] = len(new)
        if not out.portions:
            new.append(line)
            continue
        for portion in out.portions:
            commit, _segment = segments[portion.segment]
            new.append(_priced_part(line, portion.quantity, portion.pricer.detail, portion.native,
                                    portion.fiat, commit))  # fmt: skip
        if out.list_quantity > 0 or out.list_fiat != 0:
            new.append(_priced_part(line, out.list_quantity, line.rating.price, out.list_native,
                                    out.list_fiat, None))  # fmt: skip
    return new, positions


def _priced_part(
    line: DraftLine,
    quantity: Decimal,
    price: ResolvedPrice,
    native: Decimal,
    fiat: Decimal,
    commit: Commit | None,
) -> DraftLine:
    to_fiat = line.rating.to_fiat if line.rating is not None else Decimal(1)
    explanation = {**price.explanation(), **{
        k: v for k, v in line.explanation.items()
        if k in ("credit_type_id", "credit_type_name", "fiat_per_custom_credit")
    }}  # fmt: skip
    explanation["priced_at"] = price.label
    if line.rating is not None and line.rating.price.custom_unit is not None:
        explanation["custom_amount"] = str(native)
    if commit is not None:
        explanation["paid_by_commit_id"] = str(commit.public_id)
        explanation["paid_by_commit"] = commit.name or commit.product.name
    unit = price.unit_price(quantity, native)
    return replace(
        line,
        quantity=quantity,
        raw_quantity=None if quantity != line.quantity else line.raw_quantity,
        unit_price=unit * to_fiat if unit is not None else None,
        total_unrounded=fiat,
        total=round_line(fiat, 0),
        explanation=explanation,
        tiers=[],
    )


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
        total_unrounded=-(draw.fiat if draw.fiat is not None else draw.amount),
        total=-(draw.fiat if draw.fiat is not None else draw.amount),
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
