"""Subscriptions read back: their wire shape (with the billing periods around now), the
quantity schedule, the unit price in force, and the quantity and seat histories."""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from billing_console.lib.wire_values import iso, number
from contracts.models import (
    Subscription,
)
from contracts.terms.subscriptions import (
    ZERO,
    subscription_end,
    subscription_periods,
    subscription_timeline,
)
from pricing import rating

# --- reading back ---------------------------------------------------------------------------


def _periods_around(sub: Subscription, now: datetime) -> dict[str, Any]:
    """Previous, current and next billing periods (clipped) around `now`."""
    horizon = now + timedelta(days=800)
    previous = current = upcoming = None
    for clipped, _full in subscription_periods(sub, horizon):
        if clipped.end <= now:
            previous = clipped
        elif clipped.start <= now:
            current = clipped
        else:
            upcoming = clipped
            break
    return {
        key: {"starting_at": iso(p.start), "ending_before": iso(p.end)}
        for key, p in (("previous", previous), ("current", current), ("next", upcoming))
        if p is not None
    }


def quantity_schedule(sub: Subscription, now: datetime) -> list[dict[str, Any]]:
    """The current quantity and future changes, as the SDK's quantity_schedule."""
    points = subscription_timeline(sub)
    end = subscription_end(sub)
    out: list[dict[str, Any]] = []
    for index, (moment, state) in enumerate(points):
        following = points[index + 1][0] if index + 1 < len(points) else end
        if following is not None and following <= now:
            continue  # wholly in the past
        item = {"quantity": number(state.quantity), "starting_at": iso(moment)}
        if following is not None:
            item["ending_before"] = iso(following)
        out.append(item)
    return out


def subscription_to_wire(sub: Subscription, *, now: datetime, credit_type_id: str) -> dict:
    """A subscription in the SDK's Subscription shape."""
    proration: dict[str, Any] = {
        "invoice_behavior": sub.invoice_behavior,
        "is_prorated": sub.is_prorated,
    }
    if sub.proration_rounding:
        proration["rounding"] = sub.proration_rounding
    data: dict[str, Any] = {
        "id": str(sub.public_id),
        "billing_periods": _periods_around(sub, now),
        "collection_schedule": sub.collection_schedule,
        "created_at": iso(sub.created_at),
        "proration": proration,
        "quantity_management_mode": sub.quantity_management_mode,
        "quantity_schedule": quantity_schedule(sub, now),
        "starting_at": iso(sub.starting_at),
        "ending_before": iso(sub.ending_before),
        "subscription_rate": {
            "billing_frequency": sub.billing_frequency,
            "product": {"id": str(sub.product.public_id), "name": sub.product.name},
        },
        "billing_cycle_config": {
            "anchor_date": iso(sub.billing_anchor),
            "invoice_placement": sub.invoice_placement,
        },
        "custom_fields": sub.custom_fields,
        "description": sub.description or None,
        "name": sub.name or None,
        "fiat_credit_type_id": credit_type_id,
        "seat_config": {"seat_group_key": sub.seat_group_key} if sub.seat_group_key else None,
    }
    return {k: v for k, v in data.items() if v is not None}


def subscription_unit_price(sub: Subscription, at: datetime) -> Decimal | None:
    """The rate card's SUBSCRIPTION price for the subscription's product at `at`."""
    from pricing import selectors as pricing_selectors

    if sub.contract.rate_card is None:
        return None
    for rate in pricing_selectors.rates_for(
        sub.contract.rate_card, starting_at=at, ending_before=None, product=sub.product
    ):
        if rating.subscription_rate_in_force(rate, sub.billing_frequency, at):
            return rate.price
    return None


def quantity_history(sub: Subscription, *, now: datetime) -> list[dict[str, Any]]:
    """Past and current quantities with their prices (getSubscriptionQuantityHistory): no
    future changes."""
    out = []
    for moment, state in subscription_timeline(sub):
        if moment > now:
            break
        price = subscription_unit_price(sub, moment) or ZERO
        out.append(
            {
                "starting_at": iso(moment),
                "data": [
                    {
                        "quantity": number(state.quantity),
                        "unit_price": number(price),
                        "total": number(state.quantity * price),
                    }
                ],
            }
        )
    return out


def seats_history(
    sub: Subscription,
    *,
    starting_at: datetime | None = None,
    ending_before: datetime | None = None,
    covering_date: datetime | None = None,
) -> list[dict[str, Any]]:
    """Segments of assigned seats and total quantity (getSubscriptionSeatsHistory)."""
    points = subscription_timeline(sub)
    end = subscription_end(sub)
    out = []
    for index, (moment, state) in enumerate(points):
        following = points[index + 1][0] if index + 1 < len(points) else end
        if covering_date is not None and not (
            moment <= covering_date and (following is None or covering_date < following)
        ):
            continue
        if starting_at is not None and following is not None and following <= starting_at:
            continue
        if ending_before is not None and moment > ending_before:
            continue
        out.append(
            {
                "starting_at": iso(moment),
                "ending_before": iso(following),
                "assigned_seat_ids": list(state.assigned),
                "total_quantity": int(state.quantity),
            }
        )
    return out
