"""Pricing models as Metronome wire dicts, in the shapes of the SDK's response types
(metronome/types/v1/contracts/*_response.py, types/v1/package_*_response.py, types/shared/).

Numbers: Decimal inside, JSON numbers on the wire. Exact integers go out as int; anything else
as the float nearest the exact decimal string (never through binary arithmetic).
"""

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from itertools import pairwise
from typing import Any

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model

from pricing.models import (
    USD_CENTS_ID,
    CreditType,
    Package,
    Product,
    ProductVersion,
    Rate,
    RateCard,
)
from pricing.selectors import product_state_at, product_versions


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def json_number(value: Decimal | str | int | None) -> int | float | None:
    if value is None:
        return None
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if number == number.to_integral_value():
        return int(number)
    return float(str(number))


# -- credit types ------------------------------------------------------------------------------


def credit_type_data(credit_type: CreditType) -> dict[str, str]:
    """CreditTypeData: {id, name}."""
    return {"id": str(credit_type.public_id), "name": credit_type.name}


def credit_type_to_wire(credit_type: CreditType) -> dict[str, Any]:
    """PricingUnitListResponse."""
    return {**credit_type_data(credit_type), "is_currency": credit_type.is_fiat}


def _credit_types_by_id(ids: set[str]) -> dict[str, CreditType]:
    valid = []
    for value in ids:
        try:
            valid.append(uuid.UUID(value))
        except (TypeError, ValueError):
            continue
    return {str(c.public_id): c for c in CreditType.objects.filter(public_id__in=valid)}


# -- products ------------------------------------------------------------------------------------

# ProductListItemState fields read straight off a version.
_STATE_LISTS = ("composite_product_ids", "composite_tags", "presentation_group_key",
                "pricing_group_key", "tags")  # fmt: skip
_STATE_VALUES = ("exclude_free_usage", "is_refundable", "netsuite_internal_item_id",
                 "netsuite_overage_item_id")  # fmt: skip


def _conversion(raw: dict[str, Any] | None) -> dict[str, Any] | None:
    if not raw:
        return None
    out = {
        "conversion_factor": json_number(raw["conversion_factor"]),
        "operation": raw["operation"],
    }
    if raw.get("name"):
        out["name"] = raw["name"]
    return out


def _definition(version: ProductVersion) -> dict[str, Any]:
    """The changeable definition of a product as of one version (wire field names)."""
    data: dict[str, Any] = {
        "name": version.name,
        "billable_metric_id": (
            str(version.billable_metric.public_id) if version.billable_metric_id else None
        ),
        "quantity_conversion": _conversion(version.quantity_conversion),
        "quantity_rounding": version.quantity_rounding or None,
    }
    for key in _STATE_LISTS:
        data[key] = list(getattr(version, key) or [])
    for key in _STATE_VALUES:
        value = getattr(version, key)
        data[key] = value if value != "" else None
    return data


def product_state_to_wire(version: ProductVersion) -> dict[str, Any]:
    """ProductListItemState."""
    return {
        **_definition(version),
        "created_at": iso(version.created_at),
        "created_by": version.created_by or "",
        "starting_at": iso(version.starting_at),
    }


def product_to_wire(product: Product, *, now: datetime) -> dict[str, Any]:
    """ProductListResponse / products/get data: the version in force now, the first version, and
    each later version as an update carrying only the fields it changed."""
    versions = product_versions(product)
    updates = []
    for before, after in pairwise(versions):
        old, new = _definition(before), _definition(after)
        update = {key: value for key, value in new.items() if old[key] != value}
        update.update(
            created_at=iso(after.created_at),
            created_by=after.created_by or "",
            starting_at=iso(after.starting_at),
        )
        updates.append(update)
    return {
        "id": str(product.public_id),
        "type": product.type,
        "current": product_state_to_wire(product_state_at(product, now)),
        "initial": product_state_to_wire(versions[0]),
        "updates": updates,
        "archived_at": iso(product.archived_at),
        "custom_fields": product.custom_fields or {},
    }


# -- who created it (auditlog) ---------------------------------------------------------------


def created_by_map(model: type[Model], pks: list[int]) -> dict[int, str]:
    """Who created each row, from its auditlog CREATE entry ('' when unknown)."""
    if not pks:
        return {}
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(model),
        object_pk__in=[str(pk) for pk in pks],
        action=LogEntry.Action.CREATE,
    ).select_related("actor")
    out: dict[int, str] = {}
    for entry in entries:
        actor = entry.actor
        if actor is not None:
            out[int(entry.object_pk)] = actor.get_full_name() or actor.get_username()
    return out


# -- rate cards and rates ---------------------------------------------------------------------


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


# -- packages ------------------------------------------------------------------------------------


class _PackageWire:
    """Stored (input-shaped) package terms -> PackageRetrieveResponse.data: product ids become
    {id, name}, credit type ids {id, name}, and every item gets an id. Ids are derived from the
    package id and the item's position, so they are stable across reads without being stored."""

    def __init__(self, package: Package) -> None:
        self.package = package
        terms = package.terms or {}
        self.default_credit_type = (
            package.rate_card.fiat_credit_type
            if package.rate_card_id
            else CreditType(public_id=USD_CENTS_ID, name="USD (cents)")
        )
        products: set[str] = set()
        credit_types: set[str] = set()
        _collect(terms, products, credit_types)
        self.products = _products_by_id(products)
        self.credit_types = _credit_types_by_id(credit_types)
        self.temporary: dict[str, str] = {}
        for key in ("commits", "recurring_commits", "subscriptions"):
            for index, item in enumerate(terms.get(key) or []):
                if item.get("temporary_id"):
                    self.temporary[item["temporary_id"]] = self.item_id(f"{key}[{index}]")

    def item_id(self, path: str) -> str:
        return str(uuid.uuid5(self.package.public_id, path))

    def product(self, public_id: str) -> dict[str, str]:
        product = self.products.get(public_id)
        return {"id": public_id, "name": product.name if product else ""}

    def credit_type(self, public_id: str | None) -> dict[str, str]:
        if public_id and public_id in self.credit_types:
            return credit_type_data(self.credit_types[public_id])
        return credit_type_data(self.default_credit_type)

    def commit(self, item: dict[str, Any], path: str) -> dict[str, Any]:
        out = {k: v for k, v in item.items() if k not in ("product_id", "temporary_id")}
        out["id"] = self.item_id(path)
        out["product"] = self.product(item["product_id"])
        access = item.get("access_schedule")
        if access:
            out["access_schedule"] = {
                "credit_type": self.credit_type(access.get("credit_type_id")),
                "schedule_items": [
                    {**si, "id": self.item_id(f"{path}.access_schedule.schedule_items[{i}]")}
                    for i, si in enumerate(access["schedule_items"])
                ],
                "access_type": access.get("access_type"),
            }
        invoice = item.get("invoice_schedule")
        if invoice:
            out["invoice_schedule"] = self._schedule(invoice, f"{path}.invoice_schedule")
            out["invoice_schedule"]["do_not_invoice"] = bool(invoice.get("do_not_invoice"))
        return out

    def _schedule(self, schedule: dict[str, Any], path: str) -> dict[str, Any]:
        return {
            "credit_type": self.credit_type(schedule.get("credit_type_id")),
            "schedule_items": [
                {**si, "id": self.item_id(f"{path}.schedule_items[{i}]")}
                for i, si in enumerate(schedule["schedule_items"])
            ],
        }

    def recurring(self, item: dict[str, Any], path: str) -> dict[str, Any]:
        out = {k: v for k, v in item.items() if k not in ("product_id", "temporary_id")}
        out["id"] = self.item_id(path)
        out["product"] = self.product(item["product_id"])
        out["rate_type"] = item.get("rate_type", "COMMIT_RATE")
        access = dict(item["access_amount"])
        access["credit_type_id"] = self.credit_type(access.get("credit_type_id"))["id"]
        out["access_amount"] = access
        config = item.get("subscription_config")
        if config:
            out["subscription_config"] = {
                "allocation": config.get("allocation", "POOLED"),
                "apply_seat_increase_config": config["apply_seat_increase_config"],
                "subscription_template_id": self.temporary.get(config["subscription_id"], ""),
            }
        return out

    def override(self, item: dict[str, Any], path: str) -> dict[str, Any]:
        out = {k: v for k, v in item.items() if k not in ("override_specifiers", "tiers")}
        out["id"] = self.item_id(path)
        renamed = {
            "commit_ids": "commit_template_ids",
            "recurring_commit_ids": "recurring_commit_template_ids",
            "any_commit_or_credit_ids": "any_commit_or_credit_template_ids",
        }
        out["override_specifiers"] = [
            {
                renamed.get(k, k): [self.temporary.get(v, v) for v in value]
                if k in renamed
                else value
                for k, value in spec.items()
            }
            for spec in item["override_specifiers"]
        ]
        if item.get("tiers"):
            out["override_tiers"] = item["tiers"]
        rate = item.get("overwrite_rate")
        if rate:
            out["overwrite_rate"] = {
                **{k: v for k, v in rate.items() if k != "credit_type_id"},
                "credit_type": self.credit_type(rate.get("credit_type_id")),
            }
        return out

    def scheduled_charge(self, item: dict[str, Any], path: str) -> dict[str, Any]:
        return {
            "id": self.item_id(path),
            "product": self.product(item["product_id"]),
            "schedule": self._schedule(item["schedule"], f"{path}.schedule"),
            "name": item.get("name"),
            "custom_fields": item.get("custom_fields") or {},
        }

    def subscription(self, item: dict[str, Any], path: str) -> dict[str, Any]:
        out = {k: v for k, v in item.items() if k not in ("subscription_rate", "temporary_id")}
        out["id"] = self.item_id(path)
        rate = item["subscription_rate"]
        out["subscription_rate"] = {
            "billing_frequency": rate["billing_frequency"],
            "product": self.product(rate["product_id"]),
        }
        out["proration"] = {
            "invoice_behavior": "BILL_ON_NEXT_COLLECTION_DATE",
            "is_prorated": False,
            **item["proration"],
        }
        out["fiat_credit_type_id"] = str(self.default_credit_type.public_id)
        return out


def _collect(value: Any, products: set[str], credit_types: set[str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "product_id" and isinstance(item, str):
                products.add(item)
            elif key == "credit_type_id" and isinstance(item, str):
                credit_types.add(item)
            else:
                _collect(item, products, credit_types)
    elif isinstance(value, list):
        for item in value:
            _collect(item, products, credit_types)


def _products_by_id(ids: set[str]) -> dict[str, Product]:
    valid = []
    for value in ids:
        try:
            valid.append(uuid.UUID(value))
        except (TypeError, ValueError):
            continue
    return {str(p.public_id): p for p in Product.objects.filter(public_id__in=valid)}


def package_to_wire(package: Package, *, created_by: str = "") -> dict[str, Any]:
    """PackageRetrieveResponse.data / PackageListResponse."""
    terms = package.terms or {}
    wire = _PackageWire(package)

    def each(key: str, render: Any) -> list[dict[str, Any]]:
        return [render(item, f"{key}[{i}]") for i, item in enumerate(terms.get(key) or [])]

    simple = (
        "billing_provider", "contract_name", "delivery_method", "duration",
        "multiplier_override_prioritization", "net_payment_terms_days",
        "prepaid_balance_threshold_configuration", "scheduled_charges_on_usage_invoices",
        "spend_threshold_configuration", "spend_trackers",
    )  # fmt: skip
    return {
        "id": str(package.public_id),
        "name": package.name,
        "created_at": iso(package.created_at),
        "created_by": created_by,
        "archived_at": iso(package.archived_at),
        "aliases": list(package.aliases or []),
        "uniqueness_key": package.uniqueness_key,
        "rate_card_id": str(package.rate_card.public_id) if package.rate_card_id else None,
        "commits": each("commits", wire.commit),
        "credits": each("credits", wire.commit),
        "overrides": each("overrides", wire.override),
        "scheduled_charges": each("scheduled_charges", wire.scheduled_charge),
        "recurring_commits": each("recurring_commits", wire.recurring),
        "recurring_credits": each("recurring_credits", wire.recurring),
        "subscriptions": each("subscriptions", wire.subscription),
        # Contracts default to monthly statements from the contract start.
        "usage_statement_schedule": terms.get("usage_statement_schedule")
        or {"frequency": "MONTHLY", "day": "CONTRACT_START"},
        **{key: terms.get(key) for key in simple},
    }


def contract_on_package_to_wire(contract: Any) -> dict[str, Any]:
    """PackageListContractsOnPackageResponse."""
    return {
        "contract_id": str(contract.public_id),
        "customer_id": str(contract.customer.public_id),
        "starting_at": iso(contract.starting_at),
        "ending_before": iso(contract.ending_before),
        "archived_at": iso(contract.archived_at),
    }
