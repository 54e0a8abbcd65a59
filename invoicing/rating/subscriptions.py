"""Subscription charges: quantity x the rate card's SUBSCRIPTION price per billing period.

The loader gives each subscription's billing periods with their quantities (the fold of its
quantity changes, contracts.terms.subscriptions); this module prices and places them.

Where a charge goes (what Metronome does for each collection schedule):

- ARREARS: billed with the period's end, on the usage statement whose period contains that end
  (start < end <= statement end), next to the usage of the same period. With
  billing_cycle_config.invoice_placement ON_SCHEDULED_INVOICE it gets a SCHEDULED invoice dated
  the period's end instead.
- ADVANCE: billed at the period's start, on the SCHEDULED invoice dated that start (shared with
  any scheduled charge or commit purchase of the same timestamp), so the customer pays before
  the service: usage statements are only issued at the end of their period.

Quantity changes inside a billing period:

- the period's base charge is the quantity at its start; a subscription starting or ending
  mid-period is prorated (seconds active / seconds in the period) when `is_prorated`;
- a seat increase at t charges the added quantity for the rest of the period: (end - t) / period
  length when prorated, the full price otherwise;
- a decrease credits (a negative line) the rest of the period only when prorated; not prorated,
  nothing is given back;
- an ADVANCE subscription bills these adjustments at t (BILL_IMMEDIATELY: a SCHEDULED invoice
  dated t) or at the next collection date (BILL_ON_NEXT_COLLECTION_DATE: the period's end);
  ARREARS ones go with the period's end.

Prorated amounts are rounded by proration.rounding when given; every line is then rounded once,
HALF_UP, to the credit type's precision (whole cents for USD). Charges on an invoice that was
already finalized are not reissued: a change backdated before a finalized invoice is not billed.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any

from billing_console.lib.money import quantize, round_line
from billing_console.lib.periods import Period
from invoicing.rating.lines import DraftLine
from invoicing.rating.overrides import NO_PRIORITY, override_active, override_matches
from invoicing.rating.rates import rates_in
from invoicing.rating.snapshot import ContractTerms, StatementSnapshot, SubscriptionTerms
from pricing import rating

ROUNDING = {"HALF_UP": ROUND_HALF_UP, "FLOOR": ROUND_FLOOR, "CEILING": ROUND_CEILING}
ONE = Decimal(1)
Price = tuple[Decimal, Decimal, list]  # (price, list price, override ids)


@dataclass(frozen=True)
class Charge:
    collect_at: datetime  # the collection moment: which invoice carries it
    on_usage_statement: bool
    line: DraftLine


def list_price(contract: ContractTerms, sub: SubscriptionTerms, at: datetime) -> Decimal | None:
    """The rate card's SUBSCRIPTION price for the subscription's product at `at`."""
    if contract.rate_card is None:
        return None
    for rate in rates_in(contract.rate_card, at, None, sub.product.pk):
        if rating.subscription_rate_in_force(rate, sub.billing_frequency, at):
            return rate.price
    return None


def _tags_at(sub: SubscriptionTerms, at: datetime) -> list[str]:
    current = sub.versions[0]
    for version in sub.versions:
        if version.starting_at <= at:
            current = version
    return list(current.tags or [])


def unit_price(contract: ContractTerms, sub: SubscriptionTerms, at: datetime) -> Price:
    """(price, list price, override ids): the rate card's SUBSCRIPTION price, then an OVERWRITE
    override to a SUBSCRIPTION price and at most one MULTIPLIER, as for usage."""
    listed = list_price(contract, sub, at)
    price = listed
    tags = _tags_at(sub, at)
    overrides = [
        o for o in contract.overrides
        if o.archived_at is None and not o.is_commit_specific and override_active(o, at)
        and override_matches(o, sub.product, tags, {})
    ]  # fmt: skip
    applied = []
    overwrites = sorted(
        (o for o in overrides if o.type == "OVERWRITE"
         and (o.overwrite_rate or {}).get("rate_type") == "SUBSCRIPTION"),
        key=lambda o: (o.priority if o.priority is not None else NO_PRIORITY, -o.starting_at.timestamp()),
    )  # fmt: skip
    if overwrites:
        price = Decimal(str(overwrites[0].overwrite_rate["price"]))  # type: ignore[index]
        applied.append(str(overwrites[0].public_id))
    multipliers = [o for o in overrides if o.type == "MULTIPLIER"]
    if multipliers and price is not None:
        if contract.multiplier_override_prioritization == "EXPLICIT":
            chosen = min(
                multipliers,
                key=lambda o: (o.priority if o.priority is not None else NO_PRIORITY, o.multiplier),
            )
        else:
            chosen = min(multipliers, key=lambda o: o.multiplier)  # type: ignore[arg-type,return-value]
        price *= chosen.multiplier  # type: ignore[operator]
        applied.append(str(chosen.public_id))
    return price if price is not None else Decimal(-1), listed or Decimal(0), applied


def _prorate(sub: SubscriptionTerms, amount: Decimal, fraction: Decimal) -> Decimal:
    if fraction == ONE:
        return amount
    amount *= fraction
    rule = sub.proration_rounding
    if rule:
        amount = quantize(amount, int(rule["decimal_places"]), ROUNDING[rule["rounding_method"]])
    return amount


def _line(sub: SubscriptionTerms, name: str, start: datetime, end: datetime, quantity: Decimal,
          price: Price, fraction: Decimal, places: int, **why: Any) -> DraftLine:  # fmt: skip
    amount = _prorate(sub, quantity * price[0], fraction)
    return DraftLine(
        type="SUBSCRIPTION", name=name, product=sub.product, starting_at=start, ending_before=end,
        quantity=quantity, unit_price=price[0], list_price=price[1], total_unrounded=amount,
        total=round_line(amount, places),
        explanation={"subscription_id": str(sub.public_id), "collection_schedule": sub.collection_schedule,
                     "proration_fraction": str(fraction), "override_ids": price[2], **why},
    )  # fmt: skip


def _fraction(part: Period | tuple[datetime, datetime], full: Period) -> Decimal:
    start, end = (part.start, part.end) if isinstance(part, Period) else part
    return Decimal((end - start).total_seconds()) / Decimal(full.duration.total_seconds())


def subscription_charges(
    contract: ContractTerms, sub: SubscriptionTerms, places: int
) -> Iterator[Charge]:
    """Every charge of the subscription's billing periods (those the loader gave it)."""
    advance = sub.collection_schedule == "ADVANCE"
    on_usage = not advance and sub.invoice_placement != "ON_SCHEDULED_INVOICE"
    name = sub.name
    for period in sub.periods:
        clipped, full = period.clipped, period.full
        price = unit_price(contract, sub, clipped.start)
        if price[0] < 0:
            continue  # no SUBSCRIPTION rate in force: nothing to bill
        start_quantity, steps = period.start_quantity, period.steps
        collect = clipped.start if advance else clipped.end
        if start_quantity:
            fraction = _fraction(clipped, full) if sub.is_prorated else ONE
            yield Charge(collect, on_usage, _line(
                sub, name, clipped.start, clipped.end, start_quantity, price, fraction,
                places, billing_period=[clipped.start.isoformat(), clipped.end.isoformat()],
            ))  # fmt: skip
        for moment, before, after in steps:
            delta = after - before
            if delta < 0 and not sub.is_prorated:
                continue  # no credit for removed seats without proration
            fraction = _fraction((moment, clipped.end), full) if sub.is_prorated else ONE
            if advance:
                at = moment if sub.invoice_behavior == "BILL_IMMEDIATELY" else clipped.end
            else:
                at = clipped.end
            label = f"{name} ({'+' if delta > 0 else ''}{delta.normalize():f} from {moment:%b} {moment.day}, {moment.year})"
            yield Charge(at, on_usage, _line(
                sub, label, moment, clipped.end, delta, price, fraction, places,
                quantity_change_at=moment.isoformat(), quantity_before=str(before), quantity_after=str(after),
            ))  # fmt: skip


def subscription_usage_lines(snapshot: StatementSnapshot) -> list[DraftLine]:
    """The subscription lines a usage statement carries (ARREARS charges collected in
    (period.start, period.end])."""
    period, lines = snapshot.period, []
    for sub in snapshot.subscriptions:
        for charge in subscription_charges(snapshot.contract, sub, snapshot.places):
            if charge.on_usage_statement and period.start < charge.collect_at <= period.end:
                lines.append(charge.line)
    return lines


def subscription_scheduled_lines(
    contract: ContractTerms, subscriptions: tuple[SubscriptionTerms, ...], until: datetime,
    places: int,
) -> list[tuple[datetime, DraftLine]]:  # fmt: skip
    """(timestamp, line) of the charges billed on SCHEDULED invoices dated before `until`."""
    out = []
    for sub in subscriptions:
        for charge in subscription_charges(contract, sub, places):
            if not charge.on_usage_statement and charge.collect_at < until:
                out.append((charge.collect_at, charge.line))
    return out
