"""Drawing usage down against prepaid commits and credits, and tracking postpaid commits.

For each usage line, in line order, the applicable segments are drawn by priority (lower
first), then soonest expiry, then age. A segment applies to a line when its commit applies to
the line's product (ids, tags or specifiers on product, pricing and presentation group values;
none given = every usage product) and its access window overlaps the line's time window. What
a segment can give an invoice is its balance from earlier invoices only (ledger entries dated
before the invoice's period), capped by what remains overall, so recomputing an earlier
statement can never overdraw a segment (the loader reads it: StatementSnapshot.available).

Each segment pays at its commit's price (invoicing.rating.prices.commit_price: a commit rate,
or commit-specific overrides) and in its unit; the arithmetic is invoicing.rating.draw_plan's.
invoicing.drawdown writes the draws to the ledger.
"""

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from billing_console.lib.money import round_line
from invoicing.rating import draw_plan
from invoicing.rating.lines import DraftLine
from invoicing.rating.prices import ResolvedPrice, commit_price
from invoicing.rating.snapshot import CommitTerms, SegmentTerms, StatementSnapshot

NEVER = Decimal("1e30")  # the priority of a commit without one: after all others


@dataclass(frozen=True)
class PlannedDraw:
    commit: CommitTerms
    segment: SegmentTerms
    amount: Decimal  # positive: what this invoice takes from the segment, in its unit
    lines: list[str]
    fiat: Decimal | None = None  # what the applied line takes off the invoice (None: amount)


def commit_applies(commit: CommitTerms, line: DraftLine) -> bool:
    """Whether `commit` may pay for `line`'s product (ids, tags or specifiers). Duck-typed:
    also reads a Commit row and a stored LineItem (invoicing.line_draws explains with it)."""
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
    for spec in specs or ():
        if spec.get("product_id") and spec["product_id"] != str(product.public_id):
            continue
        if spec.get("product_tags") and not set(spec["product_tags"]) <= set(line.product_tags):
            continue
        if _group_values_match(spec, line):
            return True
    return False


def _group_values_match(spec: Any, line: DraftLine) -> bool:
    """A specifier's group values against the line's. A pricing group value may also be found
    among the presentation values: a per-seat credit names its seat key as a pricing group
    value whichever kind of key the usage product has for it."""
    pricing, shown = line.pricing_group_values or {}, line.presentation_group_values or {}
    wanted = spec.get("pricing_group_values") or {}
    return all(pricing.get(k, shown.get(k)) == v for k, v in wanted.items()) and all(
        shown.get(k) == v for k, v in (spec.get("presentation_group_values") or {}).items()
    )


def candidate_segments(snapshot: StatementSnapshot) -> list[tuple[CommitTerms, SegmentTerms]]:
    """The segments that may pay for this invoice, in the order they pay."""
    contract, period = snapshot.contract, snapshot.invoice_period
    commits = [
        c for c in snapshot.commits
        if c.from_parent
        or (c.customer_id == snapshot.invoice_customer_id and c.contract_id in (None, contract.pk))
    ]  # fmt: skip
    contract_id = str(contract.public_id)
    pairs = [
        (commit, segment)
        for commit in commits
        # a customer-level commit may be limited to some of the customer's contracts
        if commit.contract_id is not None
        or not commit.applicable_contract_ids
        or contract_id in commit.applicable_contract_ids
        for segment in commit.segments
        if segment.starting_at < period.end and segment.ending_before > period.start
    ]
    pairs.sort(
        key=lambda p: (
            p[0].priority if p[0].priority is not None else NEVER,
            p[1].ending_before,
            p[0].pk,
            p[1].pk,
        )
    )
    return pairs


def plan_drawdown(
    snapshot: StatementSnapshot, lines: list[DraftLine]
) -> tuple[list[DraftLine], list[PlannedDraw]]:
    """Decide what each segment gives this invoice, and at what price: the lines (a line
    whose units a segment pays for at another price is split) and the draws."""
    candidates = candidate_segments(snapshot)
    inputs, offers = [], []
    segments: dict[int, tuple[CommitTerms, SegmentTerms]] = {}
    for line in lines:
        drawable = line.type in ("USAGE", "COMPOSITE") and line.total > 0
        inputs.append(_line_in(line, snapshot.places))
        line_offers = []
        for commit, segment in candidates if drawable else []:
            if not (
                segment.starting_at < line.ending_before
                and segment.ending_before > line.starting_at
                and commit_applies(commit, line)
            ):
                continue
            segments[segment.pk] = (commit, segment)
            available = snapshot.available[segment.pk]
            line_offers.append(
                (_segment_in(commit, segment, available), _pricer(snapshot, line, commit))
            )
        offers.append(line_offers)
    outs, planned = draw_plan.plan(inputs, offers)
    new_lines, positions = _split_lines(lines, outs, segments)
    draws = []
    for out in planned:
        commit, segment = segments[out.segment]
        unit_differs = commit.access_credit_type_id is not None
        draws.append(PlannedDraw(
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


def _segment_in(
    commit: CommitTerms, segment: SegmentTerms, available: Decimal
) -> draw_plan.SegmentIn:
    return draw_plan.SegmentIn(
        key=segment.pk,
        unit=commit.access_credit_type_id,
        available=available,
        pays=commit.kind != "POSTPAID",
        unit_places=commit.access_unit_places,
    )


def _as_pricer(price: ResolvedPrice) -> draw_plan.Pricer:
    return draw_plan.Pricer(price.effective_tiers(), price.label, price)


def _pricer(
    snapshot: StatementSnapshot, line: DraftLine, commit: CommitTerms
) -> draw_plan.Pricer | None:
    """The price `commit` pays for the line's units at, or None for the list price."""
    rated = line.rating
    if rated is None or line.product is None or line.type != "USAGE":
        return None
    price = commit_price(
        snapshot.contract, line.product, rated.state, rated.pricing_values,
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
        assert line.rating is not None  # only a priced usage line is paid at other prices
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
    commit: CommitTerms | None,
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


def applied_line(draw: PlannedDraw) -> DraftLine | None:
    """The negative invoice line of a prepaid commit or credit drawdown (none for postpaid)."""
    if draw.commit.kind == "POSTPAID":
        return None
    is_credit = draw.commit.kind == "CREDIT"
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
