"""Alerts and notification configurations on the wire, in the SDK's shapes
(metronome.types.v1.customers.CustomerAlert, types.v2 lifecycle notification configs)."""

from typing import Any

from alerts.lifecycle import iso
from alerts.models import WIRE_ENTITIES, Alert, OffsetNotification
from alerts.selectors import CustomerAlertView
from billing_console.lib.wire_values import number


def alert_to_wire(alert: Alert, view: CustomerAlertView | None = None) -> dict[str, Any]:
    """The alert (Metronome's `Alert`); `updated_at` is when the customer's status last changed.
    For a per-value state, `group_values` names the value the state is about."""
    state = view.state if view is not None else None
    data: dict[str, Any] = {
        "id": str(alert.public_id),
        "name": alert.name,
        "status": "archived" if alert.archived_at else "enabled",
        "threshold": number(alert.threshold),
        "type": alert.alert_type,
        "updated_at": iso(
            (state.status_changed_at or state.updated_at) if state is not None else alert.updated_at
        ),
        "uniqueness_key": alert.uniqueness_key,
    }
    if alert.credit_type_id:
        data["credit_type"] = {
            "id": str(alert.credit_type.public_id),
            "name": alert.credit_type.name,
        }
    if alert.billable_metric_id:
        data["billable_metric_id"] = str(alert.billable_metric.public_id)
    if alert.access_type:
        data["access_type"] = alert.access_type
    # A console-made Customer filter (alerts.services.ENTITIES) is no entity of the wire's.
    shown = [f for f in alert.custom_field_filters if f["entity"] in WIRE_ENTITIES]
    if shown:
        data["custom_field_filters"] = shown
    if alert.alert_specifiers:
        data["alert_specifiers"] = alert.alert_specifiers
    if alert.credit_grant_type_filters:
        data["credit_grant_type_filters"] = alert.credit_grant_type_filters
    if alert.invoice_types_filter:
        data["invoice_types_filter"] = alert.invoice_types_filter
    group_values = alert.group_values
    if state is not None and state.group_values:
        group_values = [{"key": k, "value": v} for k, v in state.group_values.items()]
    if group_values and alert.seat_filter is not None:  # kept in group_values
        item = group_values[0]
        data["seat_filter"] = {"seat_group_key": item["key"]}
        if item.get("value") is not None:
            data["seat_filter"]["seat_group_value"] = item["value"]
    elif group_values:
        data["group_values"] = group_values
    return data


def customer_alert_to_wire(view: CustomerAlertView) -> dict[str, Any]:
    return {
        "alert": alert_to_wire(view.alert, view),
        "customer_status": view.status,
        "triggered_by": view.state.triggered_by or None if view.state is not None else None,
    }


def offset_notification_to_wire(notification: OffsetNotification) -> dict[str, Any]:
    return {
        "id": str(notification.public_id),
        "name": notification.name,
        "type": "OFFSET",
        "environment_type": "PRODUCTION",
        "created_at": iso(notification.created_at),
        "created_by": notification.created_by or "api",
        "archived_at": iso(notification.archived_at),
        "policy": {"type": notification.policy_type, "offset": notification.offset},
    }


def system_notification_to_wire(event_type: str, is_enabled: bool) -> dict[str, Any]:
    return {"type": "SYSTEM", "policy": {"type": event_type}, "is_enabled": is_enabled}
