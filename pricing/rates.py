"""Rates of a rate card: add, edit in place, add several at once; tier cleaning and the overlap
check (no two rates of one product, group values and billing frequency at one moment). Every
function is atomic, validates first and writes nothing on error; auditlog records each change."""

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Q

from billing_console.api import ApplicationError
from pricing import rating
from pricing.models import CreditType, Product, ProductType, Rate, RateCard, RateType
from pricing.selectors import product_current


def _decimal(field: str, value: Any, *, allow_negative: bool = False) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or (isinstance(value, float) and value != value):
        raise ApplicationError(f"{field}: must be a number.")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ApplicationError(f"{field}: must be a number.") from None
    if not number.is_finite() or abs(number) >= Decimal("1e16"):
        raise ApplicationError(f"{field}: is out of range.")
    if number < 0 and not allow_negative:
        raise ApplicationError(f"{field}: must not be negative.")
    return number


def clean_tiers(field: str, raw: Any) -> list[dict[str, str]]:
    """Wire tiers [{size?, price}] validated and stored as strings (exact decimals)."""
    if not isinstance(raw, list):
        raise ApplicationError(f"{field}: must be a list.")
    tiers = []
    for index, tier in enumerate(raw):
        if not isinstance(tier, dict):
            raise ApplicationError(f"{field}[{index}]: must be an object.")
        price = _decimal(f"{field}[{index}].price", tier.get("price"))
        if price is None:
            raise ApplicationError(f"{field}[{index}].price: is required.")
        size = _decimal(f"{field}[{index}].size", tier.get("size"))
        tiers.append(rating.Tier(size=size, price=price))
    problem = rating.validate_tiers(tiers)
    if problem:
        raise ApplicationError(
            f"{field}{problem}" if problem.startswith("[") else f"{field}: {problem}"
        )
    return [
        {"size": str(t.size), "price": str(t.price)}
        if t.size is not None
        else {"price": str(t.price)}
        for t in tiers
    ]


def _group_values(field: str, value: Any) -> dict[str, str]:
    if not value:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ApplicationError(f"{field}: must be an object of string values.")
    return dict(value)


def _as_utc(field: str, value: Any) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ApplicationError(f"{field}: must be an RFC 3339 timestamp with a time zone.")
    return value


@transaction.atomic
def rate_add(
    *,
    rate_card: RateCard,
    product: Product,
    starting_at: datetime,
    rate_type: str,
    price: Any = None,
    tiers: Any = None,
    pricing_group_values: dict[str, str] | None = None,
    entitled: bool = True,
    ending_before: datetime | None = None,
    credit_type: CreditType | None = None,
    is_prorated: bool = False,
    quantity: Any = None,
    commit_rate: dict[str, Any] | None = None,
    custom_rate: dict[str, Any] | None = None,
    billing_frequency: str = "",
    tier_reset_frequency: Any = 1,
    field_prefix: str = "",
) -> Rate:
    """Add a rate; refuses one that overlaps in time a rate of the same product and group values."""
    fields = _rate_fields(
        rate_card=rate_card, product=product, starting_at=starting_at, rate_type=rate_type, price=price,
        tiers=tiers, pricing_group_values=pricing_group_values, entitled=entitled, ending_before=ending_before,
        credit_type=credit_type, is_prorated=is_prorated, quantity=quantity, commit_rate=commit_rate,
        custom_rate=custom_rate, billing_frequency=billing_frequency, prefix=field_prefix,
    )  # fmt: skip
    fields["tier_reset_frequency"] = _tier_reset_frequency(
        f"{field_prefix}tier_reset_frequency", tier_reset_frequency, rate_type
    )
    RateCard.objects.select_for_update().get(
        pk=rate_card.pk
    )  # serialize overlapping checks per card
    _check_overlap(rate_card, fields, None, field_prefix)
    return Rate.objects.create(rate_card=rate_card, **fields)


@transaction.atomic
def rate_update(*, rate: Rate, **changes: Any) -> Rate:
    """Edit a rate in place (console): price, tiers, dates, entitlement."""
    RateCard.objects.select_for_update().get(pk=rate.rate_card_id)
    current = {
        "product": rate.product, "starting_at": rate.starting_at, "rate_type": rate.rate_type, "price": rate.price,
        "tiers": rate.tiers or None, "pricing_group_values": rate.pricing_group_values, "entitled": rate.entitled,
        "ending_before": rate.ending_before, "credit_type": rate.credit_type, "is_prorated": rate.is_prorated,
        "quantity": rate.quantity, "commit_rate": rate.commit_rate, "custom_rate": rate.custom_rate,
        "billing_frequency": rate.billing_frequency,
    }  # fmt: skip
    reset = changes.pop("tier_reset_frequency", rate.tier_reset_frequency)
    current.update(changes)
    if current["rate_type"] != "TIERED":
        current["tiers"] = None
        reset = 1
    fields = _rate_fields(rate_card=rate.rate_card, prefix="", **current)
    fields["tier_reset_frequency"] = _tier_reset_frequency(
        "tier_reset_frequency", reset, current["rate_type"]
    )
    _check_overlap(rate.rate_card, fields, rate.pk, "")
    for key, value in fields.items():
        setattr(rate, key, value)
    rate.save()
    return rate


def _tier_reset_frequency(field: str, value: Any, rate_type: str) -> int:
    if value is None:
        return 1
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise ApplicationError(f"{field}: must be a whole number of usage statements.")
    if not 1 <= value <= 120:
        raise ApplicationError(f"{field}: must be between 1 and 120.")
    if value > 1 and rate_type != RateType.TIERED:
        raise ApplicationError(f"{field}: only TIERED rates carry tiers across statements.")
    return int(value)


def _rate_fields(
    *, rate_card: RateCard, product: Product, starting_at: Any, rate_type: str, price: Any, tiers: Any,
    pricing_group_values: Any, entitled: Any, ending_before: Any, credit_type: CreditType | None,
    is_prorated: bool, quantity: Any, commit_rate: Any, custom_rate: Any, billing_frequency: str, prefix: str,
) -> dict[str, Any]:  # fmt: skip
    def name(field: str) -> str:
        return f"{prefix}{field}"

    if rate_card.archived_at is not None:
        raise ApplicationError(f"{name('rate_card_id')}: the rate card is archived.")
    if not isinstance(product, Product):
        raise ApplicationError(f"{name('product_id')}: unknown product.")
    if product.archived_at is not None:
        raise ApplicationError(f"{name('product_id')}: the product is archived.")
    if rate_type not in RateType.values:
        raise ApplicationError(f"{name('rate_type')}: must be one of {', '.join(RateType.values)}.")
    starting_at = _as_utc(name("starting_at"), starting_at)
    if starting_at is None:
        raise ApplicationError(f"{name('starting_at')}: is required.")
    ending_before = _as_utc(name("ending_before"), ending_before)
    if ending_before is not None and ending_before <= starting_at:
        raise ApplicationError(f"{name('ending_before')}: must be after starting_at.")
    price_value = _decimal(name("price"), price)
    clean = None
    if rate_type == RateType.TIERED:
        if tiers is None:
            raise ApplicationError(f"{name('tiers')}: a TIERED rate needs tiers.")
        clean = clean_tiers(name("tiers"), tiers)
        price_value = None
    elif tiers:
        raise ApplicationError(f"{name('tiers')}: only TIERED rates have tiers.")
    elif (
        rate_type in (RateType.FLAT, RateType.PERCENTAGE, RateType.SUBSCRIPTION)
        and price_value is None
    ):
        raise ApplicationError(f"{name('price')}: a {rate_type} rate needs a price.")
    if rate_type == RateType.CUSTOM and not isinstance(custom_rate, dict):
        raise ApplicationError(f"{name('custom_rate')}: a CUSTOM rate needs custom_rate.")
    if rate_type == RateType.PERCENTAGE and product.type != ProductType.COMPOSITE:
        raise ApplicationError(f"{name('rate_type')}: PERCENTAGE rates are for COMPOSITE products.")
    if product.type == ProductType.COMPOSITE and rate_type != RateType.PERCENTAGE:
        raise ApplicationError(f"{name('rate_type')}: a COMPOSITE product takes a PERCENTAGE rate.")
    if rate_type == RateType.SUBSCRIPTION and product.type != ProductType.SUBSCRIPTION:
        raise ApplicationError(
            f"{name('rate_type')}: SUBSCRIPTION rates are for SUBSCRIPTION products."
        )
    if is_prorated and rate_type != RateType.SUBSCRIPTION:
        raise ApplicationError(f"{name('is_prorated')}: only SUBSCRIPTION rates are prorated.")
    group_values = _group_values(name("pricing_group_values"), pricing_group_values)
    if group_values:
        keys = set(product_current(product).pricing_group_key or [])
        extra = sorted(set(group_values) - keys)
        if extra:
            raise ApplicationError(
                f"{name('pricing_group_values')}: '{extra[0]}' is not a pricing group key of the product."
            )
    quantity_value = _decimal(name("quantity"), quantity)
    if commit_rate is not None:
        # Usage drawn from a COMMIT_RATE commit is priced at a FLAT or TIERED commit rate.
        usable = ("FLAT", "TIERED") if product.type == ProductType.USAGE else ()
        if not isinstance(commit_rate, dict) or commit_rate.get("rate_type") not in usable:
            raise ApplicationError(
                f"{name('commit_rate.rate_type')}: a commit rate is FLAT or TIERED, on a USAGE product."
                if usable
                else f"{name('commit_rate')}: only a USAGE product's rate has a commit rate."
            )
        if commit_rate["rate_type"] == "FLAT" and commit_rate.get("price") is None:
            raise ApplicationError(
                f"{name('commit_rate.price')}: a FLAT commit rate needs a price."
            )
        if commit_rate["rate_type"] == "TIERED" and not commit_rate.get("tiers"):
            raise ApplicationError(
                f"{name('commit_rate.tiers')}: a TIERED commit rate needs tiers."
            )
        commit_rate = {
            "rate_type": commit_rate["rate_type"],
            **({"price": str(_decimal(name("commit_rate.price"), commit_rate["price"]))} if commit_rate.get("price") is not None else {}),
            **({"tiers": clean_tiers(name("commit_rate.tiers"), commit_rate["tiers"])} if commit_rate.get("tiers") else {}),
        }  # fmt: skip
    fiat = credit_type or rate_card.fiat_credit_type
    if (
        credit_type is not None
        and not credit_type.is_fiat
        and not rate_card.conversions.filter(custom_credit_type=credit_type).exists()
    ):
        raise ApplicationError(
            f"{name('credit_type_id')}: the rate card has no conversion for this credit type."
        )
    return {
        "product": product, "starting_at": starting_at, "ending_before": ending_before, "entitled": bool(entitled),
        "rate_type": rate_type, "price": price_value, "tiers": clean or [], "custom_rate": custom_rate,
        "pricing_group_values": group_values, "credit_type": fiat, "is_prorated": bool(is_prorated),
        "quantity": quantity_value, "commit_rate": commit_rate, "billing_frequency": billing_frequency or "",
    }  # fmt: skip


def _check_overlap(
    rate_card: RateCard, fields: dict[str, Any], exclude_pk: int | None, prefix: str
) -> None:
    qs = rate_card.rates.filter(product=fields["product"]).exclude(pk=exclude_pk)
    qs = qs.filter(Q(ending_before__isnull=True) | Q(ending_before__gt=fields["starting_at"]))
    if fields["ending_before"] is not None:
        qs = qs.filter(starting_at__lt=fields["ending_before"])
    for other in qs:
        if (other.pricing_group_values or {}) == fields["pricing_group_values"] and (
            other.billing_frequency or ""
        ) == fields["billing_frequency"]:
            raise ApplicationError(
                f"{prefix}starting_at: overlaps the rate of {fields['product'].name}"
                f"{_group_words(other)} {_span_words(other)}; end that rate first."
            )


def _day(moment: datetime) -> str:
    """ "Jan 1, 2025", with the time when it is not midnight UTC ("Jan 1, 2025 12:30 UTC")."""
    text = f"{moment:%b} {moment.day}, {moment.year}"
    return text if moment.hour == moment.minute == 0 else f"{text} {moment:%H:%M} UTC"


def _span_words(rate: Rate) -> str:
    start = f"from {_day(rate.starting_at)}"
    return f"{start} until {_day(rate.ending_before)}" if rate.ending_before else f"{start}, no end"


def _group_words(rate: Rate) -> str:
    values = ", ".join(f"{k}={v}" for k, v in (rate.pricing_group_values or {}).items())
    frequency = (rate.billing_frequency or "").lower()
    parts = [part for part in (values, frequency) if part]
    return f" ({'; '.join(parts)})" if parts else ""


@transaction.atomic
def rates_add_many(*, rate_card: RateCard, rates: list[dict[str, Any]]) -> list[Rate]:
    """Add several rates at once: all of them, or none when any is invalid or overlaps (also one
    another). Each item holds rate_add's keyword arguments; errors name `rates[i].field`."""
    if not rates:
        raise ApplicationError("rates: at least one rate is required.")
    return [
        rate_add(rate_card=rate_card, field_prefix=f"rates[{index}].", **kwargs)
        for index, kwargs in enumerate(rates)
    ]
