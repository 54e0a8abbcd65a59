"""Usage on the wire, in the shapes of the SDK's types (metronome.types.v1: billable_metric_*,
usage_list_response, usage_list_with_groups_response, usage_search_response)."""

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from billing_console.lib.wire_values import iso, number
from customers.models import Customer
from usage.models import BillableMetric, UsageEvent

# Event ids on the wire: never the sequential primary key (style §5), but stable for a row.
EVENT_ID_NAMESPACE = uuid.UUID("6d3c0d8e-4e1b-4b43-9a53-2f0a3c1f7b11")


def metric_to_wire(metric: BillableMetric, *, legacy: bool = False) -> dict[str, Any]:
    """BillableMetricRetrieveResponse.Data / BillableMetricListResponse; `legacy` adds the
    deprecated fields of the customer list and event search shapes."""
    data: dict[str, Any] = {
        "id": str(metric.public_id),
        "name": metric.name,
        "aggregation_type": metric.aggregation_type or None,
        "aggregation_key": metric.aggregation_key or None,
        "event_type_filter": metric.event_type_filter or None,
        "property_filters": metric.property_filters or None,
        "group_keys": metric.group_keys or None,
        "custom_fields": metric.custom_fields or {},
        "sql": metric.sql or None,
        "archived_at": iso(metric.archived_at),
    }
    if legacy:
        data["aggregate"] = metric.aggregation_type.lower() or None
        data["aggregate_keys"] = [metric.aggregation_key] if metric.aggregation_key else None
        data["group_by"] = sorted({k for keys in metric.group_keys or [] for k in keys}) or None
    return data


def usage_row(
    *, customer: Customer, metric: BillableMetric, bounds: tuple[datetime, datetime],
    value: Decimal | None, groups: dict[str, Decimal | None] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """One UsageListResponse: a customer's metric over one window."""
    row: dict[str, Any] = {
        "customer_id": str(customer.public_id),
        "billable_metric_id": str(metric.public_id),
        "billable_metric_name": metric.name,
        "start_timestamp": iso(bounds[0]),
        "end_timestamp": iso(bounds[1]),
        "value": number(value),
    }
    if groups is not None:
        row["groups"] = {key: number(amount) for key, amount in groups.items()}
    return row


def group_row(
    *, bounds: tuple[datetime, datetime], keys: list[str], values: tuple, value: Decimal | None
) -> dict[str, Any]:
    """One UsageListWithGroupsResponse: a window and one combination of group values."""
    group = {k: v for k, v in zip(keys, values, strict=True) if v is not None}
    return {
        "starting_on": iso(bounds[0]),
        "ending_before": iso(bounds[1]),
        "group_key": keys[0] if len(keys) == 1 else None,
        "group_value": values[0] if len(keys) == 1 else None,
        "group": group if keys else None,
        "value": number(value),
    }


def event_id(event: UsageEvent) -> str:
    return str(uuid.uuid5(EVENT_ID_NAMESPACE, f"{event.pk}:{event.transaction_id}"))


def event_to_wire(
    event: UsageEvent, customer: Customer | None, metrics: list[BillableMetric]
) -> dict[str, Any]:
    """One UsageSearchResponseItem."""
    matched = []
    for metric in metrics:
        item = metric_to_wire(metric, legacy=True)
        if metric.sql:
            item["aggregation_type"] = "custom_sql"
        matched.append(item)
    return {
        "id": event_id(event),
        "transaction_id": event.transaction_id,
        "customer_id": event.customer_id,
        "event_type": event.event_type,
        "timestamp": iso(event.timestamp),
        "properties": event.properties or {},
        "processed_at": iso(event.received_at),
        "is_duplicate": False,  # one copy is stored per transaction id; repeats are dropped
        "matched_customer": (
            {"id": str(customer.public_id), "name": customer.name} if customer else None
        ),
        "matched_billable_metrics": matched,
    }
