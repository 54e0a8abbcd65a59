"""/v1/dashboards/getEmbeddableUrl input, validated strictly: the colors end up in a <style>
block of the embedded page, so only hex colors under known names get through."""

import re
import uuid
from typing import Any

from billing_console.embedding import DASHBOARDS, EmbedGrant
from billing_console.wire import Reader
from customers.selectors import customer_get

COLOR_NAMES = (
    "Gray_dark", "Gray_medium", "Gray_light", "Gray_extralight", "White", "Primary_medium",
    "Primary_light", "UsageLine_0", "UsageLine_1", "UsageLine_2", "UsageLine_3", "UsageLine_4",
    "UsageLine_5", "UsageLine_6", "UsageLine_7", "UsageLine_8", "UsageLine_9", "Primary_green",
    "Primary_red", "Progress_bar", "Progress_bar_background", "Action", "Action_hover",
)  # fmt: skip
HEX_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")
BOOLEAN = ("true", "false")
OPTIONS: dict[str, tuple[str, ...] | None] = {
    "show_zero_usage_line_items": BOOLEAN,
    "contract_id": None,  # a UUID of one of the customer's contracts
    "invoice_type": ("USAGE", "SCHEDULED"),
    "invoice_status_filter": ("VOID", "FINALIZED", "DRAFT", "FINALIZED_AND_DRAFT", "ALL"),
    "hide_voided_invoices": BOOLEAN,
    "billable_status_filter": ("billable", "unbillable", "all"),
    "hide_grant_name": BOOLEAN,
    "credit_ledger_credit_type_id": None,  # a UUID
}
MAX_ITEMS = 50


def _items(reader: Reader, key: str) -> list[Reader]:
    items = reader.children(key)
    if len(items) > MAX_ITEMS:
        raise reader.fail(key, f"at most {MAX_ITEMS} items.")
    return items


def _colors(reader: Reader) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in _items(reader, "color_overrides"):
        name = item.choice("name", COLOR_NAMES, required=True)
        value = item.str("value", required=True, max_length=100)
        if not HEX_COLOR.match(value):
            raise item.fail("value", "must be a hex color such as #1a2b3c.")
        out[name] = value.lower()
    return out


def _options(reader: Reader, customer: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in _items(reader, "dashboard_options"):
        key = item.choice("key", tuple(OPTIONS), required=True)
        value = item.str("value", required=True, max_length=100)
        allowed = OPTIONS[key]
        if allowed is not None and value not in allowed:
            raise item.fail("value", f"for {key} must be one of {', '.join(allowed)}.")
        if allowed is None:
            try:
                value = str(uuid.UUID(value))
            except ValueError:
                raise item.fail("value", f"for {key} must be a UUID.") from None
        if key == "contract_id" and not customer.contracts.filter(public_id=value).exists():
            raise item.fail("value", "is not a contract of this customer.")
        out[key] = value
    return out


def _group_keys(reader: Reader) -> list[dict[str, Any]]:
    out = []
    for item in _items(reader, "bm_group_key_overrides"):
        entry: dict[str, Any] = {"group_key_name": item.str("group_key_name", required=True, max_length=200)}  # fmt: skip
        if item.has("display_name"):
            entry["display_name"] = item.str("display_name", max_length=200)
        names = item.raw("value_display_names")
        if names is not None:
            if not isinstance(names, dict) or not all(
                isinstance(k, str) and isinstance(v, str) and len(v) <= 200
                for k, v in names.items()
            ):
                raise item.fail("value_display_names", "must map values to display names (strings).")  # fmt: skip
            entry["value_display_names"] = names
        out.append(entry)
    return out


def embed_grant_from_wire(data: Any) -> EmbedGrant:
    reader = Reader(data)
    customer = customer_get(reader.str("customer_id", required=True, max_length=100))
    return EmbedGrant(
        customer_id=str(customer.public_id),
        dashboard=reader.choice("dashboard", DASHBOARDS, required=True),
        options=_options(reader, customer),
        colors=_colors(reader),
        group_keys=_group_keys(reader),
    )


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(value)
    except (TypeError, ValueError, AttributeError):
        return False
    return True


def _is_str_map(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    )


def embed_grant_is_well_formed(grant: EmbedGrant) -> bool:
    """What embed_grant_from_wire lets through, checked again on a grant read from a token. A
    token we signed always passes; one signed with a leaked or default key must not reach the
    templates (the colors go into a <style> block) or the queries unchecked."""
    if not _is_uuid(grant.customer_id):
        return False
    for key, value in grant.options.items():
        if key not in OPTIONS or not isinstance(value, str):
            return False
        allowed = OPTIONS[key]
        if not (value in allowed if allowed is not None else _is_uuid(value)):
            return False
    for name, value in grant.colors.items():
        if name not in COLOR_NAMES or not isinstance(value, str) or not HEX_COLOR.match(value):
            return False
    return all(
        isinstance(entry, dict)
        and isinstance(entry.get("group_key_name"), str)
        and isinstance(entry.get("display_name", ""), str)
        and _is_str_map(entry.get("value_display_names", {}))
        for entry in grant.group_keys
    )
