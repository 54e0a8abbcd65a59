"""What an alert measures for one customer now, and whether that is over its threshold.

- spend: usage-based charges (usage and composite lines, before commits and credits) of the
  current statements, optionally as if only the events of one group value had happened;
- usage: the billable metric over the customer's current billing period;
- balance: what remains on active prepaid commits and/or credits, with the live statements'
  drawdown applied (with a seat filter, on the seat's own);
- invoice total: the largest current invoice total (after commits and credits);
- credit grant balance / percentage: what remains on the customer's credit grants (Metronome
  1.0) in effect now, not voided, of the alert's credit type and credit_grant_type_filters,
  read like the balance alerts' commits (a grant is a customer-level commit or credit); the
  percentage is that remainder over what those grants granted, times 100.
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from alerts.models import LOW_TYPES, Alert, AlertType
from alerts.snapshot import CustomerSnapshot, metric_has_group_key
from contracts.models import Commit, CommitKind, Contract
from contracts.terms.balances import commit_credit_type_id
from contracts.terms.ledger import segment_sums
from invoicing.models import Invoice, InvoiceStatus, InvoiceType
from usage.selectors import metric_usage

SPEND_LINE_TYPES = frozenset({"USAGE", "COMPOSITE"})
BALANCE_KINDS = {
    AlertType.LOW_BALANCE: (CommitKind.PREPAID, CommitKind.CREDIT),
    AlertType.LOW_COMMIT_BALANCE: (CommitKind.PREPAID,),
    AlertType.LOW_CREDIT_BALANCE: (CommitKind.CREDIT,),
}
# Which commits a custom field filter's entity speaks of.
ENTITY_KINDS = {
    "Commit": (CommitKind.PREPAID, CommitKind.POSTPAID),
    "ContractCredit": (CommitKind.CREDIT,),
    "ContractCreditOrCommit": (CommitKind.PREPAID, CommitKind.POSTPAID, CommitKind.CREDIT),
}


@dataclass(frozen=True)
class Measurement:
    scope: str  # "" for the customer as a whole, else "key=value"
    group_values: dict[str, str]
    value: Decimal
    in_alarm: bool


def scope_of(group_values: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(group_values.items()))


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


# --- balance ----------------------------------------------------------------------------


def _filter_matches(commit: Commit, flt: dict[str, Any]) -> bool:
    """One custom field filter: on the commit's contract (entity Contract) or on the commit or
    credit itself. A filter without a value only asks that the key be set."""
    if flt["entity"] == "Contract":
        fields = commit.contract.custom_fields if commit.contract is not None else {}
    elif commit.kind in ENTITY_KINDS.get(flt["entity"], ()):
        fields = commit.custom_fields
    else:
        return False
    if flt.get("value") is None:
        return flt["key"] in fields
    return fields.get(flt["key"]) == flt["value"]


def _specifier_matches(commit: Commit, specifier: dict[str, Any]) -> bool:
    include = specifier.get("custom_field_filters") or []
    if not all(_filter_matches(commit, f) for f in include):
        return False
    return not any(
        all(_filter_matches(commit, f) for f in exclusion.get("custom_field_filters") or [])
        for exclusion in specifier.get("exclude") or []
    )


def _group_key(alert: Alert) -> tuple[str, str] | None:
    """(entity, key) of a specifier filter without a value: one balance per value of it."""
    for specifier in alert.alert_specifiers:
        for flt in specifier.get("custom_field_filters") or []:
            if flt.get("value") is None:
                return flt["entity"], flt["key"]
    return None


def _balance_commits(alert: Alert, snapshot: CustomerSnapshot) -> list[Commit]:
    credit_type_id = str(alert.credit_type.public_id)
    commits = (
        Commit.objects.filter(
            customer=snapshot.customer,
            archived_at__isnull=True,
            kind__in=BALANCE_KINDS[alert.alert_type],
        )
        .exclude(contract__archived_at__isnull=False)
        .select_related("contract__rate_card__fiat_credit_type", "invoice_contract__rate_card")
        .prefetch_related("segments")
    )
    chosen = []
    for commit in commits:
        if commit_credit_type_id(commit) != credit_type_id:
            continue
        if not all(_filter_matches(commit, f) for f in alert.custom_field_filters):
            continue
        if alert.alert_specifiers and not any(
            _specifier_matches(commit, s) for s in alert.alert_specifiers
        ):
            continue
        chosen.append(commit)
    return chosen


def commit_remaining(commit: Commit, snapshot: CustomerSnapshot) -> Decimal:
    """What remains on the commit's segments in force now, the live statements' drawdown
    applied (never below zero)."""
    sums = segment_sums(commit)
    pending = snapshot.pending_draws
    total = Decimal(0)
    for segment in commit.segments.all():
        if segment.starting_at <= snapshot.now < segment.ending_before:
            live = sums.get(segment.pk, Decimal(0)) + pending.get(segment.pk, Decimal(0))
            total += max(live, Decimal(0))
    return total


def _seat_balances(
    alert: Alert, snapshot: CustomerSnapshot, commits: list[Commit], key: str, seat: str | None
) -> list[Measurement]:
    """seat_filter: the balance of the seat's own commits and credits (pooled ones belong to
    no seat); with a key alone, one balance per seat of that key."""
    by_seat: dict[str, Decimal] = {seat: Decimal(0)} if seat is not None else {}
    for commit in commits:
        found = commit.seat
        if found is not None and found[0] == key and (seat is None or found[1] == seat):
            remaining = commit_remaining(commit, snapshot)
            by_seat[found[1]] = by_seat.get(found[1], Decimal(0)) + remaining
    return [
        Measurement(scope_of({key: v}), {key: v}, total, over_threshold(alert, total))
        for v, total in sorted(by_seat.items())
    ]


def measure_balance(alert: Alert, snapshot: CustomerSnapshot) -> list[Measurement]:
    commits = _balance_commits(alert, snapshot)
    if alert.seat_filter is not None:
        return _seat_balances(alert, snapshot, commits, *alert.seat_filter)
    grouping = _group_key(alert)
    if grouping is None:
        balance = sum((commit_remaining(c, snapshot) for c in commits), Decimal(0))
        return [Measurement("", {}, balance, over_threshold(alert, balance))]
    entity, key = grouping
    by_value: dict[str, Decimal] = {}
    for commit in commits:
        owner = commit.contract if entity == "Contract" else commit
        value = (owner.custom_fields if owner is not None else {}).get(key)
        if value is not None:
            by_value[value] = by_value.get(value, Decimal(0)) + commit_remaining(commit, snapshot)
    return [
        Measurement(scope_of({key: v}), {key: v}, total, over_threshold(alert, total))
        for v, total in sorted(by_value.items())
    ]


# --- credit grants (Metronome 1.0) -----------------------------------------------------


def _grant_commits(alert: Alert, snapshot: CustomerSnapshot) -> list[Commit]:
    """The commits of the customer's credit grants that count: in effect now (effective, not
    expired), not voided, granted in the alert's credit type, of a listed credit_grant_type
    (every type when the alert lists none). Read through the reverse relation of
    plans.CreditGrant's one-to-one commit, so alerts imports nothing of plans."""
    commits = Commit.objects.filter(
        customer=snapshot.customer,
        archived_at__isnull=True,
        credit_grant__isnull=False,
        credit_grant__voided_at__isnull=True,
        credit_grant__effective_at__lte=snapshot.now,
        credit_grant__expires_at__gt=snapshot.now,
        credit_grant__grant_credit_type_id=alert.credit_type_id,
    )
    if alert.credit_grant_type_filters:
        commits = commits.filter(
            credit_grant__credit_grant_type__in=alert.credit_grant_type_filters
        )
    return list(commits.select_related("credit_grant").prefetch_related("segments"))


def measure_grant_balance(alert: Alert, snapshot: CustomerSnapshot) -> list[Measurement]:
    balance = sum(
        (commit_remaining(c, snapshot) for c in _grant_commits(alert, snapshot)), Decimal(0)
    )
    return [Measurement("", {}, balance, over_threshold(alert, balance))]


def measure_grant_percentage(alert: Alert, snapshot: CustomerSnapshot) -> list[Measurement]:
    """Remaining over granted, in percent; no measurement when no grant counts (there is
    nothing to be a percentage of)."""
    commits = _grant_commits(alert, snapshot)
    granted = sum((c.credit_grant.grant_amount for c in commits), Decimal(0))
    if granted <= 0:
        return []
    remaining = sum((commit_remaining(c, snapshot) for c in commits), Decimal(0))
    percent = (remaining * 100 / granted).quantize(Decimal("0.0001"))
    return [Measurement("", {}, percent, over_threshold(alert, percent))]


MEASURES = {
    AlertType.SPEND: measure_spend,
    AlertType.USAGE: measure_usage,
    AlertType.INVOICE_TOTAL: measure_invoice_total,
    AlertType.LOW_BALANCE: measure_balance,
    AlertType.LOW_COMMIT_BALANCE: measure_balance,
    AlertType.LOW_CREDIT_BALANCE: measure_balance,
    AlertType.LOW_GRANT_BALANCE: measure_grant_balance,
    AlertType.LOW_GRANT_PERCENTAGE: measure_grant_percentage,
}


def measure(alert: Alert, snapshot: CustomerSnapshot) -> list[Measurement]:
    return MEASURES[alert.alert_type](alert, snapshot)


def over_threshold(alert: Alert, value: Decimal) -> bool:
    """Balances (and percentages remaining) alarm at or below the threshold; spend, usage and invoice totals at or above."""
    if alert.alert_type in LOW_TYPES:
        return value <= alert.threshold
    return value >= alert.threshold
