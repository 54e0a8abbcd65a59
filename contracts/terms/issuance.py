"""Issuing recurring commits and credits: one Commit per period that has started.

For each RecurringCommit, periods run at `frequency` from its `starting_at` (or, when no
recurrence_frequency was given, on the contract's usage statement schedule, so the first period
may be partial) until its `ending_before` (or the contract's end). For every period that has
started by `now`, the issuer creates, once, a Commit with:

- one AccessSegment from the period start for `commit_duration` periods (clipped to the
  contract's end; a one-period duration ends with the period) holding
  access_amount.unit_price x quantity, and its SEGMENT_START ledger entry;
- for a recurring commit with an invoice_amount, a CommitInvoiceItem at the period start
  (unit_price x quantity); without one the commit is not invoiced (do_not_invoice);
- the item's priority, product, applicability (ids, tags, specifiers), rate type, rollover.

Proration: a partial first (FIRST, FIRST_AND_LAST) or last (LAST, FIRST_AND_LAST) period
scales both amounts by (seconds of the partial period / seconds of the whole period), rounded
by proration_rounding when given, else HALF_UP to the credit type's precision (whole cents).

Seat-linked items (subscription_config):
- POOLED: the quantity is the subscription's quantity at the period start; each later seat
  increase in the period adds a SEAT_BASED_ADJUSTMENT ledger entry of unit_price x added seats
  (x the remaining fraction of the period when apply_seat_increase_config.is_prorated);
- INDIVIDUAL: one commit per seat assigned during the period (from the moment it was assigned,
  prorated likewise), usable only by usage whose pricing group value for the subscription's
  seat_group_key is that seat.

Idempotent: a commit is keyed by (recurring commit, period start, seat) with a unique constraint,
and an adjustment by its ledger uniqueness_key, so the task may run twice or concurrently.
"""

from datetime import datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any

from django.db import IntegrityError, transaction

from billing_console.lib.money import quantize
from billing_console.lib.periods import FREQUENCY_MONTHS, Period, add_months
from contracts.models import (
    AccessSegment,
    Commit,
    CommitInvoiceItem,
    CommitKind,
    Contract,
    LedgerEntry,
    LedgerEntryType,
    RecurringCommit,
    Subscription,
)
from contracts.terms.subscriptions import billing_periods, quantity_steps, subscription_timeline

ROUNDING = {"HALF_UP": ROUND_HALF_UP, "FLOOR": ROUND_FLOOR, "CEILING": ROUND_CEILING}
ZERO = Decimal(0)


def _places(item: RecurringCommit) -> int:
    from pricing.models import CreditType
    from pricing.services import credit_type_get_default

    credit_type_id = (item.access_amount or {}).get("credit_type_id")
    credit_type = None
    if credit_type_id:
        credit_type = CreditType.objects.filter(public_id=credit_type_id).first()
    if credit_type is None:
        card = item.contract.rate_card
        credit_type = card.fiat_credit_type if card and card.fiat_credit_type_id else None
    credit_type = credit_type or credit_type_get_default()
    return 0 if credit_type.is_fiat else credit_type.decimal_places


def _access_unit(item: RecurringCommit) -> Any:
    """The custom pricing unit of access_amount (checked on the way in), else None: the
    contract's fiat credit type."""
    from pricing.models import CreditType

    unit_id = (item.access_amount or {}).get("credit_type_id")
    return CreditType.objects.filter(public_id=unit_id, is_fiat=False).first() if unit_id else None


def _round(amount: Decimal, rule: dict[str, Any] | None, places: int) -> Decimal:
    if rule:
        return quantize(amount, int(rule["decimal_places"]), ROUNDING[rule["rounding_method"]])
    return quantize(amount, places, ROUND_HALF_UP)


def _frequency(item: RecurringCommit) -> str:
    return item.frequency or item.contract.usage_statement_frequency


def item_periods(item: RecurringCommit, now: datetime) -> list[tuple[Period, Period]]:
    """(clipped, full) periods of the item that have started by `now`."""
    contract = item.contract
    anchor = item.starting_at if item.frequency else contract.usage_statement_anchor
    ends = [e for e in (item.ending_before, contract.ending_before) if e is not None]
    end = min(ends) if ends else None
    return list(
        billing_periods(
            anchor, _frequency(item), item.starting_at, end, now + timedelta(microseconds=1)
        )
    )


def _fraction(item: RecurringCommit, clipped: Period, full: Period) -> Decimal:
    first = clipped.start > full.start and item.proration in ("FIRST", "FIRST_AND_LAST")
    last = clipped.end < full.end and item.proration in ("LAST", "FIRST_AND_LAST")
    if not (first or last):
        return Decimal(1)
    return Decimal(clipped.duration.total_seconds()) / Decimal(full.duration.total_seconds())


def _access_end(item: RecurringCommit, clipped: Period, full: Period) -> datetime:
    periods = int(
        Decimal(str(item.commit_duration.get("value", 1))).to_integral_value("ROUND_CEILING")
    )
    if periods <= 1:
        return clipped.end
    frequency = _frequency(item)
    if frequency in FREQUENCY_MONTHS:
        end = add_months(full.start, FREQUENCY_MONTHS[frequency] * periods, full.start.day)
    else:
        end = full.start + timedelta(days=(7 if frequency == "WEEKLY" else 1) * periods)
    contract_end = item.contract.ending_before
    return min(end, contract_end) if contract_end else end


def _amount(block: dict[str, Any] | None, quantity: Decimal | None = None) -> Decimal:
    if not block:
        return ZERO
    if quantity is None:
        quantity = Decimal(str(block.get("quantity", 1)))
    return Decimal(str(block["unit_price"])) * quantity


def _create_commit(
    item: RecurringCommit,
    *,
    period_start: datetime,
    access_start: datetime,
    access_end: datetime,
    access: Decimal,
    invoice: Decimal | None,
    seat_id: str = "",
    specifiers: list | None = None,
) -> Commit | None:
    """The period's commit, unless it already exists (then None)."""
    commit = Commit(
        customer=item.contract.customer,
        contract=item.contract,
        kind=item.kind,
        product=item.product,
        name=item.name,
        description=item.description,
        priority=item.priority,
        applicable_product_ids=[] if specifiers else item.applicable_product_ids,
        applicable_product_tags=[] if specifiers else item.applicable_product_tags,
        specifiers=specifiers if specifiers else item.specifiers,
        rate_type=item.rate_type,
        access_credit_type=_access_unit(item),
        rollover_fraction=item.rollover_fraction,
        do_not_invoice=item.kind == CommitKind.PREPAID and invoice is None,
        recurring_commit=item,
        recurring_period_start=period_start,
        seat_id=seat_id,
        netsuite_sales_order_id=item.netsuite_sales_order_id,  # Metronome: passed down
    )
    try:
        with transaction.atomic():
            commit.save()
    except IntegrityError:
        return None  # a concurrent run issued it
    segment = AccessSegment.objects.create(
        commit=commit, amount=access, starting_at=access_start, ending_before=access_end
    )
    LedgerEntry.objects.create(
        commit=commit, segment=segment, type=LedgerEntryType.SEGMENT_START,
        amount=access, timestamp=access_start,
    )  # fmt: skip
    if invoice is not None:
        quantity = Decimal(str((item.invoice_amount or {}).get("quantity", 1)))
        CommitInvoiceItem.objects.create(
            commit=commit, timestamp=access_start, amount=invoice, quantity=quantity,
            unit_price=invoice / quantity if quantity else invoice,
        )  # fmt: skip
    return commit


def _rules(item: RecurringCommit) -> tuple[dict | None, dict | None]:
    rounding = item.proration_rounding or {}
    return rounding.get("access"), rounding.get("invoice")


def _issue_plain(item: RecurringCommit, clipped: Period, full: Period, places: int) -> list[Commit]:
    fraction = _fraction(item, clipped, full)
    access_rule, invoice_rule = _rules(item)
    access, invoice = _amount(item.access_amount), None
    if item.kind == CommitKind.PREPAID and item.invoice_amount:
        invoice = _amount(item.invoice_amount)
    if fraction != 1:
        access = _round(access * fraction, access_rule, places)
        invoice = _round(invoice * fraction, invoice_rule, places) if invoice is not None else None
    commit = _create_commit(
        item, period_start=clipped.start, access_start=clipped.start,
        access_end=_access_end(item, clipped, full), access=access, invoice=invoice,
    )  # fmt: skip
    return [commit] if commit else []


def _subscription(item: RecurringCommit) -> Subscription | None:
    config = item.subscription_config or {}
    if not config.get("subscription_id"):
        return None
    return Subscription.objects.filter(public_id=config["subscription_id"]).first()


def _issue_pooled(
    item: RecurringCommit,
    sub: Subscription,
    clipped: Period,
    full: Period,
    now: datetime,
    places: int,
) -> list[Commit]:
    points = subscription_timeline(sub)
    seats, steps = quantity_steps(points, clipped)
    fraction = _fraction(item, clipped, full)
    access_rule, invoice_rule = _rules(item)
    access = _amount(item.access_amount, seats)
    invoice = (
        _amount(item.invoice_amount, seats)
        if item.invoice_amount and item.kind == CommitKind.PREPAID
        else None
    )
    if fraction != 1:
        access = _round(access * fraction, access_rule, places)
        invoice = _round(invoice * fraction, invoice_rule, places) if invoice is not None else None
    created = _create_commit(
        item, period_start=clipped.start, access_start=clipped.start,
        access_end=_access_end(item, clipped, full), access=access, invoice=invoice,
    )  # fmt: skip
    commit = (
        created
        or Commit.objects.filter(
            recurring_commit=item, recurring_period_start=clipped.start, seat_id=""
        ).first()
    )
    if commit is not None:
        _seat_adjustments(item, commit, steps, clipped, full, now, places)
    return [created] if created else []


def _seat_adjustments(
    item: RecurringCommit,
    commit: Commit,
    steps: list[tuple[datetime, Decimal, Decimal]],
    clipped: Period,
    full: Period,
    now: datetime,
    places: int,
) -> None:
    """A SEAT_BASED_ADJUSTMENT entry per seat increase inside the period (once each)."""
    segment = commit.segments.first()
    if segment is None:
        return
    prorated = bool(
        (item.subscription_config or {}).get("apply_seat_increase_config", {}).get("is_prorated")
    )
    access_rule, _ = _rules(item)
    for moment, before, after in steps:
        if after <= before or moment > now:
            continue
        amount = _amount(item.access_amount, after - before)
        if prorated:
            remaining = Decimal((clipped.end - moment).total_seconds())
            amount = _round(
                amount * remaining / Decimal(full.duration.total_seconds()), access_rule, places
            )
        key = f"seats:{moment.isoformat()}"
        if amount <= 0 or LedgerEntry.objects.filter(commit=commit, uniqueness_key=key).exists():
            continue
        try:
            with transaction.atomic():
                LedgerEntry.objects.create(
                    commit=commit, segment=segment, type=LedgerEntryType.SEAT_BASED_ADJUSTMENT,
                    amount=amount, timestamp=moment, uniqueness_key=key,
                    reason=f"{after - before} seats added",
                )  # fmt: skip
        except IntegrityError:
            continue


def _issue_individual(
    item: RecurringCommit,
    sub: Subscription,
    clipped: Period,
    full: Period,
    now: datetime,
    places: int,
) -> list[Commit]:
    points = subscription_timeline(sub)
    prorated = bool(
        (item.subscription_config or {}).get("apply_seat_increase_config", {}).get("is_prorated")
    )
    fraction = _fraction(item, clipped, full)
    access_rule, _ = _rules(item)
    first_seen: dict[str, datetime] = {}  # seat -> when it is first assigned in the period
    for index, (moment, state) in enumerate(points):
        following = points[index + 1][0] if index + 1 < len(points) else None
        if moment >= clipped.end or (following is not None and following <= clipped.start):
            continue
        at = max(moment, clipped.start)
        if at <= now:
            for seat in state.assigned:
                first_seen.setdefault(seat, at)
    created = []
    for seat, at in first_seen.items():
        access = _amount(item.access_amount, Decimal(1))
        if at > clipped.start and prorated:
            share = Decimal((clipped.end - at).total_seconds()) / Decimal(
                full.duration.total_seconds()
            )
            access = _round(access * share, access_rule, places)
        elif fraction != 1:
            access = _round(access * fraction, access_rule, places)
        specifiers = [{"pricing_group_values": {sub.seat_group_key: seat}}]
        if item.applicable_product_ids:
            specifiers = [
                {**specifiers[0], "product_id": pid} for pid in item.applicable_product_ids
            ]
        commit = _create_commit(
            item, period_start=clipped.start, access_start=at,
            access_end=_access_end(item, clipped, full), access=access, invoice=None,
            seat_id=seat, specifiers=specifiers,
        )  # fmt: skip
        if commit:
            created.append(commit)
    return created


@transaction.atomic
def recurring_item_issue(*, item: RecurringCommit, now: datetime) -> list[Commit]:
    """Issue the commits of every started period of one recurring item not yet issued."""
    RecurringCommit.objects.select_for_update().filter(pk=item.pk).first()  # one issuer at a time
    places = _places(item)
    sub = _subscription(item)
    allocation = (item.subscription_config or {}).get("allocation", "POOLED")
    issued = set(
        Commit.objects.filter(recurring_commit=item, seat_id="").values_list(
            "recurring_period_start", flat=True
        )
    )
    created: list[Commit] = []
    for clipped, full in item_periods(item, now):
        if sub is None:
            if clipped.start not in issued:
                created += _issue_plain(item, clipped, full, places)
        elif allocation == "INDIVIDUAL":
            created += _issue_individual(item, sub, clipped, full, now, places)
        else:
            created += _issue_pooled(item, sub, clipped, full, now, places)
    return created


def contract_recurring_issue(*, contract: Contract, now: datetime) -> list[Commit]:
    """Issue what every recurring commit and credit of the contract owes through `now`."""
    created: list[Commit] = []
    for item in contract.recurring_commits.filter(archived_at__isnull=True).select_related(
        "contract__rate_card", "contract__customer", "product"
    ):
        created += recurring_item_issue(item=item, now=now)
    return created


def contracts_with_recurring(now: datetime) -> list[int]:
    """Ids of active contracts with a recurring item that has started by `now`."""
    return list(
        Contract.objects.filter(
            archived_at__isnull=True,
            recurring_commits__archived_at__isnull=True,
            recurring_commits__starting_at__lte=now,
        )
        .distinct()
        .values_list("pk", flat=True)
    )
