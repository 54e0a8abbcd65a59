"""Pushing one SyncRecord: claim it, read the entity as it is now, upsert it, record the outcome.

At-least-once, like webhook deliveries (webhooks/delivery.py): a record is claimed by pushing
`next_attempt_at` out by a lease (row locked, short transaction) before Salesforce is called, and
only the outcome moves it on; a worker that dies mid-call leaves it due again for the sweep.
Retrying is harmless: the upsert is keyed by our id in the object's external id field. Faults
that may pass (HTTP 5xx, network, expired session) back off base x 2^(n-1), capped, up to
SALESFORCE_MAX_ATTEMPTS; a refusal (HTTP 400/403/404, wrong credentials) is not retried, and
only the console's retry button tries again.
"""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from contracts.models import Commit, Contract
from crm.models import (
    OPEN_STATUSES,
    EntityKind,
    SalesforceConnection,
    SalesforceMapping,
    SyncRecord,
    SyncStatus,
)
from crm.salesforce.client import UpsertResult, upsert
from crm.salesforce.fields import VALUES, record_body
from invoicing.models import Invoice
from webhooks.models import OutboundEvent

logger = logging.getLogger(__name__)
NOT_CONNECTED = "Salesforce is not connected (or the connection is turned off)."
NOT_MAPPED = "No enabled Salesforce mapping for {kind}s: set one in Settings → Salesforce."
GONE = "The {kind} no longer exists."

_LOADERS = {
    EntityKind.CONTRACT: lambda pk: (
        Contract.objects.select_related("customer", "rate_card__fiat_credit_type")
        .filter(pk=pk)
        .first()
    ),
    EntityKind.COMMIT: lambda pk: (
        Commit.objects.select_related("customer", "contract", "product", "access_credit_type")
        .filter(pk=pk)
        .first()
    ),
    EntityKind.INVOICE: lambda pk: (
        Invoice.objects.select_related("customer", "contract", "credit_type").filter(pk=pk).first()
    ),
    EntityKind.LIFECYCLE_EVENT: lambda pk: OutboundEvent.objects.filter(pk=pk).first(),
}


def backoff_seconds(failed_attempts: int) -> float:
    """Delay after the n-th failed attempt of a schedule: base, 2 x base, 4 x base, ... capped."""
    base = settings.SALESFORCE_RETRY_BASE_SECONDS
    delay = base * 2 ** max(failed_attempts - 1, 0)
    return float(min(delay, settings.SALESFORCE_RETRY_MAX_SECONDS))


def _claim(record_id: int, now: datetime) -> SyncRecord | None:
    with transaction.atomic():
        record = SyncRecord.objects.select_for_update().filter(pk=record_id).first()
        if record is None or record.status not in OPEN_STATUSES:
            return None
        if record.next_attempt_at is None or record.next_attempt_at > now:
            return None
        lease = timedelta(seconds=settings.SALESFORCE_TIMEOUT_SECONDS * 3 + 60)
        record.next_attempt_at = now + lease
        record.save(update_fields=["next_attempt_at", "updated_at"])
        return record


def _attempt(record: SyncRecord) -> tuple[UpsertResult, str]:
    """The outcome, and the Salesforce object it was pushed to."""
    connection = SalesforceConnection.objects.filter(is_enabled=True).first()
    if connection is None:
        return UpsertResult(False, error=NOT_CONNECTED), ""
    mapping = SalesforceMapping.objects.filter(kind=record.kind, is_enabled=True).first()
    if mapping is None:
        return UpsertResult(False, error=NOT_MAPPED.format(kind=record.kind)), ""
    entity = _LOADERS[record.kind](record.object_pk)
    if entity is None:
        return UpsertResult(False, error=GONE.format(kind=record.kind)), mapping.sobject
    body = record_body(VALUES[record.kind](entity), mapping.field_map)
    account_id = _account_id(record, entity)
    if mapping.account_field and account_id:
        body[mapping.account_field] = account_id
    result = upsert(
        connection, sobject=mapping.sobject, external_id_field=mapping.external_id_field,
        external_id=record.object_id, body=body,
    )  # fmt: skip
    return result, mapping.sobject


def _account_id(record: SyncRecord, entity: object) -> str:
    """The customer's salesforce_account_id: the Account the record is linked to."""
    customer = getattr(entity, "customer", None) or record.customer
    return getattr(customer, "salesforce_account_id", "") if customer is not None else ""


def _record(record_id: int, at: datetime, result: UpsertResult, sobject: str) -> float | None:
    """Store the outcome; the retry delay if another attempt is scheduled."""
    with transaction.atomic():
        record = SyncRecord.objects.select_for_update().get(pk=record_id)
        record.attempt_count += 1
        record.last_attempt_at = at
        record.sobject = sobject or record.sobject
        delay = None
        if result.ok and record.requested_at > at:
            # Changed again while this attempt was in flight: push the newer state too.
            record.status = SyncStatus.PENDING
            record.salesforce_id = result.salesforce_id or record.salesforce_id
            record.last_error = ""
            record.next_attempt_at = timezone.now()
            delay = 0.0
        elif result.ok:
            record.status = SyncStatus.SUCCEEDED
            record.salesforce_id = result.salesforce_id or record.salesforce_id
            record.last_error = ""
            record.next_attempt_at = None
        elif (
            not result.retry
            or record.attempt_count - record.schedule_base >= settings.SALESFORCE_MAX_ATTEMPTS
        ):
            record.status = SyncStatus.EXHAUSTED
            record.last_error = result.error
            record.next_attempt_at = None
        else:
            delay = backoff_seconds(record.attempt_count - record.schedule_base)
            record.status = SyncStatus.FAILED
            record.last_error = result.error
            record.next_attempt_at = timezone.now() + timedelta(seconds=delay)
        record.save()
        return delay


def sync_record_push(
    *, record_id: int, retry_in: Callable[[int, int], None] | None = None
) -> bool | None:
    """One attempt if the record is due. True/False: its outcome; None: nothing was due.
    A failure to retry calls `retry_in(record_id, seconds)` (crm.tasks schedules the task)."""
    now = timezone.now()
    record = _claim(record_id, now)
    if record is None:
        return None
    try:
        result, sobject = _attempt(record)
    except Exception as err:  # recorded and retried with backoff like a fault, never lost
        logger.exception("Salesforce push %s failed", record_id)
        result, sobject = (
            UpsertResult(False, error=f"{type(err).__name__}: {err}"[:1000], retry=True),
            "",
        )
    delay = _record(record_id, now, result, sobject)
    if delay is not None and retry_in is not None:
        retry_in(record_id, delay)  # exact-time retry; the sweep is the safety net
    return result.ok


def sync_records_due_ids(*, now: datetime, limit: int = 500) -> list[int]:
    return list(
        SyncRecord.objects.filter(status__in=OPEN_STATUSES, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
