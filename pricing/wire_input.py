"""Reading Metronome-shaped request bodies into pricing objects: references by public id
(products, credit types, any model), a rate's fields (addRate/addRates) and rate selectors.
Unknown or archived ids are bad input (400), reported on the field that named them."""

import uuid
from typing import Any

from billing_console.wire import Reader
from pricing.models import CreditType, Product, RateType

BILLING_FREQUENCIES = ("MONTHLY", "QUARTERLY", "ANNUAL", "WEEKLY")


def find_by_public_id(queryset: Any, value: Any) -> Any:
    try:
        key = uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None
    return queryset.filter(public_id=key).first()


def _live_ref(reader: Reader, key: str, queryset: Any, what: str, required: bool) -> Any:
    """The object of `queryset` a field of the body names: unknown or archived ids are bad
    input (400)."""
    value = reader.str(key, required=required)
    if not value:
        return None
    found = find_by_public_id(queryset, value)
    if found is None:
        raise reader.fail(key, f"no {what} with id '{value}'.")
    if found.archived_at is not None:
        raise reader.fail(key, f"the {what} is archived.")
    return found


def product_ref(reader: Reader, key: str, *, required: bool = True) -> Product | None:
    return _live_ref(reader, key, Product.objects.all(), "product", required)


def credit_type_ref(reader: Reader, key: str, *, required: bool = False) -> CreditType | None:
    return _live_ref(reader, key, CreditType.objects.all(), "credit type", required)


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
