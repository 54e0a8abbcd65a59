"""What alerts on the contracts' commits and credits measure: the balance that remains (with
the live statements' drawdown applied), that remainder as a percentage of the access in force,
and the days until the soonest segment in force ends; and the credit grants' (Metronome 1.0)
balance and percentage, a grant being a customer-level commit or credit; and the days left in
the customer's plan (Metronome 1.0) and whether a customer is on a plan (an alert's plan_id)."""

from decimal import Decimal
from typing import Any

from django.db.models import Q

from alerts.measurement import Measurement, over_threshold, scope_of
from alerts.models import DAYS_TYPES, PERCENT_TYPES, Alert, AlertType
from alerts.snapshot import CustomerSnapshot
from contracts.models import Commit, CommitKind, Contract
from contracts.terms.balances import commit_credit_type_id
from contracts.terms.ledger import segment_sums

BALANCE_KINDS = {
    AlertType.LOW_BALANCE: (CommitKind.PREPAID, CommitKind.CREDIT),
    AlertType.LOW_COMMIT_BALANCE: (CommitKind.PREPAID,),
    AlertType.LOW_CREDIT_BALANCE: (CommitKind.CREDIT,),
    AlertType.LOW_SEAT_BALANCE: (CommitKind.PREPAID, CommitKind.CREDIT),
    AlertType.LOW_PERCENTAGE: (CommitKind.PREPAID, CommitKind.CREDIT),
    AlertType.LOW_COMMIT_PERCENTAGE: (CommitKind.PREPAID,),
    AlertType.LOW_CREDIT_PERCENTAGE: (CommitKind.CREDIT,),
    AlertType.LOW_COMMIT_DAYS: (CommitKind.PREPAID,),
    AlertType.LOW_CREDIT_DAYS: (CommitKind.CREDIT,),
}
DAY = Decimal(86400)
# Which commits a custom field filter's entity speaks of.
ENTITY_KINDS = {
    "Commit": (CommitKind.PREPAID, CommitKind.POSTPAID),
    "ContractCredit": (CommitKind.CREDIT,),
    "ContractCreditOrCommit": (CommitKind.PREPAID, CommitKind.POSTPAID, CommitKind.CREDIT),
}


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


def _in_force(commit: Commit, now: Any) -> list[Any]:
    return [s for s in commit.segments.all() if s.starting_at <= now < s.ending_before]


def _commit_groups(alert: Alert, commits: list[Commit]) -> list[tuple[dict, list[Commit]]]:
    """The commits each measurement reads: with a seat filter, each seat's own (pooled ones
    belong to no seat; one seat named is measured even when it holds none); with a specifier
    filter without a value, one group per value; else all of them together."""
    groups: dict[str, list[Commit]] = {}
    if alert.seat_filter is not None:
        key, seat = alert.seat_filter
        if seat is not None:
            groups[seat] = []
        for commit in commits:
            found = commit.seat
            if found is not None and found[0] == key and (seat is None or found[1] == seat):
                groups.setdefault(found[1], []).append(commit)
        return [({key: v}, chosen) for v, chosen in sorted(groups.items())]
    grouping = _group_key(alert)
    if grouping is None:
        return [({}, commits)]
    entity, key = grouping
    for commit in commits:
        owner = commit.contract if entity == "Contract" else commit
        value = (owner.custom_fields if owner is not None else {}).get(key)
        if value is not None:
            groups.setdefault(value, []).append(commit)
    return [({key: v}, chosen) for v, chosen in sorted(groups.items())]


def _balance(commits: list[Commit], snapshot: CustomerSnapshot) -> Decimal | None:
    return sum((commit_remaining(c, snapshot) for c in commits), Decimal(0))


def _percentage(commits: list[Commit], snapshot: CustomerSnapshot) -> Decimal | None:
    """Remaining over the access of the segments in force, in percent; None (no measurement)
    when nothing is in force: there is nothing to be a percentage of."""
    access = sum((s.amount for c in commits for s in _in_force(c, snapshot.now)), Decimal(0))
    if access <= 0:
        return None
    return (_balance(commits, snapshot) * 100 / access).quantize(Decimal("0.0001"))


def _days_left(commits: list[Commit], snapshot: CustomerSnapshot) -> Decimal | None:
    """Days (to the hundredth) until the soonest segment in force ends; None when none is."""
    ends = [s.ending_before for c in commits for s in _in_force(c, snapshot.now)]
    if not ends:
        return None
    seconds = Decimal((min(ends) - snapshot.now).total_seconds())
    return (seconds / DAY).quantize(Decimal("0.01"))


def measure_balance(alert: Alert, snapshot: CustomerSnapshot) -> list[Measurement]:
    """Balance, percentage and days alerts on the contracts' commits and credits."""
    if alert.alert_type in PERCENT_TYPES:
        value_of = _percentage
    elif alert.alert_type in DAYS_TYPES:
        value_of = _days_left
    else:
        value_of = _balance
    measurements = []
    for group_values, commits in _commit_groups(alert, _balance_commits(alert, snapshot)):
        value = value_of(commits, snapshot)
        if value is not None:
            scope = scope_of(group_values)
            measurements.append(
                Measurement(scope, group_values, value, over_threshold(alert, value))
            )
    return measurements


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


# --- plans (Metronome 1.0) ----------------------------------------------------------------


def _plans_in_force(customer: Any, now: Any) -> Any:
    """The customer's plan-backed contracts whose customer plan is in force at `now`, read
    through the reverse relation of plans.CustomerPlan (alerts imports nothing of plans)."""
    return Contract.objects.filter(
        customer=customer,
        archived_at__isnull=True,
        customer_plan__isnull=False,
        customer_plan__starting_on__lte=now,
    ).filter(Q(customer_plan__ending_before__isnull=True) | Q(customer_plan__ending_before__gt=now))


def on_plan(customer: Any, plan_id: int, now: Any) -> bool:
    return _plans_in_force(customer, now).filter(customer_plan__plan_id=plan_id).exists()


def measure_days_in_plan(alert: Alert, snapshot: CustomerSnapshot) -> list[Measurement]:
    """Days (to the hundredth) until the soonest of the customer's plans in force ends (the
    alert's plan only, when it names one); no measurement when none has an end."""
    plans = _plans_in_force(snapshot.customer, snapshot.now)
    if alert.plan_id is not None:
        plans = plans.filter(customer_plan__plan_id=alert.plan_id)
    ends = [e for e in plans.values_list("customer_plan__ending_before", flat=True) if e]
    if not ends:
        return []
    days = (Decimal((min(ends) - snapshot.now).total_seconds()) / DAY).quantize(Decimal("0.01"))
    return [Measurement("", {}, days, over_threshold(alert, days))]
