"""Spend threshold and prepaid balance threshold configurations: validated and stored as given.

Both are JSON on the contract, in the SDK's SpendThresholdConfiguration(V2) and
PrepaidBalanceThresholdConfiguration(V2) shapes, and read back identically through v1/v2 get.
Their firing (threshold invoices, recharges) is not built here: this module only validates.

Create and add_* take a whole configuration; update_* takes a partial one that is merged into
the stored configuration (a key sent as null removes an optional field) and the result is
validated again as a whole, so the stored value is always a valid configuration.
"""

from decimal import Decimal
from typing import Any

from billing_console.lib.wire_values import number
from billing_console.wire import Reader

PAYMENT_GATES = ("NONE", "STRIPE", "EXTERNAL")
TAX_TYPES = ("NONE", "STRIPE", "ANROK", "PRECALCULATED")
STRIPE_PAYMENT_TYPES = ("INVOICE", "PAYMENT_INTENT")
DURATION_UNITS = ("DAYS", "WEEKS", "MONTHS", "YEARS")
EXCLUDE_ENTITIES = ("Commit", "ContractCredit", "ContractCreditOrCommit")


def _put(out: dict[str, Any], key: str, value: Any) -> None:
    if value is not None and value != "" and value != []:
        out[key] = value


def _payment_gate(reader: Reader) -> dict[str, Any]:
    out: dict[str, Any] = {
        "payment_gate_type": reader.choice("payment_gate_type", PAYMENT_GATES, required=True)
    }
    stripe = reader.child("stripe_config")
    if stripe is not None:
        config = {
            "payment_type": stripe.choice("payment_type", STRIPE_PAYMENT_TYPES, required=True)
        }
        if stripe.has("invoice_metadata"):
            config["invoice_metadata"] = stripe.str_map("invoice_metadata")
        out["stripe_config"] = config
    if reader.has("tax_type"):
        out["tax_type"] = reader.choice("tax_type", TAX_TYPES)
    tax = reader.child("precalculated_tax_config")
    if tax is not None:
        config = {
            "tax_amount": number(tax.decimal("tax_amount", required=True, minimum=Decimal(0)))
        }
        _put(config, "tax_name", tax.str("tax_name", max_length=200))
        out["precalculated_tax_config"] = config
    if out.get("tax_type") == "PRECALCULATED" and "precalculated_tax_config" not in out:
        raise reader.fail("precalculated_tax_config", "is required when tax_type is PRECALCULATED.")
    if out.get("tax_type") == "STRIPE" and out["payment_gate_type"] != "STRIPE":
        raise reader.fail("tax_type", "STRIPE tax needs the STRIPE payment gate.")
    return out


def _commit(reader: Reader, *, prepaid: bool) -> dict[str, Any]:
    from contracts.wire.read import product_from_wire, specifiers_from_wire, uuid_from_wire

    product = product_from_wire(reader, "product_id")
    out: dict[str, Any] = {"product_id": str(product.public_id)}  # type: ignore[union-attr]
    _put(out, "name", reader.str("name", max_length=200))
    _put(out, "description", reader.str("description"))
    _put(out, "priority", number(reader.decimal("priority")))
    if not prepaid:
        return out
    ids = [
        uuid_from_wire(reader, "applicable_product_ids", p)
        for p in reader.str_list("applicable_product_ids")
    ]
    _put(out, "applicable_product_ids", ids)
    _put(out, "applicable_product_tags", reader.str_list("applicable_product_tags"))
    if reader.has("specifiers"):
        if ids or out.get("applicable_product_tags"):
            raise reader.fail(
                "specifiers",
                "cannot be used with applicable_product_ids or applicable_product_tags.",
            )
        _put(out, "specifiers", specifiers_from_wire(reader, "specifiers"))
    duration = reader.child("duration")
    if duration is not None:
        value = duration.decimal("value", required=True, positive=True)
        if value != value.to_integral_value():  # type: ignore[union-attr]
            raise duration.fail("value", "must be a whole number.")
        out["duration"] = {
            "unit": duration.choice("unit", DURATION_UNITS, required=True),
            "value": int(value),  # type: ignore[arg-type]
        }
    _put(out, "rate_type", reader.choice("rate_type", ("COMMIT_RATE", "LIST_RATE")))
    rollover = reader.decimal("rollover_fraction", minimum=Decimal(0))
    if rollover is not None and rollover > 1:
        raise reader.fail("rollover_fraction", "must be between 0 and 1.")
    _put(out, "rollover_fraction", number(rollover))
    return out


def _discount(reader: Reader) -> dict[str, Any] | None:
    child = reader.child("discount_configuration")
    if child is None:
        return None
    fraction = child.decimal("payment_fraction", required=True, minimum=Decimal(0))
    if fraction > 1:  # type: ignore[operator]
        raise child.fail("payment_fraction", "must be between 0 and 1.")
    out: dict[str, Any] = {"payment_fraction": number(fraction)}
    cap = child.child("cap")
    if cap is not None:
        out["cap"] = {
            "amount": number(cap.decimal("amount", required=True, minimum=Decimal(0))),
            "spend_tracker_alias": cap.str("spend_tracker_alias", required=True, max_length=200),
        }
    return out


def _balance_specifiers(reader: Reader) -> list[dict[str, Any]]:
    out = []
    for spec in reader.children("threshold_balance_specifiers"):
        excludes = []
        for exclude in spec.children("exclude", required=True):
            filters = [
                {
                    "entity": f.choice("entity", EXCLUDE_ENTITIES, required=True),
                    "key": f.str("key", required=True, max_length=200),
                    "value": f.str("value", required=True, max_length=2000),
                }
                for f in exclude.children("custom_field_filters", required=True)
            ]
            excludes.append({"custom_field_filters": filters})
        out.append({"exclude": excludes})
    return out


def _amount(reader: Reader, key: str) -> int | float | None:
    return number(reader.decimal(key, required=True, minimum=Decimal(0)))


def spend_threshold_from_wire(reader: Reader) -> dict[str, Any]:
    """A whole spend_threshold_configuration, validated; the value to store."""
    commit = reader.child("commit", required=True)
    gate = reader.child("payment_gate_config", required=True)
    if reader.bool("is_enabled") is None:
        raise reader.fail("is_enabled", "is required.")
    out: dict[str, Any] = {
        "commit": _commit(commit, prepaid=False),  # type: ignore[arg-type]
        "is_enabled": reader.bool("is_enabled"),
        "payment_gate_config": _payment_gate(gate),  # type: ignore[arg-type]
        "threshold_amount": _amount(reader, "threshold_amount"),
    }
    if out["threshold_amount"] == 0:
        raise reader.fail("threshold_amount", "must be greater than 0.")
    _put(out, "discount_configuration", _discount(reader))
    return out


def prepaid_threshold_from_wire(reader: Reader) -> dict[str, Any]:
    """A whole prepaid_balance_threshold_configuration, validated; the value to store."""
    from contracts.terms.recurring import credit_type_id_from_wire

    commit = reader.child("commit", required=True)
    gate = reader.child("payment_gate_config", required=True)
    if reader.bool("is_enabled") is None:
        raise reader.fail("is_enabled", "is required.")
    out: dict[str, Any] = {
        "commit": _commit(commit, prepaid=True),  # type: ignore[arg-type]
        "is_enabled": reader.bool("is_enabled"),
        "payment_gate_config": _payment_gate(gate),  # type: ignore[arg-type]
        "recharge_to_amount": _amount(reader, "recharge_to_amount"),
        "threshold_amount": _amount(reader, "threshold_amount"),
    }
    if out["recharge_to_amount"] <= out["threshold_amount"]:
        raise reader.fail("recharge_to_amount", "must be greater than threshold_amount.")
    if reader.has("custom_credit_type_id"):
        out["custom_credit_type_id"] = credit_type_id_from_wire(reader, "custom_credit_type_id")
    _put(out, "discount_configuration", _discount(reader))
    _put(out, "threshold_balance_specifiers", _balance_specifiers(reader))
    return out


def _merge(stored: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """A partial update merged into the stored configuration: nested objects merge, null
    removes, anything else replaces."""
    out = dict(stored)
    for key, value in update.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict) and key != "stripe_config":
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def threshold_update(stored: dict[str, Any] | None, reader: Reader, key: str) -> dict[str, Any]:
    """update_spend_threshold_configuration / update_prepaid_balance_threshold_configuration."""
    update = reader.child(key, required=True)
    assert update is not None
    if stored is None:
        add_key = key.replace("update_", "add_")
        raise reader.fail(key, f"the contract has no configuration to update; use {add_key}.")
    merged = Reader(_merge(stored, update.data), update.path)
    if key == "update_spend_threshold_configuration":
        return spend_threshold_from_wire(merged)
    return prepaid_threshold_from_wire(merged)
