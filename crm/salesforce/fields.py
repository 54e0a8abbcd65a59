"""What each entity kind offers to a Salesforce mapping: its source fields, and their values.

Amounts are in major units (dollars, not cents) with their currency beside them, as a Salesforce
Currency or Number field expects; times are ISO 8601 UTC, as a DateTime field expects. A mapping
may also name `custom_fields.<key>` to send one of the entity's custom field values.
"""

import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from billing_console.lib.money_text import to_major, unit_label
from billing_console.lib.wire_values import iso
from contracts.models import Commit, Contract
from crm.models import EntityKind
from invoicing.models import Invoice
from webhooks.models import OutboundEvent

CUSTOM_PREFIX = "custom_fields."
# Salesforce API names: a letter, then letters, digits and single underscores (__c, __r suffixes).
API_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,79}$")

SOURCE_FIELDS: dict[str, tuple[str, ...]] = {
    EntityKind.CONTRACT: (
        "id", "name", "customer_id", "customer_name", "starting_at", "ending_before",
        "net_payment_terms_days", "total_contract_value", "currency", "salesforce_opportunity_id",
        "netsuite_sales_order_id", "archived_at",
    ),
    EntityKind.COMMIT: (
        "id", "name", "type", "customer_id", "customer_name", "contract_id", "product_name",
        "access_amount", "currency", "starting_at", "ending_before", "salesforce_opportunity_id",
        "netsuite_sales_order_id", "archived_at",
    ),
    EntityKind.INVOICE: (
        "id", "number", "type", "status", "customer_id", "customer_name", "contract_id",
        "currency", "subtotal", "total", "start_timestamp", "end_timestamp", "issued_at",
        "finalized_at", "voided_at", "salesforce_opportunity_id", "netsuite_sales_order_id",
    ),
    EntityKind.LIFECYCLE_EVENT: (
        "id", "type", "timestamp", "customer_id", "contract_id", "commit_id", "payload",
    ),
}  # fmt: skip
# Entities whose custom fields a mapping may name (lifecycle events carry theirs in `payload`).
WITH_CUSTOM_FIELDS = (EntityKind.CONTRACT, EntityKind.COMMIT)


def is_source_field(kind: str, name: str) -> bool:
    if name.startswith(CUSTOM_PREFIX):
        return kind in WITH_CUSTOM_FIELDS and bool(name[len(CUSTOM_PREFIX) :].strip())
    return name in SOURCE_FIELDS.get(kind, ())


def _major(amount: Decimal | None, credit_type: Any) -> Decimal | None:
    return None if amount is None else to_major(amount, credit_type)


def contract_values(contract: Contract) -> dict[str, Any]:
    credit_type = contract.rate_card.fiat_credit_type if contract.rate_card_id else None
    return {
        "id": str(contract.public_id),
        "name": contract.name or str(contract),
        "customer_id": str(contract.customer.public_id),
        "customer_name": contract.customer.name,
        "starting_at": iso(contract.starting_at),
        "ending_before": iso(contract.ending_before),
        "net_payment_terms_days": contract.net_payment_terms_days,
        "total_contract_value": _major(contract.total_contract_value, credit_type),
        "currency": unit_label(credit_type) or None,
        "salesforce_opportunity_id": contract.salesforce_opportunity_id or None,
        "netsuite_sales_order_id": contract.netsuite_sales_order_id or None,
        "archived_at": iso(contract.archived_at),
        "custom_fields": contract.custom_fields or {},
    }


def commit_values(commit: Commit) -> dict[str, Any]:
    from pricing.products import credit_type_get_default

    credit_type = commit.access_credit_type or credit_type_get_default()
    segments = list(commit.segments.order_by("starting_at", "pk"))
    total = sum((s.amount for s in segments), Decimal(0))
    return {
        "id": str(commit.public_id),
        "name": commit.name or commit.product.name,
        "type": commit.kind,
        "customer_id": str(commit.customer.public_id),
        "customer_name": commit.customer.name,
        "contract_id": str(commit.contract.public_id) if commit.contract_id else None,
        "product_name": commit.product.name,
        "access_amount": _major(total, credit_type),
        "currency": unit_label(credit_type) or None,
        "starting_at": iso(segments[0].starting_at) if segments else None,
        "ending_before": iso(segments[-1].ending_before) if segments else None,
        "salesforce_opportunity_id": commit.salesforce_opportunity_id or None,
        "netsuite_sales_order_id": commit.netsuite_sales_order_id or None,
        "archived_at": iso(commit.archived_at),
        "custom_fields": commit.custom_fields or {},
    }


def invoice_values(invoice: Invoice) -> dict[str, Any]:
    credit_type = invoice.credit_type
    return {
        "id": str(invoice.public_id),
        "number": invoice.number or None,
        "type": invoice.type,
        "status": invoice.status,
        "customer_id": str(invoice.customer.public_id),
        "customer_name": invoice.customer.name,
        "contract_id": str(invoice.contract.public_id),
        "currency": unit_label(credit_type) or None,
        "subtotal": _major(invoice.subtotal, credit_type),
        "total": _major(invoice.total, credit_type),
        "start_timestamp": iso(invoice.period_start),
        "end_timestamp": iso(invoice.period_end),
        "issued_at": iso(invoice.issued_at),
        "finalized_at": iso(invoice.finalized_at),
        "voided_at": iso(invoice.voided_at),
        "salesforce_opportunity_id": invoice.contract.salesforce_opportunity_id or None,
        "netsuite_sales_order_id": invoice.contract.netsuite_sales_order_id or None,
    }


def event_values(event: OutboundEvent) -> dict[str, Any]:
    payload = event.payload or {}
    return {
        "id": str(event.public_id),
        "type": event.type,
        "timestamp": payload.get("timestamp") or iso(event.created_at),
        "customer_id": payload.get("customer_id"),
        "contract_id": payload.get("contract_id"),
        "commit_id": payload.get("commit_id") or payload.get("credit_id"),
        # A Long Text Area holds the whole event body, as webhook endpoints receive it.
        "payload": json.dumps(payload, sort_keys=True, default=str),
    }


VALUES: dict[str, Callable[[Any], dict[str, Any]]] = {
    EntityKind.CONTRACT: contract_values,
    EntityKind.COMMIT: commit_values,
    EntityKind.INVOICE: invoice_values,
    EntityKind.LIFECYCLE_EVENT: event_values,
}


def record_body(values: dict[str, Any], field_map: dict[str, str]) -> dict[str, Any]:
    """The Salesforce record's fields: each mapped source value (JSON-ready; null clears)."""
    body: dict[str, Any] = {}
    for source, target in field_map.items():
        if source.startswith(CUSTOM_PREFIX):
            value = (values.get("custom_fields") or {}).get(source[len(CUSTOM_PREFIX) :])
        else:
            value = values.get(source)
        # simple-salesforce serializes with json.dumps, which takes no Decimal. A float's repr is
        # the shortest text that reads back the same, so the JSON number carries the Decimal's
        # own digits for up to 15 significant digits (amounts of up to a trillion, in cents).
        body[target] = float(value) if isinstance(value, Decimal) else value
    return body
