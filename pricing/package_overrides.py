"""A package's overrides (multiplier, overwrite, tiered), validated as /v1/packages/create
takes them; their specifiers may name the temporary ids of the body's commits."""

from decimal import Decimal
from typing import Any

from billing_console.api import ApplicationError
from billing_console.lib.wire_values import number as json_number
from billing_console.wire import Reader
from pricing.models import RateType
from pricing.package_fields import (
    RATE_TYPES,
    TermIds,
    put,
    read_credit_type_id,
    read_number,
    read_offset,
    read_product_id,
)
from pricing.rates import clean_tiers
from pricing.wire_input import BILLING_FREQUENCIES


def override_terms(terms: TermIds, reader: Reader) -> dict[str, Any]:
    specifiers = reader.children("override_specifiers", required=True)
    if not specifiers:
        raise reader.fail("override_specifiers", "needs at least one specifier.")
    out: dict[str, Any] = {
        "override_specifiers": [_override_specifier(terms, item) for item in specifiers],
        "starting_at_offset": read_offset(reader, "starting_at_offset", required=True),
    }
    kind = reader.choice("type", ("OVERWRITE", "MULTIPLIER", "TIERED"))
    kind = kind or (
        "OVERWRITE"
        if reader.has("overwrite_rate")
        else "TIERED"
        if reader.has("tiers")
        else "MULTIPLIER"
    )
    out["type"] = kind
    if kind == "MULTIPLIER":
        out["multiplier"] = read_number(reader, "multiplier", required=True, minimum=Decimal(0))
    elif kind == "OVERWRITE":
        out["overwrite_rate"] = _overwrite_rate(reader)
    else:
        out["tiers"] = _override_tiers(reader)
    put(out, "duration", read_offset(reader, "duration", positive=True))
    put(out, "entitled", reader.bool("entitled"))
    commit_specific = reader.bool("is_commit_specific")
    put(out, "is_commit_specific", commit_specific)
    put(out, "priority", read_number(reader, "priority", positive=True))
    target = reader.choice("target", RATE_TYPES)
    if target and not commit_specific:
        raise reader.fail("target", "only overrides with is_commit_specific true have a target.")
    put(out, "target", target)
    return out


def _override_specifier(terms: TermIds, item: Reader) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    put(spec, "product_id", read_product_id(item, "product_id", required=False))
    put(spec, "product_tags", item.str_list("product_tags"))
    for key in ("pricing_group_values", "presentation_group_values"):
        put(spec, key, item.str_map(key) or None)
    put(spec, "billing_frequency", item.choice("billing_frequency", BILLING_FREQUENCIES))
    if not spec:
        raise ApplicationError(
            f"{item.path}: needs product_id, product_tags, pricing_group_values or presentation_group_values."
        )
    known = {
        "commit_ids": terms.commit_ids,
        "recurring_commit_ids": terms.recurring_ids,
        "any_commit_or_credit_ids": terms.commit_ids | terms.recurring_ids,
    }
    for key, ids in known.items():
        values = item.str_list(key)
        missing = [v for v in values if v not in ids]
        if missing:
            raise item.fail(
                key, f"'{missing[0]}' is not the temporary_id of a commit of this package."
            )
        put(spec, key, values)
    return spec


def _overwrite_rate(reader: Reader) -> dict[str, Any]:
    rate = reader.child("overwrite_rate", required=True)
    assert rate is not None
    rate_type = rate.choice("rate_type", tuple(RateType.values), required=True)
    out: dict[str, Any] = {"rate_type": rate_type}
    if rate_type == RateType.TIERED:
        out["tiers"] = [
            {k: json_number(Decimal(v)) for k, v in tier.items()}
            for tier in clean_tiers(f"{rate.path}.tiers", rate.list("tiers", required=True))
        ]
    elif rate_type in (RateType.FLAT, RateType.PERCENTAGE, RateType.SUBSCRIPTION):
        out["price"] = read_number(rate, "price", required=True, minimum=Decimal(0))
    put(out, "credit_type_id", read_credit_type_id(rate, "credit_type_id"))
    put(out, "is_prorated", rate.bool("is_prorated"))
    put(out, "quantity", read_number(rate, "quantity", minimum=Decimal(0)))
    custom = rate.raw("custom_rate")
    if custom is not None and not isinstance(custom, dict):
        raise rate.fail("custom_rate", "must be an object.")
    if rate_type == RateType.CUSTOM and custom is None:
        raise rate.fail("custom_rate", "a CUSTOM rate needs custom_rate.")
    put(out, "custom_rate", custom)
    return out


def _override_tiers(reader: Reader) -> list[dict[str, Any]]:
    items = reader.children("tiers", required=True)
    if not items:
        raise reader.fail("tiers", "needs at least one tier.")
    tiers = []
    for index, item in enumerate(items):
        tier: dict[str, Any] = {
            "multiplier": read_number(item, "multiplier", required=True, minimum=Decimal(0))
        }
        size = read_number(item, "size", positive=True)
        if size is None and index != len(items) - 1:
            raise item.fail("size", "is required on every tier but the last.")
        put(tier, "size", size)
        tiers.append(tier)
    return tiers
