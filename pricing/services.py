"""Pricing catalog writes. Every function is atomic, validates first and writes nothing on error;
auditlog records each change."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from billing_console.api import ApplicationError
from billing_console.custom_fields import custom_fields_validate
from billing_console.wire import Reader
from pricing import rating
from pricing.models import (
    USD_CENTS_ID,
    CreditType,
    CreditTypeConversion,
    Product,
    ProductType,
    ProductVersion,
    Rate,
    RateCard,
    RateType,
)
from pricing.selectors import product_current, product_get, product_state_at
from usage.models import BillableMetric

BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)
CONVERSION_OPERATIONS = ("MULTIPLY", "DIVIDE")
ROUNDING_METHODS = tuple(rating.ROUNDING)


# -- credit types -----------------------------------------------------------------------------


def credit_type_get_default() -> CreditType:
    """USD (cents), Metronome's default pricing unit."""
    credit_type, _ = CreditType.objects.get_or_create(
        public_id=USD_CENTS_ID,
        defaults={"name": "USD (cents)", "currency_code": "USD", "is_fiat": True},
    )
    return credit_type


@transaction.atomic
def credit_type_create(*, name: str, decimal_places: int = 2) -> CreditType:
    name = (name or "").strip()
    if not name:
        raise ApplicationError("name: a credit type needs a name.")
    if CreditType.objects.filter(name__iexact=name, archived_at__isnull=True).exists():
        raise ApplicationError(f"name: a credit type named '{name}' already exists.", "conflict")
    if not 0 <= decimal_places <= 12:
        raise ApplicationError("decimal_places: must be between 0 and 12.")
    return CreditType.objects.create(name=name, is_fiat=False, decimal_places=decimal_places)


@transaction.atomic
def credit_type_archive(*, credit_type: CreditType) -> CreditType:
    if credit_type.is_fiat:
        raise ApplicationError("id: fiat credit types cannot be archived.")
    if credit_type.archived_at is None:
        credit_type.archived_at = timezone.now()
        credit_type.save(update_fields=["archived_at"])
    return credit_type


# -- products ---------------------------------------------------------------------------------

PRODUCT_FIELDS = (
    "name", "billable_metric", "tags", "pricing_group_key", "presentation_group_key", "quantity_conversion",
    "quantity_rounding", "composite_product_ids", "composite_tags", "exclude_free_usage", "is_refundable",
    "netsuite_internal_item_id", "netsuite_overage_item_id",
)  # fmt: skip


def _str_list(field: str, value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, (list, tuple)) or not all(
        isinstance(v, str) and v.strip() for v in value
    ):
        raise ApplicationError(f"{field}: must be a list of non-empty strings.")
    return list(dict.fromkeys(value))


def _quantity_conversion(value: Any) -> dict[str, Any] | None:
    if not value:
        return None
    if not isinstance(value, dict):
        raise ApplicationError("quantity_conversion: must be an object.")
    try:
        factor = Decimal(str(value.get("conversion_factor")))
    except InvalidOperation:
        raise ApplicationError("quantity_conversion.conversion_factor: must be a number.") from None
    if not factor.is_finite() or factor <= 0:
        raise ApplicationError("quantity_conversion.conversion_factor: must be greater than 0.")
    operation = value.get("operation")
    if operation not in CONVERSION_OPERATIONS:
        raise ApplicationError("quantity_conversion.operation: must be MULTIPLY or DIVIDE.")
    out = {"conversion_factor": str(factor), "operation": operation}
    if value.get("name"):
        out["name"] = str(value["name"])
    return out


def _quantity_rounding(value: Any) -> dict[str, Any] | None:
    if not value:
        return None
    if not isinstance(value, dict):
        raise ApplicationError("quantity_rounding: must be an object.")
    places = value.get("decimal_places")
    if isinstance(places, float) and places.is_integer():
        places = int(places)  # the SDK types decimal_places as a float
    if not isinstance(places, int) or isinstance(places, bool) or not 0 <= places <= 12:
        raise ApplicationError("quantity_rounding.decimal_places: must be an integer from 0 to 12.")
    if value.get("rounding_method") not in ROUNDING_METHODS:
        raise ApplicationError(
            f"quantity_rounding.rounding_method: must be one of {', '.join(ROUNDING_METHODS)}."
        )
    return {"decimal_places": places, "rounding_method": value["rounding_method"]}


def _clean_product_fields(product_type: str, fields: dict[str, Any]) -> dict[str, Any]:
    out = dict(fields)
    if "name" in out:
        out["name"] = (out["name"] or "").strip()
        if not out["name"]:
            raise ApplicationError("name: a product needs a name.")
    for key in ("tags", "pricing_group_key", "presentation_group_key", "composite_tags"):
        if key in out:
            out[key] = _str_list(key, out[key])
    if "composite_product_ids" in out:
        ids = _str_list("composite_product_ids", out["composite_product_ids"])
        for index, public_id in enumerate(ids):
            product_get(public_id, field=f"composite_product_ids[{index}]")
        out["composite_product_ids"] = ids
    if "quantity_conversion" in out:
        out["quantity_conversion"] = _quantity_conversion(out["quantity_conversion"])
    if "quantity_rounding" in out:
        out["quantity_rounding"] = _quantity_rounding(out["quantity_rounding"])
    metric = out.get("billable_metric")
    if metric is not None and not isinstance(metric, BillableMetric):
        raise ApplicationError("billable_metric_id: unknown billable metric.")
    if product_type == ProductType.USAGE and "billable_metric" in out and metric is None:
        raise ApplicationError("billable_metric_id: a USAGE product needs a billable metric.")
    if product_type != ProductType.USAGE and metric is not None:
        raise ApplicationError("billable_metric_id: only USAGE products have a billable metric.")
    if product_type != ProductType.COMPOSITE and (
        out.get("composite_product_ids") or out.get("composite_tags")
    ):
        raise ApplicationError(
            "composite_product_ids: only COMPOSITE products reference other products."
        )
    if metric is not None and out.get("pricing_group_key"):
        known = {key for keys in (metric.group_keys or []) for key in keys}
        missing = [k for k in out["pricing_group_key"] if known and k not in known]
        if missing:
            raise ApplicationError(
                f"pricing_group_key: '{missing[0]}' is not a group key of the billable metric."
            )
    for key in ("netsuite_internal_item_id", "netsuite_overage_item_id"):
        if key in out:
            out[key] = out[key] or ""
    return out


@transaction.atomic
def product_create(
    *, name: str, type: str, custom_fields: dict[str, str] | None = None, created_by: str = "",
    **fields: Any,
) -> Product:  # fmt: skip
    if type not in ProductType.values:
        raise ApplicationError(f"type: must be one of {', '.join(ProductType.values)}.")
    unknown = set(fields) - set(PRODUCT_FIELDS)
    if unknown:
        raise TypeError(f"unknown product fields: {sorted(unknown)}")
    fields = {k: v for k, v in fields.items() if v is not None}
    fields.setdefault("billable_metric", None)
    cleaned = _clean_product_fields(type, {"name": name, **fields})
    custom_fields = custom_fields or {}
    custom_fields_validate(entity="product", values=custom_fields)
    product = Product.objects.create(
        type=type, name=cleaned["name"], tags=cleaned.get("tags", []), custom_fields=custom_fields
    )
    ProductVersion.objects.create(
        product=product, starting_at=BEGINNING, created_by=created_by, **cleaned
    )
    return product


@transaction.atomic
def product_update(
    *, product: Product, starting_at: datetime, created_by: str = "", **changes: Any
) -> Product:
    """A new version of the product from `starting_at`; earlier usage keeps the old definition."""
    product = Product.objects.select_for_update().get(pk=product.pk)
    if product.archived_at is not None:
        raise ApplicationError("product_id: the product is archived.")
    unknown = set(changes) - set(PRODUCT_FIELDS)
    if unknown:
        raise TypeError(f"unknown product fields: {sorted(unknown)}")
    if starting_at is None:
        raise ApplicationError("starting_at: is required.")
    cleaned = _clean_product_fields(product.type, changes)
    base = product_state_at(product, starting_at)
    state = {field: getattr(base, field) for field in PRODUCT_FIELDS}
    state.update(cleaned)
    ProductVersion.objects.update_or_create(
        product=product, starting_at=starting_at, defaults={**state, "created_by": created_by}
    )
    product._versions_cache = None
    latest = product_current(product)
    product.name, product.tags = latest.name, latest.tags
    product.save(update_fields=["name", "tags", "updated_at"])
    return product


@transaction.atomic
def product_archive(*, product: Product) -> Product:
    if product.archived_at is None:
        product.archived_at = timezone.now()
        product.save(update_fields=["archived_at", "updated_at"])
    return product


# -- rate cards and rates ---------------------------------------------------------------------


@transaction.atomic
def rate_card_create(
    *,
    name: str,
    description: str = "",
    fiat_credit_type: CreditType | None = None,
    aliases: list[dict[str, Any]] | None = None,
    credit_type_conversions: list[tuple[CreditType, Decimal]] | None = None,
    custom_fields: dict[str, str] | None = None,
) -> RateCard:
    name = (name or "").strip()
    if not name:
        raise ApplicationError("name: a rate card needs a name.")
    fiat = fiat_credit_type or credit_type_get_default()
    if not fiat.is_fiat:
        raise ApplicationError("fiat_credit_type_id: must be a fiat credit type.")
    custom_fields = custom_fields or {}
    custom_fields_validate(entity="rate_card", values=custom_fields)
    card = RateCard.objects.create(
        name=name, description=description or "", fiat_credit_type=fiat,
        aliases=_aliases(aliases or [], None), custom_fields=custom_fields,
    )  # fmt: skip
    _conversions_add(card, credit_type_conversions or [], "credit_type_conversions")
    return card


def _aliases(aliases: list[dict[str, Any]], card: RateCard | None) -> list[dict[str, Any]]:
    out = []
    for index, alias in enumerate(aliases):
        name = (alias.get("name") or "").strip()
        if not name:
            raise ApplicationError(f"aliases[{index}].name: is required.")
        out.append(
            {
                k: alias.get(k)
                for k in ("name", "starting_at", "ending_before")
                if alias.get(k) is not None
            }
        )
    names = [a["name"] for a in out]
    for other in RateCard.objects.exclude(pk=card.pk if card else None).filter(
        archived_at__isnull=True
    ):
        clash = {a.get("name") for a in other.aliases or []} & set(names)
        if clash:
            raise ApplicationError(
                f"aliases: '{sorted(clash)[0]}' is already an alias of rate card {other.name}.",
                "conflict",
            )
    return out


def _conversions_add(
    card: RateCard, conversions: list[tuple[CreditType, Decimal]], field: str
) -> None:
    for index, (credit_type, factor) in enumerate(conversions):
        if credit_type.is_fiat:
            raise ApplicationError(
                f"{field}[{index}].custom_credit_type_id: must be a custom credit type."
            )
        if factor is None or factor <= 0:
            raise ApplicationError(
                f"{field}[{index}].fiat_per_custom_credit: must be greater than 0."
            )
        CreditTypeConversion.objects.update_or_create(
            rate_card=card,
            custom_credit_type=credit_type,
            defaults={"fiat_per_custom_credit": factor},
        )


@transaction.atomic
def rate_card_update(
    *, rate_card: RateCard, name: str | None = None, description: str | None = None,
    aliases: list[dict[str, Any]] | None = None,
    add_credit_type_conversions: list[tuple[CreditType, Decimal]] | None = None,
) -> RateCard:  # fmt: skip
    card = RateCard.objects.select_for_update().get(pk=rate_card.pk)
    if name is not None:
        if not name.strip():
            raise ApplicationError("name: a rate card needs a name.")
        card.name = name.strip()
    if description is not None:
        card.description = description
    if aliases is not None:
        card.aliases = _aliases(aliases, card)
    card.save()
    _conversions_add(card, add_credit_type_conversions or [], "add_credit_type_conversions")
    return card


@transaction.atomic
def rate_card_archive(*, rate_card: RateCard) -> RateCard:
    if rate_card.archived_at is None:
        rate_card.archived_at = timezone.now()
        rate_card.save(update_fields=["archived_at", "updated_at"])
    return rate_card


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
                f"{prefix}starting_at: overlaps the rate of {fields['product'].name} from "
                f"{other.starting_at:%Y-%m-%d %H:%M} (id {other.public_id}); end that rate first."
            )


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


# -- wire input (Metronome-shaped bodies) -------------------------------------------------------

BILLING_FREQUENCIES = ("MONTHLY", "QUARTERLY", "ANNUAL", "WEEKLY")


def find_by_public_id(queryset: Any, value: Any) -> Any:
    try:
        key = uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None
    return queryset.filter(public_id=key).first()


def product_ref(reader: Reader, key: str, *, required: bool = True) -> Product | None:
    """A product named by a field of the body: unknown or archived ids are bad input (400)."""
    value = reader.str(key, required=required)
    if not value:
        return None
    product = find_by_public_id(Product.objects.all(), value)
    if product is None:
        raise reader.fail(key, f"no product with id '{value}'.")
    if product.archived_at is not None:
        raise reader.fail(key, "the product is archived.")
    return product


def credit_type_ref(reader: Reader, key: str, *, required: bool = False) -> CreditType | None:
    value = reader.str(key, required=required)
    if not value:
        return None
    credit_type = find_by_public_id(CreditType.objects.all(), value)
    if credit_type is None:
        raise reader.fail(key, f"no credit type with id '{value}'.")
    if credit_type.archived_at is not None:
        raise reader.fail(key, "the credit type is archived.")
    return credit_type


def rate_input_from_wire(reader: Reader) -> dict[str, Any]:
    """rate_add's keyword arguments from an addRate body (or one item of addRates)."""
    entitled = reader.bool("entitled")
    if entitled is None:
        raise reader.fail("entitled", "is required.")
    custom_rate = reader.raw("custom_rate")
    if custom_rate is not None and not isinstance(custom_rate, dict):
        raise reader.fail("custom_rate", "must be an object.")
    commit_rate = reader.raw("commit_rate")
    if commit_rate is not None and not isinstance(commit_rate, dict):
        raise reader.fail("commit_rate", "must be an object.")
    return {
        "product": product_ref(reader, "product_id"),
        "rate_type": reader.choice("rate_type", tuple(RateType.values), required=True),
        "starting_at": reader.datetime("starting_at", required=True),
        "ending_before": reader.datetime("ending_before"),
        "entitled": entitled,
        "price": reader.raw("price"),
        "tiers": reader.raw("tiers"),
        "pricing_group_values": reader.raw("pricing_group_values"),
        "credit_type": credit_type_ref(reader, "credit_type_id"),
        "is_prorated": bool(reader.bool("is_prorated", default=False)),
        "quantity": reader.raw("quantity"),
        "commit_rate": commit_rate,
        "custom_rate": custom_rate,
        "billing_frequency": reader.choice("billing_frequency", BILLING_FREQUENCIES),
        "tier_reset_frequency": reader.raw("tier_reset_frequency"),
    }


def rate_selectors_from_wire(reader: Reader, *, tags: bool = True) -> list[dict[str, Any]]:
    """Metronome's rate `selectors`, normalised for selectors.rate_selected."""
    out = []
    for item in reader.children("selectors"):
        selector: dict[str, Any] = {}
        if item.has("product_id"):
            value = item.str("product_id")
            try:
                selector["product_id"] = str(uuid.UUID(value))
            except ValueError:
                raise item.fail("product_id", f"no product with id '{value}'.") from None
        for key in ("pricing_group_values", "partial_pricing_group_values"):
            if item.has(key):
                selector[key] = item.str_map(key)
        if item.has("billing_frequency"):
            selector["billing_frequency"] = item.choice("billing_frequency", BILLING_FREQUENCIES)
        if tags and item.has("product_tags"):
            selector["product_tags"] = item.str_list("product_tags")
        out.append(selector)
    return out
