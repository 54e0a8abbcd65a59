"""The rate table of a rate card page: rows filtered by product name, rate type and when they
are in force, each with its product's billable metric for the hover text; and a rate change
described the way finance reads it ("Storage: $0.10 → $0.08 per unit from Jan 1, 2027")."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pricing.console.queries import RateRow, metric_summary, rate_card_rates, rate_row
from pricing.models import Rate, RateCard, RateType
from pricing.rate_changes import RateChange
from pricing.rates_in_force import versions_by_product


@dataclass(frozen=True)
class CardRateRow(RateRow):
    metric_text: str = ""  # the hover text of the product's name
    changeable: bool = False  # "Change price" applies: not CUSTOM, not ended


def _changeable(rate: Rate, now: datetime) -> bool:
    ended = rate.ending_before is not None and rate.ending_before <= now
    return rate.rate_type != RateType.CUSTOM and not ended


def _metric_texts(rates: list[Rate], now: datetime) -> dict[int, str]:
    """{product pk: "Billable metric: API calls — COUNT · event_type in api_call"}, from the
    product's version in force now (its first one if none has started)."""
    texts = {}
    for product_pk, versions in versions_by_product({r.product_id for r in rates}).items():
        current = None
        for version in versions:
            if current is None or version.starting_at <= now:
                current = version
        metric = current.billable_metric if current is not None else None
        texts[product_pk] = (
            f"Billable metric: {metric.name} — {metric_summary(metric)}"
            if metric is not None
            else "No billable metric (not priced on usage)"
        )
    return texts


def _in_force(rate: Rate, when: str, now: datetime) -> bool:
    started = rate.starting_at <= now
    ended = rate.ending_before is not None and rate.ending_before <= now
    return {"now": started and not ended, "future": not started, "ended": ended}.get(when, True)


def card_rows(
    card: RateCard, *, now: datetime, search: str = "", rate_type: str = "", when: str = "",
    **filters: Any,
) -> list[CardRateRow]:  # fmt: skip
    """The card's rates for its page: `filters` as queries.rate_card_rates takes them, then
    product name (contains, any case), rate type and in force now / later / ended."""
    rows = rate_card_rates(card, **filters)
    needle = search.strip().casefold()
    rates = [
        row.rate
        for row in rows
        if (not needle or needle in row.rate.product.name.casefold())
        and (not rate_type or row.rate.rate_type == rate_type)
        and _in_force(row.rate, when, now)
    ]
    texts = _metric_texts(rates, now)
    by_pk = {row.rate.pk: row for row in rows}
    return [_with_metric(by_pk[r.pk], texts.get(r.product_id, ""), now) for r in rates]


def _with_metric(row: RateRow, text: str, now: datetime) -> CardRateRow:
    return CardRateRow(
        row.rate, row.price_text, row.tier_texts, row.group_text, text, _changeable(row.rate, now)
    )


def card_row(rate: Rate, now: datetime) -> CardRateRow:
    text = _metric_texts([rate], now).get(rate.product_id, "")
    return _with_metric(rate_row(rate), text, now)


def day_text(moment: datetime) -> str:
    return f"{moment:%b} {moment.day}, {moment.year}"


def _price_words(rate: Rate) -> str:
    row = rate_row(rate)
    if row.tier_texts:
        return "tiers " + "; ".join(row.tier_texts)
    if rate.rate_type == RateType.PERCENTAGE:
        return row.price_text
    return f"{row.price_text} per unit" if row.price_text else "—"


def change_summary(change: RateChange) -> dict[str, str]:
    """What a change does, in words: the headline and the line about the current rate."""
    old, new = change.ended, change.started
    group = f" ({rate_row(old).group_text})" if old.pricing_group_values else ""
    headline = (
        f"{old.product.name}{group}: {_price_words(old)} → {_price_words(new)} "
        f"from {day_text(new.starting_at)}"
    )
    ends = f"the current rate (from {day_text(old.starting_at)}) ends {day_text(new.starting_at)}"
    if change.old_ending_before is not None:
        until = f"; the new one runs until {day_text(change.old_ending_before)}, as the old did"
    else:
        until = "; the new one has no end"
    return {"headline": headline, "ends": ends + until + "."}
