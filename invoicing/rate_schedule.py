"""A contract's rate schedule (getContractRateSchedule): the rate card's rates with the
contract's overrides applied, as segments of time.

Each rate of the card is clipped to the contract's term and cut wherever an override of its
product starts or ends; a segment carries the list rate and, while overrides apply, the
`override_rate` they make of it, chosen by the same precedence as invoices
(invoicing.rating.overrides.override_choice). An override scoped to pricing group values that the
rate leaves open (a rate for every region, an override for us-east-1) shows as an extra entry
for those values while it is in force, unless the card has a rate of its own for them.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from billing_console.lib.wire_values import iso
from billing_console.lib.wire_values import number as json_number
from contracts.models import Contract
from invoicing.rating.overrides import multiplier_tiers, override_choice
from invoicing.rating.snapshot import OverrideTerms
from invoicing.rating.terms import override_terms, product_ref
from pricing import selectors as pricing_selectors
from pricing.models import CreditType, Rate
from pricing.wire import credit_type_data
from pricing.wire_rates import commit_rate_to_wire, rate_to_wire, tiers_to_wire


@dataclass(frozen=True)
class ScheduleSegment:
    rate: Rate
    starting_at: datetime
    ending_before: datetime | None
    pricing_group_values: dict[str, str]
    entitled: bool
    override_rate: dict[str, Any] | None  # the wire Rate the overrides make, None without


def _overrides(contract: Contract) -> list[OverrideTerms]:
    return [
        override_terms(o)
        for o in contract.overrides.all()
        if o.archived_at is None and not o.is_commit_specific
    ]


def _cuts(
    rate: Rate, overrides: list[OverrideTerms], start: datetime, end: datetime | None
) -> list:
    points = {start}
    for override in overrides:
        if override.product_id not in (None, rate.product_id):
            continue
        for moment in (override.starting_at, override.ending_before):
            if moment is not None and moment > start and (end is None or moment < end):
                points.add(moment)
    ordered = sorted(points)
    return list(zip(ordered, [*ordered[1:], end], strict=True))


def _scaled(raw_tiers: list[dict[str, Any]], factor: Decimal) -> list[dict[str, Any]]:
    return [{**t, "price": str(Decimal(str(t["price"])) * factor)} for t in raw_tiers]


def _override_rate(rate: Rate, choice: Any) -> dict[str, Any] | None:
    """The rate as the chosen overrides make it (wire Rate shape), None when none applies."""
    overwrite = choice.overwrite
    if overwrite is not None and rate.rate_type == "SUBSCRIPTION":
        if (overwrite.overwrite_rate or {}).get("rate_type") != "SUBSCRIPTION":
            overwrite = None  # invoices price subscriptions only by SUBSCRIPTION overwrites
    if overwrite is None and choice.multiplier is None and choice.tiered is None:
        return None
    base = rate_to_wire(rate)
    rate_type, price = rate.rate_type, rate.price
    tiers: list[dict[str, Any]] = list(rate.tiers or [])
    if overwrite is not None:
        new = overwrite.overwrite_rate or {}
        rate_type = new.get("rate_type", "FLAT")
        price = Decimal(str(new["price"])) if new.get("price") is not None else None
        tiers = list(new.get("tiers") or [])
        base = {"rate_type": rate_type, "credit_type": _credit_type(new, rate)}
        for key in ("is_prorated", "quantity", "custom_rate"):
            if new.get(key) is not None:
                base[key] = new[key]
    if choice.multiplier is not None:
        price = price * choice.multiplier.multiplier if price is not None else None
        tiers = _scaled(tiers, choice.multiplier.multiplier)
    if choice.tiered is not None and rate_type == "FLAT" and price is not None:
        rate_type = "TIERED"
        tiers = [
            {"price": str(price * mult), **({"size": str(size)} if size is not None else {})}
            for size, mult in multiplier_tiers(choice.tiered)
        ]
        price = None
    out = {k: v for k, v in base.items() if k not in ("price", "tiers", "tier_reset_frequency")}
    out["rate_type"] = rate_type
    if price is not None and rate_type != "TIERED":
        out["price"] = json_number(price)
    if rate_type == "TIERED" and tiers:
        out["tiers"] = tiers_to_wire(tiers)
    return out


def _credit_type(new: dict[str, Any], rate: Rate) -> dict[str, str]:
    wanted = new.get("credit_type_id")
    if wanted:
        found = CreditType.objects.filter(public_id=wanted).first()
        if found is not None:
            return credit_type_data(found)
    return credit_type_data(rate.credit_type)


def _extra_values(rate: Rate, overrides: list[OverrideTerms], taken: set) -> list[dict[str, str]]:
    """Group values that overrides narrow the rate to (see the module docstring)."""
    own = rate.pricing_group_values or {}
    found: list[dict[str, str]] = []
    for override in overrides:
        for spec in override.override_specifiers or []:
            wanted = spec.get("pricing_group_values") or {}
            if spec.get("product_id") not in (None, str(rate.product.public_id)):
                continue
            if len(wanted) <= len(own) or any(wanted.get(k) != v for k, v in own.items()):
                continue
            values = {**own, **wanted}
            key = (rate.product_id, tuple(sorted(values.items())))
            if key not in taken and values not in found:
                found.append(values)
    return found


def _segments(
    contract: Contract,
    rate: Rate,
    values: dict[str, str],
    window: tuple,
    only_overridden: bool,
    overrides: list[OverrideTerms],
) -> list[ScheduleSegment]:
    start = max(rate.starting_at, window[0])
    ends = [e for e in (rate.ending_before, window[1]) if e is not None]
    end = min(ends) if ends else None
    out: list[ScheduleSegment] = []
    for piece_start, piece_end in _cuts(rate, overrides, start, end):
        state = pricing_selectors.product_state_at(rate.product, piece_start)
        choice = override_choice(
            overrides, contract.multiplier_override_prioritization, product_ref(rate.product),
            list(state.tags or []), values, piece_start,
        )  # fmt: skip
        override_rate = _override_rate(rate, choice)
        if only_overridden and override_rate is None:
            continue
        segment = ScheduleSegment(
            rate=rate,
            starting_at=piece_start,
            ending_before=piece_end,
            pricing_group_values=values,
            entitled=rate.entitled or choice.entitled,
            override_rate=override_rate,
        )
        last = out[-1] if out else None
        if (
            last is not None
            and last.ending_before == piece_start
            and (last.override_rate, last.entitled) == (override_rate, segment.entitled)
        ):
            segment = ScheduleSegment(**{**segment.__dict__, "starting_at": last.starting_at})
            out[-1] = segment
        else:
            out.append(segment)
    return out


def contract_rate_schedule(
    contract: Contract, *, at: datetime, selectors: list[dict[str, Any]] | None = None
) -> list[ScheduleSegment]:
    """Segments of the contract's effective rates that are in force at `at` or start later,
    within the contract's term; ordered by product (as the rate card lists them) and start."""
    if contract.rate_card is None:
        return []
    if contract.ending_before is not None and at >= contract.ending_before:
        return []
    window = (contract.starting_at, contract.ending_before)
    rates = pricing_selectors.in_product_order(
        contract.rate_card,
        [
            r
            for r in pricing_selectors.rates_for(
                contract.rate_card,
                starting_at=max(at, contract.starting_at),
                ending_before=window[1],
            )
            if pricing_selectors.rate_selected(r, selectors)
        ],
    )
    taken = {(r.product_id, tuple(sorted((r.pricing_group_values or {}).items()))) for r in rates}
    overrides = _overrides(contract)
    segments: list[ScheduleSegment] = []
    for rate in rates:
        values = dict(rate.pricing_group_values or {})
        segments += _segments(contract, rate, values, window, False, overrides)
        for extra in _extra_values(rate, overrides, taken):
            segments += _segments(contract, rate, extra, window, True, overrides)
    return [s for s in segments if s.ending_before is None or s.ending_before > at]


def segment_to_wire(segment: ScheduleSegment, *, rate_card_id: str) -> dict[str, Any]:
    """One entry of ContractRetrieveRateScheduleResponse.data."""
    rate = segment.rate
    state = pricing_selectors.product_state_at(rate.product, segment.starting_at)
    list_rate = rate_to_wire(rate)
    if segment.pricing_group_values != (rate.pricing_group_values or {}):
        list_rate["pricing_group_values"] = segment.pricing_group_values
    data = {
        "product_id": str(rate.product.public_id),
        "product_name": state.name,
        "product_tags": list(state.tags or []),
        "product_custom_fields": rate.product.custom_fields or {},
        "rate_card_id": rate_card_id,
        "entitled": segment.entitled,
        "starting_at": iso(segment.starting_at),
        "ending_before": iso(segment.ending_before),
        "list_rate": list_rate,
        "override_rate": segment.override_rate,
        "commit_rate": commit_rate_to_wire(rate.commit_rate),
        "pricing_group_values": segment.pricing_group_values or None,
        "billing_frequency": rate.billing_frequency or None,
    }
    return data
