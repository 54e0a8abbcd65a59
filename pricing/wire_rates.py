"""Rate cards and their rates as Metronome wire dicts: RateCardRetrieveResponse, the shared Rate
model, addRate's response and the entries of getRates / getRateSchedule."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from billing_console.lib.wire_values import iso
from billing_console.lib.wire_values import number as json_number
from pricing.models import Rate, RateCard
from pricing.selectors import product_state_at
from pricing.wire import credit_type_data


def rate_card_to_wire(card: RateCard, *, created_by: str = "") -> dict[str, Any]:
    """RateCardRetrieveResponse.data / RateCardListResponse."""
    conversions = card.conversions.select_related("custom_credit_type").order_by("pk")
    return {
        "id": str(card.public_id),
        "name": card.name,
        "description": card.description or None,
        "created_at": iso(card.created_at),
        "created_by": created_by,
        "aliases": list(card.aliases or []),
        "credit_type_conversions": [
            {
                "custom_credit_type": credit_type_data(c.custom_credit_type),
                # a string on the wire, unlike prices (RateCardRetrieveResponse)
                "fiat_per_custom_credit": _decimal_text(c.fiat_per_custom_credit),
            }
            for c in conversions
        ],
        "custom_fields": card.custom_fields or {},
        "fiat_credit_type": credit_type_data(card.fiat_credit_type),
    }


def _decimal_text(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def tiers_to_wire(raw: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Stored tiers [{size?: "100", price: "2"}] as wire Tier [{size?, price}]."""
    out = []
    for tier in raw or []:
        item: dict[str, Any] = {"price": json_number(tier["price"])}
        if tier.get("size") is not None:
            item["size"] = json_number(tier["size"])
        out.append(item)
    return out


def commit_rate_to_wire(raw: dict[str, Any] | None) -> dict[str, Any] | None:
    if not raw:
        return None
    out: dict[str, Any] = {"rate_type": raw["rate_type"]}
    if raw.get("price") is not None:
        out["price"] = json_number(raw["price"])
    if raw.get("tiers"):
        out["tiers"] = tiers_to_wire(raw["tiers"])
    return out


def rate_to_wire(rate: Rate) -> dict[str, Any]:
    """The shared Rate model (also addRate's response data)."""
    out: dict[str, Any] = {
        "rate_type": rate.rate_type,
        "credit_type": credit_type_data(rate.credit_type),
        "is_prorated": rate.is_prorated,
        "pricing_group_values": rate.pricing_group_values or None,
    }
    if rate.price is not None:
        out["price"] = json_number(rate.price)
    if rate.tiers:
        out["tiers"] = tiers_to_wire(rate.tiers)
        out["tier_reset_frequency"] = rate.tier_reset_frequency
    if rate.quantity is not None:
        out["quantity"] = json_number(rate.quantity)
    if rate.custom_rate is not None:
        out["custom_rate"] = rate.custom_rate
    return out


def rate_added_to_wire(rate: Rate) -> dict[str, Any]:
    """RateAddResponse.data."""
    return {**rate_to_wire(rate), "commit_rate": commit_rate_to_wire(rate.commit_rate)}


def rate_entry_to_wire(rate: Rate, *, as_of: datetime) -> dict[str, Any]:
    """One entry of getRates / getRateSchedule. The product is described as it stands at
    `as_of` (the later of the rate's start and the start of the requested window)."""
    version = product_state_at(rate.product, max(as_of, rate.starting_at))
    return {
        "product_id": str(rate.product.public_id),
        "product_name": version.name,
        "product_tags": list(version.tags or []),
        "product_custom_fields": rate.product.custom_fields or {},
        "entitled": rate.entitled,
        "starting_at": iso(rate.starting_at),
        "ending_before": iso(rate.ending_before),
        "rate": rate_to_wire(rate),
        "commit_rate": commit_rate_to_wire(rate.commit_rate),
        "pricing_group_values": rate.pricing_group_values or None,
        "billing_frequency": rate.billing_frequency or None,
    }
