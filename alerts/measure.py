"""What an alert measures for one customer now, and whether that is over its threshold.

- spend: usage-based charges (usage and composite lines, before commits and credits) of the
  current statements, optionally as if only the events of one group value had happened;
- usage: the billable metric over the customer's current billing period;
- balance: what remains on active prepaid commits and/or credits, with the live statements'
  drawdown applied (with a seat filter, on the seat's own);
- percentage: that remainder over the access of the same commits' segments in force, times 100;
- days: the days until the soonest of those commits' (or credits') segments in force ends;
- invoice total: the largest current invoice total (after commits and credits);
- credit grant balance / percentage: what remains on the customer's credit grants (Metronome
  1.0) in effect now, not voided, of the alert's credit type and credit_grant_type_filters,
  read like the balance alerts' commits (a grant is a customer-level commit or credit); the
  percentage is that remainder over what those grants granted, times 100.
"""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from alerts.measure_commits import (
    measure_balance,
    measure_days_in_plan,
    measure_grant_balance,
    measure_grant_percentage,
)
from alerts.measurement import Measurement, over_threshold, scope_of
from alerts.models import Alert, AlertType
from alerts.snapshot import CustomerSnapshot, metric_has_group_key
from contracts.models import Contract
from invoicing.models import Invoice, InvoiceStatus, InvoiceType
from usage.selectors import metric_usage

SPEND_LINE_TYPES = frozenset({"USAGE", "COMPOSITE"})


def _fields_match(fields: dict[str, Any], filters: list[dict[str, Any]]) -> bool:
    return all(fields.get(f["key"]) == f["value"] for f in filters)


def alert_contracts(alert: Alert, snapshot: CustomerSnapshot) -> list[Contract]:
    """The contracts in force that the alert's Contract custom field filters select."""
    filters = [f for f in alert.custom_field_filters if f["entity"] == "Contract"]
    return [c for c in snapshot.contracts if _fields_match(c.custom_fields, filters)]


def _priced_contracts(alert: Alert, snapshot: CustomerSnapshot) -> list[Contract]:
    """Selected contracts denominated in the alert's credit type; for a custom pricing unit,
    every selected contract (its spend is the usage priced in that unit)."""
    selected = alert_contracts(alert, snapshot)
    if not alert.credit_type.is_fiat:
        return selected
    return [c for c in selected if snapshot.credit_type_ids[c.pk] == alert.credit_type_id]


def _custom_unit(alert: Alert) -> str | None:
    return None if alert.credit_type.is_fiat else str(alert.credit_type.public_id)


def _line_spend(line: Any, unit: str | None) -> Decimal:
    """A line's spend in the alert's unit: its total in fiat; in a custom pricing unit, the
    amount of usage priced in that unit (before conversion)."""
    if unit is None:
        return line.total
    if line.type == "USAGE" and line.explanation.get("credit_type_id") == unit:
        return Decimal(line.explanation["custom_amount"])
    return Decimal(0)


# --- spend ------------------------------------------------------------------------------


def _scoped_usage(wanted: dict[str, str]) -> Callable[..., dict]:
    """Usage as if only events whose properties match `wanted` had happened. A metric without
    each of those keys among its group keys contributes nothing (Metronome's rule)."""

    def usage(*, metric: Any, group_by: list[str] | None = None, **window: Any) -> dict:
        if not all(metric_has_group_key(metric, key) for key in wanted):
            return {}
        keys = list(group_by or [])
        extra = [key for key in wanted if key not in keys]
        rows = metric_usage(metric=metric, group_by=[*keys, *extra], **window)
        positions = {key: [*keys, *extra].index(key) for key in wanted}
        return {
            group[: len(keys)]: quantity
            for group, quantity in rows.items()
            if all(group[positions[key]] == value for key, value in wanted.items())
        }

    return usage


def _spend(
    snapshot: CustomerSnapshot, contracts: list[Contract], usage=None, unit: str | None = None
) -> Decimal:
    total = Decimal(0)
    for contract in contracts:
        statement = snapshot.statement(contract, usage)
        if statement is None:
            continue
        total += sum(
            (_line_spend(line, unit) for line in statement.lines if line.type in SPEND_LINE_TYPES),
            Decimal(0),
        )
    return total


def measure_spend(alert: Alert, snapshot: CustomerSnapshot) -> list[Measurement]:
    contracts = _priced_contracts(alert, snapshot)
    fixed = alert.fixed_group_values
    per_value = alert.per_value_key
    if per_value is None:
        spend = _spend(
            snapshot, contracts, _scoped_usage(fixed) if fixed else None, _custom_unit(alert)
        )
        return [Measurement(scope_of(fixed), fixed, spend, over_threshold(alert, spend))]
    for contract in contracts:
        snapshot.statement(contract)  # computes the statements, recording the key's values
    out = []
    for value in sorted(snapshot.seen_values.get(per_value, set())):
        scoped = {**fixed, per_value: value}
        spend = _spend(snapshot, contracts, _scoped_usage(scoped), _custom_unit(alert))
        out.append(Measurement(scope_of(scoped), scoped, spend, over_threshold(alert, spend)))
    return out


# --- usage ------------------------------------------------------------------------------


def measure_usage(alert: Alert, snapshot: CustomerSnapshot) -> list[Measurement]:
    window = snapshot.usage_window(alert_contracts(alert, snapshot))
    total = Decimal(0)
    if window is not None and alert.billable_metric is not None:
        rows = metric_usage(
            metric=alert.billable_metric,
            customer=snapshot.customer,
            starting_at=window.start,
            ending_before=window.end,
        )
        total = sum(rows.values(), Decimal(0))
    return [Measurement("", {}, total, over_threshold(alert, total))]


# --- invoice total ----------------------------------------------------------------------


def measure_invoice_total(alert: Alert, snapshot: CustomerSnapshot) -> list[Measurement]:
    types = {t.upper() for t in alert.invoice_types_filter}
    totals = [Decimal(0)]
    for contract in _priced_contracts(alert, snapshot):
        statement = snapshot.statement(contract)
        if statement is None:
            continue
        if not types or InvoiceType.USAGE in types:
            totals.append(sum((line.total for line in statement.lines), Decimal(0)))
        if not types or InvoiceType.SCHEDULED in types:
            scheduled = Invoice.objects.filter(
                contract=contract,
                type=InvoiceType.SCHEDULED,
                period_start__gte=statement.period.start,
                period_start__lt=statement.period.end,
            ).exclude(status=InvoiceStatus.VOID)
            totals.extend(invoice.total for invoice in scheduled)
    largest = max(totals)
    return [Measurement("", {}, largest, over_threshold(alert, largest))]


MEASURES = {
    AlertType.SPEND: measure_spend,
    AlertType.USAGE: measure_usage,
    AlertType.INVOICE_TOTAL: measure_invoice_total,
    AlertType.LOW_BALANCE: measure_balance,
    AlertType.LOW_COMMIT_BALANCE: measure_balance,
    AlertType.LOW_CREDIT_BALANCE: measure_balance,
    AlertType.LOW_SEAT_BALANCE: measure_balance,
    AlertType.LOW_PERCENTAGE: measure_balance,
    AlertType.LOW_COMMIT_PERCENTAGE: measure_balance,
    AlertType.LOW_CREDIT_PERCENTAGE: measure_balance,
    AlertType.LOW_COMMIT_DAYS: measure_balance,
    AlertType.LOW_CREDIT_DAYS: measure_balance,
    AlertType.LOW_GRANT_BALANCE: measure_grant_balance,
    AlertType.LOW_GRANT_PERCENTAGE: measure_grant_percentage,
    AlertType.LOW_DAYS_IN_PLAN: measure_days_in_plan,
}


def measure(alert: Alert, snapshot: CustomerSnapshot) -> list[Measurement]:
    return MEASURES[alert.alert_type](alert, snapshot)
