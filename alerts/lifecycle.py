"""Lifecycle notifications: system events (contract.create, contract.end, ...) and offsets
around them ("7 days before a contract ends"), published through webhooks.

Time-based moments are found by the beat task: for each notification, the occurrences whose
moment plus offset falls in (processed_through, now] are published, then processed_through
moves to now, all in one transaction. Each occurrence's event key is (notification, object,
moment), so a task that runs twice publishes once. Write-based system events (a contract
created or edited, a commit or credit created) are published when the write commits.
"""

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from alerts.durations import Duration, parse_duration
from alerts.models import OffsetNotification, SystemNotification
from billing_console.api import ApplicationError
from billing_console.lib.failing import failing_record
from billing_console.lib.wire_values import iso
from billing_console.wire import Reader
from contracts.models import AccessSegment, Commit, CommitKind, Contract, ContractEdit

logger = logging.getLogger(__name__)
ENVIRONMENT_TYPE = "PRODUCTION"
COMMIT_KINDS = (CommitKind.PREPAID, CommitKind.POSTPAID)
# type -> what it is about; the order is the order system/list shows.
SYSTEM_TYPES = {
    "contract.create": "Triggers when a new contract is created",
    "contract.start": "Triggers when a contract starts",
    "contract.edit": "Triggers when a contract is edited",
    "contract.end": "Triggers when a contract ends",
    "commit.create": "Triggers when a new commit is created",
    "commit.segment.start": "Triggers when a commit segment starts",
    "commit.segment.end": "Triggers when a commit segment ends",
    "credit.create": "Triggers when a new credit is created",
    "credit.segment.start": "Triggers when a credit segment starts",
    "credit.segment.end": "Triggers when a credit segment ends (the credit expires)",
}
WRITE_TYPES = frozenset({"contract.create", "contract.edit", "commit.create", "credit.create"})
TIME_TYPES = frozenset(SYSTEM_TYPES) - WRITE_TYPES
ZERO = Duration(1, 0, 0, 0)

KEY_REUSED = "uniqueness_key: '{key}' was already used for another notification."
TYPE_UNKNOWN = "policy.type: '{value}' is not a lifecycle event type; use one of {choices}."
TYPE_MISMATCH = "policy.type: must stay '{current}' (the notification's event type)."


# --- payloads -------------------------------------------------------------------------------


def _customer_fields(customer: Any) -> dict[str, Any]:
    return {
        "customer_id": str(customer.public_id),
        "customer_custom_fields": customer.custom_fields,
    }


def contract_payload(contract: Contract, moment: datetime) -> dict[str, Any]:
    return {
        "timestamp": iso(moment),
        "environment_type": ENVIRONMENT_TYPE,
        "contract_id": str(contract.public_id),
        "contract_custom_fields": contract.custom_fields,
        **_customer_fields(contract.customer),
    }


def commit_payload(commit: Commit, moment: datetime) -> dict[str, Any]:
    data: dict[str, Any] = {
        "timestamp": iso(moment),
        "environment_type": ENVIRONMENT_TYPE,
        ("credit_id" if commit.is_credit else "commit_id"): str(commit.public_id),
        ("credit_custom_fields" if commit.is_credit else "commit_custom_fields"): (
            commit.custom_fields
        ),
        **_customer_fields(commit.customer),
    }
    if commit.contract is not None:
        data["contract_id"] = str(commit.contract.public_id)
        data["contract_custom_fields"] = commit.contract.custom_fields
    return data


def segment_payload(segment: AccessSegment, moment: datetime) -> dict[str, Any]:
    commit = segment.commit
    ordered = list(commit.segments.order_by("starting_at", "pk").values_list("pk", flat=True))
    return {
        **commit_payload(commit, moment),
        "segment_id": str(segment.public_id),
        "segment_number": ordered.index(segment.pk) + 1,
        "total_segments": len(ordered),
        "segment_starting_at": iso(segment.starting_at),
        "segment_ending_before": iso(segment.ending_before),
        "segment_amount": int(segment.amount)
        if segment.amount == segment.amount.to_integral_value()
        else float(segment.amount),
    }


# --- occurrences ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Occurrence:
    object_id: str  # public id of the contract, commit, edit or segment
    moment: datetime  # when the lifecycle event happens (the payload's timestamp)
    payload: dict[str, Any]


def _between(field: str, lo: datetime, hi: datetime) -> dict[str, datetime]:
    return {f"{field}__gte": lo, f"{field}__lte": hi}


def occurrences(event_type: str, lo: datetime, hi: datetime) -> Iterator[Occurrence]:
    """Lifecycle moments of `event_type` in [lo, hi] (callers filter the exact window)."""
    noun, _, rest = event_type.partition(".")
    if noun == "contract" and rest in ("start", "end", "create"):
        field = {"start": "starting_at", "end": "ending_before", "create": "created_at"}[rest]
        contracts = Contract.objects.filter(archived_at__isnull=True, **_between(field, lo, hi))
        for contract in contracts.select_related("customer"):
            moment = getattr(contract, field)
            yield Occurrence(str(contract.public_id), moment, contract_payload(contract, moment))
    elif event_type == "contract.edit":
        edits = ContractEdit.objects.filter(**_between("created_at", lo, hi))
        for edit in edits.select_related("contract__customer"):
            payload = {
                **contract_payload(edit.contract, edit.created_at),
                "edit_id": str(edit.public_id),
            }
            yield Occurrence(str(edit.public_id), edit.created_at, payload)
    elif rest == "create":
        kinds = (CommitKind.CREDIT,) if noun == "credit" else COMMIT_KINDS
        commits = Commit.objects.filter(kind__in=kinds, **_between("created_at", lo, hi))
        for commit in commits.select_related("customer", "contract"):
            yield Occurrence(
                str(commit.public_id), commit.created_at, commit_payload(commit, commit.created_at)
            )
    else:  # commit.segment.start|end, credit.segment.start|end
        kinds = (CommitKind.CREDIT,) if noun == "credit" else COMMIT_KINDS
        field = "starting_at" if rest.endswith("start") else "ending_before"
        segments = AccessSegment.objects.filter(
            commit__kind__in=kinds, commit__archived_at__isnull=True, **_between(field, lo, hi)
        ).select_related("commit__customer", "commit__contract")
        for segment in segments:
            moment = getattr(segment, field)
            yield Occurrence(str(segment.public_id), moment, segment_payload(segment, moment))


def _publish(event_type: str, payload: dict[str, Any], key: str) -> None:
    from webhooks.services import event_publish

    event_publish(event_type, payload, key=key)


def _publish_window(
    *, event_type: str, duration: Duration, lo: datetime, hi: datetime, key_prefix: str,
    extra: dict[str, Any],
) -> int:  # fmt: skip
    """Publish the occurrences whose moment + duration falls in (lo, hi]."""
    # moment = fire time - duration: a window of moments wide enough for calendar months
    # (28 to 31 days each) and a day of slack; the exact fire time is checked below.
    slack = timedelta(days=1)
    if duration.sign > 0:
        base_lo, base_hi = lo - duration.longest() - slack, hi
    else:
        base_lo, base_hi = lo, hi + duration.longest() + slack
    count = 0
    for occ in occurrences(event_type, base_lo, base_hi):
        if lo < duration.apply(occ.moment) <= hi:
            _publish(
                event_type,
                {**occ.payload, **extra},
                key=f"{key_prefix}:{occ.object_id}:{iso(occ.moment)}",
            )
            count += 1
    return count


@transaction.atomic
def offset_notification_process(*, notification_id: int, now: datetime) -> int:
    notification = OffsetNotification.objects.select_for_update().filter(pk=notification_id).first()
    if notification is None or notification.archived_at is not None:
        return 0
    if notification.processed_through >= now:
        return 0
    count = _publish_window(
        event_type=notification.policy_type,
        duration=parse_duration(notification.offset),
        lo=notification.processed_through,
        hi=now,
        key_prefix=f"lifecycle:{notification.public_id}",
        extra={"offset_id": str(notification.public_id), "offset_duration": notification.offset},
    )
    notification.processed_through, notification.error, notification.error_at = now, "", None
    notification.save(update_fields=["processed_through", "error", "error_at", "updated_at"])
    return count


@transaction.atomic
def system_notification_process(*, event_type: str, now: datetime) -> int:
    setting = SystemNotification.objects.select_for_update().filter(type=event_type).first()
    if setting is None or not setting.is_enabled or setting.processed_through is None:
        return 0
    if setting.processed_through >= now:
        return 0
    count = _publish_window(
        event_type=event_type, duration=ZERO, lo=setting.processed_through, hi=now,
        key_prefix=f"lifecycle:system:{event_type}", extra={},
    )  # fmt: skip
    setting.processed_through, setting.error, setting.error_at = now, "", None
    setting.save(update_fields=["processed_through", "error", "error_at", "updated_at"])
    return count


def notifications_due(*, now: datetime) -> int:
    """One pass of the beat task over every active offset and enabled time-based system event.
    Each is processed in its own transaction: one that fails is rolled back alone, its error
    recorded on it (the settings page shows it) and retried on the next pass, from where it
    stopped; the others go on."""
    count = 0
    for pk in OffsetNotification.objects.active().values_list("pk", flat=True):
        try:
            count += offset_notification_process(notification_id=pk, now=now)
        except Exception as error:
            _failed(OffsetNotification.objects.filter(pk=pk), error, now, f"offset {pk}")
    for event_type in SystemNotification.objects.filter(
        is_enabled=True, type__in=TIME_TYPES
    ).values_list("type", flat=True):
        try:
            count += system_notification_process(event_type=event_type, now=now)
        except Exception as error:
            _failed(SystemNotification.objects.filter(type=event_type), error, now, event_type)
    return count


def _failed(rows: QuerySet, error: Exception, now: datetime, which: str) -> None:
    """Recorded with when it first failed (kept while it goes on failing)."""
    logger.error("lifecycle notification %s failed", which, exc_info=error)
    failing_record(rows, f"{type(error).__name__}: {error}", now)


# --- write-based system events --------------------------------------------------------------


def system_enabled(event_type: str) -> bool:
    return SystemNotification.objects.filter(type=event_type, is_enabled=True).exists()


@transaction.atomic
def write_event_publish(*, event_type: str, object_id: int) -> bool:
    """Publish contract.create / contract.edit / commit.create / credit.create for one row."""
    if event_type not in WRITE_TYPES or not system_enabled(event_type):
        return False
    if event_type == "contract.edit":
        edit = (
            ContractEdit.objects.select_related("contract__customer").filter(pk=object_id).first()
        )
        if edit is None:
            return False
        public_id, moment = edit.public_id, edit.created_at
        payload = {**contract_payload(edit.contract, moment), "edit_id": str(public_id)}
    elif event_type == "contract.create":
        contract = Contract.objects.select_related("customer").filter(pk=object_id).first()
        if contract is None:
            return False
        public_id, moment = contract.public_id, contract.created_at
        payload = contract_payload(contract, moment)
    else:
        commit = Commit.objects.select_related("customer", "contract").filter(pk=object_id).first()
        if commit is None:
            return False
        public_id, moment = commit.public_id, commit.created_at
        payload = commit_payload(commit, moment)
    _publish(event_type, payload, key=f"lifecycle:system:{event_type}:{public_id}")
    return True


# --- settings: offsets and system toggles ---------------------------------------------------


def _policy(reader: Reader) -> tuple[str, str]:
    policy = reader.child("policy", required=True)
    event_type = policy.str("type", required=True, max_length=40)  # type: ignore[union-attr]
    if event_type not in SYSTEM_TYPES:
        raise ApplicationError(
            TYPE_UNKNOWN.format(value=event_type, choices=", ".join(SYSTEM_TYPES))
        )
    offset = policy.str("offset", required=True, max_length=64).strip()  # type: ignore[union-attr]
    try:
        parse_duration(offset)
    except ValueError as err:
        raise policy.fail("offset", str(err)) from None  # type: ignore[union-attr]
    return event_type, offset.upper()


@transaction.atomic
def offset_notification_create(*, data: dict[str, Any], created_by: str) -> OffsetNotification:
    reader = Reader(data)
    name = reader.str("name", required=True, max_length=200).strip()
    event_type, offset = _policy(reader)
    key = reader.str("uniqueness_key", max_length=128) or None
    if key and OffsetNotification.objects.filter(uniqueness_key=key).exists():
        raise ApplicationError(KEY_REUSED.format(key=key), "conflict")
    try:
        with transaction.atomic():
            return OffsetNotification.objects.create(
                name=name, policy_type=event_type, offset=offset, uniqueness_key=key,
                created_by=created_by[:200], processed_through=timezone.now(),
            )  # fmt: skip
    except IntegrityError:
        raise ApplicationError(KEY_REUSED.format(key=key), "conflict") from None


@transaction.atomic
def offset_notification_edit(
    *, notification: OffsetNotification, data: dict[str, Any]
) -> OffsetNotification:
    """Change the offset (and, from the console, the name). Occurrences already published stay
    published; the new offset applies to moments not yet reached."""
    notification = OffsetNotification.objects.select_for_update().get(pk=notification.pk)
    if notification.archived_at is not None:
        raise ApplicationError("id: the notification is archived.")
    reader = Reader(data)
    event_type, offset = _policy(reader)
    if event_type != notification.policy_type:
        raise ApplicationError(TYPE_MISMATCH.format(current=notification.policy_type))
    notification.offset = offset
    if reader.has("name"):
        notification.name = reader.str("name", required=True, max_length=200).strip()
    notification.save(update_fields=["offset", "name", "updated_at"])
    return notification


@transaction.atomic
def offset_notification_archive(*, notification: OffsetNotification) -> OffsetNotification:
    if notification.archived_at is None:
        notification.archived_at = timezone.now()
        notification.save(update_fields=["archived_at", "updated_at"])
    return notification


@transaction.atomic
def system_notification_set(*, event_type: str, is_enabled: bool) -> SystemNotification:
    """Turn a system event on or off. Time-based ones start from now: never retroactively."""
    if event_type not in SYSTEM_TYPES:
        raise ApplicationError(
            TYPE_UNKNOWN.format(value=event_type, choices=", ".join(SYSTEM_TYPES))
        )
    setting, _ = SystemNotification.objects.select_for_update().get_or_create(type=event_type)
    if setting.is_enabled != is_enabled:
        setting.is_enabled = is_enabled
        setting.processed_through = timezone.now() if is_enabled else None
        setting.save(update_fields=["is_enabled", "processed_through", "updated_at"])
    return setting


def system_notifications() -> list[tuple[str, str, bool]]:
    """(type, description, is_enabled) of every system event, in a stable order."""
    enabled = dict(SystemNotification.objects.values_list("type", "is_enabled"))
    return [(t, about, enabled.get(t, False)) for t, about in SYSTEM_TYPES.items()]


def system_notification_errors() -> dict[str, SystemNotification]:
    """The enabled system events whose last pass failed, by type (the settings page)."""
    return {s.type: s for s in SystemNotification.objects.filter(is_enabled=True).exclude(error="")}
