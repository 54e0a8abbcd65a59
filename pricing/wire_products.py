"""Products as Metronome wire dicts: ProductListResponse / products/get data, with the version in
force, the first version and each later version as an update (SDK types/v1/contracts/)."""

from datetime import datetime
from itertools import pairwise
from typing import Any

from billing_console.lib.wire_values import iso
from billing_console.lib.wire_values import number as json_number
from pricing.models import Product, ProductVersion
from pricing.selectors import product_state_at, product_versions

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
