"""Evaluating a customer's alerts: measure, move each state, and notify only on a change.

States: evaluating (new, or just reset) -> ok | in_alarm. Entering in_alarm publishes
`alerts.<alert_type>`; a balance (or credit grant) alert leaving in_alarm publishes `alerts.<alert_type>.resolved`.
Each state change bumps the state's version, and the version is part of the event key, so an
evaluation that runs twice (a redelivered task, two workers) publishes once.
"""

import hashlib
import logging
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from alerts.measure import measure
from alerts.measure_commits import on_plan
from alerts.measurement import Measurement, over_threshold
from alerts.models import LOW_TYPES, Alert, AlertStatus, AlertType, CustomerAlert
from alerts.snapshot import CustomerSnapshot
from customers.models import Customer
from usage.selectors import metric_failure_record
from usage.sql import SqlMetricFailed

logger = logging.getLogger(__name__)

ALARM, RESOLVED = "alarm", "resolved"
VALUE_FIELD = {
    AlertType.SPEND: "spend",
    AlertType.USAGE: "usage",
    AlertType.INVOICE_TOTAL: "invoice_total",
    AlertType.LOW_BALANCE: "remaining_balance",
    AlertType.LOW_COMMIT_BALANCE: "remaining_balance",
    AlertType.LOW_CREDIT_BALANCE: "remaining_balance",
    AlertType.LOW_GRANT_BALANCE: "remaining_balance",
    AlertType.LOW_GRANT_PERCENTAGE: "remaining_percentage",
    AlertType.LOW_SEAT_BALANCE: "remaining_balance",
    AlertType.LOW_PERCENTAGE: "remaining_percentage",
    AlertType.LOW_COMMIT_PERCENTAGE: "remaining_percentage",
    AlertType.LOW_CREDIT_PERCENTAGE: "remaining_percentage",
    AlertType.LOW_COMMIT_DAYS: "remaining_days",
    AlertType.LOW_CREDIT_DAYS: "remaining_days",
    AlertType.LOW_DAYS_IN_PLAN: "remaining_days",
}


def transition(status: str, in_alarm: bool, *, resolves: bool) -> tuple[str, str | None]:
    """The next status and the notification to send (ALARM, RESOLVED or None)."""
    new = AlertStatus.IN_ALARM if in_alarm else AlertStatus.OK
    if new == status:
        return status, None
    if new == AlertStatus.IN_ALARM:
        return new, ALARM
    return new, RESOLVED if status == AlertStatus.IN_ALARM and resolves else None


def customer_matches(alert: Alert, customer: Customer) -> bool:
    """Scope of an alert: one customer, or every customer (optionally only those whose custom
    fields match the alert's Customer filters); with a plan, only customers on it now."""
    if customer.archived_at is not None:
        return False
    if alert.customer_id is not None and alert.customer_id != customer.pk:
        return False
    if alert.plan_id is not None and not on_plan(customer, alert.plan_id, timezone.now()):
        return False
    return all(
        customer.custom_fields.get(f["key"]) == f["value"]
        for f in alert.custom_field_filters
        if f["entity"] == "Customer"
    )


def alerts_for_customer(customer: Customer, alert_ids: Iterable[int] | None = None) -> list[Alert]:
    qs = Alert.objects.active().filter(Q(customer__isnull=True) | Q(customer=customer))
    if alert_ids is not None:
        qs = qs.filter(pk__in=list(alert_ids))
    qs = qs.select_related("credit_type", "billable_metric")
    return [alert for alert in qs if customer_matches(alert, customer)]


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _number(value: Decimal) -> int | float:
    normalized = value.normalize()
    return int(normalized) if normalized == normalized.to_integral_value() else float(normalized)


def notification_payload(alert: Alert, state: CustomerAlert, now: datetime) -> dict[str, Any]:
    """The event's data, Metronome's threshold-notification properties."""
    data: dict[str, Any] = {
        "customer_id": str(state.customer.public_id),
        "alert_id": str(alert.public_id),
        "alert_name": alert.name,
        "alert_type": alert.alert_type,
        "status": state.status,
        "timestamp": _iso(now),
        "threshold": _number(alert.threshold),
        "triggered_by": state.triggered_by,
        VALUE_FIELD[alert.alert_type]: _number(state.value or Decimal(0)),
    }
    if alert.credit_type_id:
        data["credit_type_id"] = str(alert.credit_type.public_id)
    if alert.billable_metric_id:
        data["billable_metric_id"] = str(alert.billable_metric.public_id)
    if state.group_values:
        data["group_values"] = [{"key": k, "value": v} for k, v in state.group_values.items()]
    return data


def _publish(alert: Alert, state: CustomerAlert, notice: str, now: datetime) -> None:
    from webhooks.services import event_publish

    event_type = f"alerts.{alert.alert_type}" + (".resolved" if notice == RESOLVED else "")
    event_publish(
        event_type,
        notification_payload(alert, state, now),
        key=f"alerts:{state.public_id}:{state.version}",
    )


@transaction.atomic
def _state_apply(
    alert: Alert, customer: Customer, m: Measurement, *, now: datetime, triggered_by: str
) -> bool:
    """Record one measurement; True when the state changed."""
    state, _ = CustomerAlert.objects.select_for_update().get_or_create(
        alert=alert, customer=customer, scope=m.scope, defaults={"group_values": m.group_values}
    )
    if state.evaluated_at is not None and state.evaluated_at > now:
        return False  # a later evaluation already recorded newer data
    status, notice = transition(state.status, m.in_alarm, resolves=alert.alert_type in LOW_TYPES)
    state.value, state.evaluated_at = m.value, now
    fields = ["value", "evaluated_at", "updated_at"]
    changed = status != state.status
    if changed:
        state.status, state.version, state.status_changed_at = status, state.version + 1, now
        fields += ["status", "version", "status_changed_at"]
        if status == AlertStatus.IN_ALARM:
            state.triggered_by = triggered_by
            fields.append("triggered_by")
    state.save(update_fields=fields)
    if notice is not None:
        state.customer = customer
        _publish(alert, state, notice, now)
    return changed


def _alert_apply(
    alert: Alert,
    customer: Customer,
    measurements: list[Measurement],
    *,
    now: datetime,
    triggered_by: str,
) -> int:
    changed = 0
    for m in measurements:
        changed += _state_apply(alert, customer, m, now=now, triggered_by=triggered_by)
    # A group value seen before but absent now (e.g. a new billing period) measures zero.
    seen = {m.scope for m in measurements}
    stale = CustomerAlert.objects.filter(alert=alert, customer=customer).exclude(scope="")
    for state in stale.exclude(scope__in=seen):
        zero = Measurement(
            state.scope, state.group_values, Decimal(0), over_threshold(alert, Decimal(0))
        )
        changed += _state_apply(alert, customer, zero, now=now, triggered_by=triggered_by)
    return changed


def customer_alerts_evaluate(
    *,
    customer: Customer,
    triggered_by: str,
    now: datetime | None = None,
    alert_ids: Iterable[int] | None = None,
    existing_only: bool = False,
) -> int:
    """Evaluate the customer's alerts (or those of `alert_ids`); returns how many states
    changed. `existing_only` (the periodic sweep) skips alerts created with
    evaluate_on_create=false that have no state for this customer yet: those start evaluating
    on the customer's next change, never retroactively."""
    now = now or timezone.now()
    alerts = alerts_for_customer(customer, alert_ids)
    if existing_only:
        known = set(
            CustomerAlert.objects.filter(customer=customer).values_list("alert_id", flat=True)
        )
        alerts = [a for a in alerts if a.evaluate_on_create or a.pk in known]
    if not alerts:
        return 0
    keys = {key for a in alerts if (key := a.per_value_key)}
    try:
        snapshot = CustomerSnapshot(customer, now, keys)
    except Exception as error:  # nothing of the customer can be measured: each alert says so
        for alert in alerts:
            _evaluation_failed(alert, customer, error, now)
        return 0
    changed = 0
    for alert in alerts:
        try:  # one alert that cannot be measured (a failing SQL metric) leaves the others
            measurements = measure(alert, snapshot)
            with transaction.atomic():  # nor can one whose state cannot be written
                applied = _alert_apply(
                    alert, customer, measurements, now=now, triggered_by=triggered_by
                )
        except Exception as error:
            _evaluation_failed(alert, customer, error, now)
            continue
        changed += applied
        CustomerAlert.objects.filter(alert=alert, customer=customer).exclude(error="").update(
            error="", error_at=None
        )
    return changed


def _evaluation_failed(alert: Alert, customer: Customer, error: Exception, now: datetime) -> None:
    """Recorded on the customer's state of the alert (shown in the console), on the SQL metric
    that failed, and published once per distinct failure (`alerts.evaluation_failed`)."""
    from webhooks.services import event_publish

    if isinstance(error, SqlMetricFailed):
        metric_failure_record(error)
        message = error.message
    else:
        logger.exception(
            "alert evaluation failed: alert %s, customer %s", alert.public_id, customer.public_id
        )
        message = f"internal error ({type(error).__name__}); details are in the server log."
    digest = hashlib.sha256(message.encode()).hexdigest()[:16]
    with transaction.atomic():
        state, _ = CustomerAlert.objects.get_or_create(alert=alert, customer=customer, scope="")
        if state.error == message:
            return
        CustomerAlert.objects.filter(pk=state.pk).update(error=message, error_at=now)
        event_publish(
            "alerts.evaluation_failed",
            {"alert_id": str(alert.public_id), "customer_id": str(customer.public_id),
             "error": message, "failed_at": now.isoformat()},
            key=f"alerts.evaluation_failed:{state.public_id}:{digest}",
        )  # fmt: skip


def customers_evaluate(
    customer_ids: Iterable[int],
    *,
    triggered_by: str,
    alert_ids: Iterable[int] | None = None,
    existing_only: bool = False,
) -> int:
    """Evaluate several customers; one failing customer is logged and does not stop the rest."""
    ids = sorted(set(customer_ids))
    alert_list = list(alert_ids) if alert_ids is not None else None
    changed = 0
    for customer in Customer.objects.filter(pk__in=ids, archived_at__isnull=True):
        try:
            changed += customer_alerts_evaluate(
                customer=customer,
                triggered_by=triggered_by,
                alert_ids=alert_list,
                existing_only=existing_only,
            )
        except Exception:
            logger.exception("alert evaluation failed for customer %s", customer.public_id)
    return changed
