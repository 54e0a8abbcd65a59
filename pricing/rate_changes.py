"""Changing a rate from a date in one step: the rate ends at that date and a new one starts
there, alike but for its price (or tiers, or rate type), running to the old rate's end.

Atomic: both rows change or neither. The new rate is stored by `rate_add`, from the same keyword
arguments an addRate body with the same data gives it (`rate_change_input`), so it is stored
exactly as the API would store it. `rate_change_preview` does the whole change and rolls it back:
what it shows is what saving does, errors included."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction

from billing_console.api import ApplicationError
from pricing.models import Rate, RateCard, RateType
from pricing.rates import rate_add, rate_update

CHANGE_BEFORE_START = (
    "starting_at: a change starts after the rate does ({start}); to correct the rate from its "
    "start, edit it instead."
)
CHANGE_AFTER_END = "starting_at: the rate ends {end}; a change must start before that."
CHANGE_CUSTOM = "rate_type: a CUSTOM rate is changed through the API."

# What the new rate takes over from the old one unless the change gives it.
KEPT = (
    "product", "pricing_group_values", "entitled", "credit_type", "is_prorated", "quantity",
    "commit_rate", "custom_rate", "billing_frequency", "tier_reset_frequency",
)  # fmt: skip


@dataclass(frozen=True)
class RateChange:
    ended: Rate  # the rate as it stands after the change: ending at the change's start
    started: Rate  # the new rate
    old_ending_before: datetime | None  # when the old rate ended before the change


def rate_change_input(
    rate: Rate, *, starting_at: datetime, rate_type: str, price: Any = None, tiers: Any = None
) -> dict[str, Any]:
    """rate_add's keyword arguments for the new rate: the old rate's, but for the dates, the
    type and the price or tiers."""
    kept = {name: getattr(rate, name) for name in KEPT}
    kept["pricing_group_values"] = dict(rate.pricing_group_values or {}) or None
    tiered = rate_type == RateType.TIERED
    if not tiered:
        kept["tier_reset_frequency"] = 1
    return {
        **kept,
        "starting_at": starting_at,
        "ending_before": rate.ending_before,
        "rate_type": rate_type,
        "price": None if tiered else price,
        "tiers": tiers if tiered else None,
    }


@transaction.atomic
def rate_change_from(
    *, rate: Rate, starting_at: datetime, rate_type: str | None = None, price: Any = None,
    tiers: Any = None,
) -> RateChange:  # fmt: skip
    """End `rate` at `starting_at` and start its successor there with the new price or tiers."""
    RateCard.objects.select_for_update().get(pk=rate.rate_card_id)
    current = Rate.objects.select_related("rate_card", "product", "credit_type").get(pk=rate.pk)
    if current.rate_type == RateType.CUSTOM:
        raise ApplicationError(CHANGE_CUSTOM)
    if starting_at is None or starting_at <= current.starting_at:
        raise ApplicationError(CHANGE_BEFORE_START.format(start=_day(current.starting_at)))
    if current.ending_before is not None and starting_at >= current.ending_before:
        raise ApplicationError(CHANGE_AFTER_END.format(end=_day(current.ending_before)))
    kwargs = rate_change_input(
        current, starting_at=starting_at, rate_type=rate_type or current.rate_type,
        price=price, tiers=tiers,
    )  # fmt: skip
    old_end = current.ending_before
    ended = rate_update(rate=current, ending_before=starting_at)
    started = rate_add(rate_card=current.rate_card, **kwargs)
    return RateChange(ended=ended, started=started, old_ending_before=old_end)


class _Rollback(Exception):
    pass


def rate_change_preview(**kwargs: Any) -> RateChange:
    """rate_change_from's result with nothing kept: the change is made and rolled back."""
    change: RateChange | None = None
    try:
        with transaction.atomic():
            change = rate_change_from(**kwargs)
            raise _Rollback
    except _Rollback:
        pass
    assert change is not None
    return change


def _day(moment: datetime) -> str:
    return f"{moment:%b} {moment.day}, {moment.year}"
