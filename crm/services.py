"""Writes of the Salesforce sync: the connection, the mappings, and sync requests and retries."""

import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from billing_console.api import ApplicationError
from billing_console.encryption import encrypt_secret
from crm.models import (
    OPEN_STATUSES,
    AuthMethod,
    EntityKind,
    SalesforceConnection,
    SalesforceMapping,
    SyncRecord,
    SyncStatus,
)
from crm.salesforce.client import SALESFORCE_SUFFIX, login_domain
from crm.salesforce.fields import API_NAME, SOURCE_FIELDS, is_source_field

logger = logging.getLogger(__name__)

INSTANCE_URL_INVALID = (
    "instance_url: enter your org's https address, e.g. https://acme.my.salesforce.com."
)
MY_DOMAIN_REQUIRED = (
    "instance_url: the client credentials flow signs in at your org's My Domain address "
    "(https://<name>.my.salesforce.com), not login or test."
)
API_VERSION_INVALID = "api_version: enter a Salesforce API version such as 62.0."
SECRET_REQUIRED = "{field}: required for this sign-in method."
API_NAME_INVALID = "{field}: '{value}' is not a Salesforce API name (letters, digits, _)."
SOURCE_FIELD_UNKNOWN = "field_map: '{value}' is not a field of {kind}s; use one of {choices}."
TARGET_REPEATED = "field_map: the Salesforce field '{value}' is mapped twice."


def _secret(new: str, current: str, field: str) -> str:
    """A secret typed now replaces the stored one; left blank, the stored one is kept."""
    if new:
        return encrypt_secret(new)
    if not current:
        raise ApplicationError(SECRET_REQUIRED.format(field=field))
    return current


@transaction.atomic
def connection_save(
    *, instance_url: str, auth_method: str, username: str = "", password: str = "",
    security_token: str = "", consumer_key: str = "", consumer_secret: str = "",
    api_version: str = "62.0", is_enabled: bool = True,
) -> SalesforceConnection:  # fmt: skip
    """Create or change the one connection. Blank secrets keep the stored ones."""
    url = instance_url.strip().rstrip("/")
    domain = login_domain(url)
    if not url.startswith("https://") or not url.lower().endswith(SALESFORCE_SUFFIX) or not domain:
        raise ApplicationError(INSTANCE_URL_INVALID)
    if auth_method not in AuthMethod.values:
        raise ApplicationError(f"auth_method: use one of {', '.join(AuthMethod.values)}.")
    if auth_method == AuthMethod.CLIENT_CREDENTIALS and domain in ("login", "test"):
        raise ApplicationError(MY_DOMAIN_REQUIRED)
    parts = api_version.strip().split(".")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise ApplicationError(API_VERSION_INVALID)
    connection = SalesforceConnection.objects.select_for_update().first() or SalesforceConnection()
    connection.instance_url = url
    connection.auth_method = auth_method
    connection.api_version = api_version.strip()
    connection.is_enabled = is_enabled
    if auth_method == AuthMethod.PASSWORD:
        if not username.strip():
            raise ApplicationError(SECRET_REQUIRED.format(field="username"))
        connection.username = username.strip()
        connection.password_encrypted = _secret(password, connection.password_encrypted, "password")
        if security_token:  # optional: orgs that trust the caller's IP need none
            connection.security_token_encrypted = encrypt_secret(security_token)
    else:
        if not consumer_key.strip():
            raise ApplicationError(SECRET_REQUIRED.format(field="consumer_key"))
        connection.consumer_key = consumer_key.strip()
        connection.consumer_secret_encrypted = _secret(
            consumer_secret, connection.consumer_secret_encrypted, "consumer_secret"
        )
    connection.save()
    return connection


def _api_name(field: str, value: str) -> str:
    value = value.strip()
    if not API_NAME.match(value):
        raise ApplicationError(API_NAME_INVALID.format(field=field, value=value))
    return value


def field_map_clean(kind: str, field_map: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for source, target in field_map.items():
        source = str(source).strip()
        if not is_source_field(kind, source):
            choices = ", ".join(SOURCE_FIELDS[kind])
            if kind in (EntityKind.CONTRACT, EntityKind.COMMIT):
                choices += " or custom_fields.<key>"
            raise ApplicationError(
                SOURCE_FIELD_UNKNOWN.format(value=source, kind=kind, choices=choices)
            )
        target = _api_name("field_map", str(target))
        if target in out.values():
            raise ApplicationError(TARGET_REPEATED.format(value=target))
        out[source] = target
    return out


@transaction.atomic
def mapping_save(
    *, kind: str, sobject: str, external_id_field: str, field_map: dict[str, Any],
    account_field: str = "", is_enabled: bool = True,
) -> SalesforceMapping:  # fmt: skip
    if kind not in EntityKind.values:
        raise ApplicationError(f"kind: use one of {', '.join(EntityKind.values)}.")
    mapping = SalesforceMapping.objects.select_for_update().filter(kind=kind).first()
    mapping = mapping or SalesforceMapping(kind=kind)
    mapping.sobject = _api_name("sobject", sobject)
    mapping.external_id_field = _api_name("external_id_field", external_id_field)
    mapping.account_field = _api_name("account_field", account_field) if account_field else ""
    mapping.field_map = field_map_clean(kind, field_map)
    if mapping.external_id_field in mapping.field_map.values():
        raise ApplicationError(TARGET_REPEATED.format(value=mapping.external_id_field))
    mapping.is_enabled = is_enabled
    mapping.save()
    return mapping


def sync_enabled(kind: str) -> bool:
    """Cheap check before a push is requested: a connection and a mapping for `kind`."""
    return (
        SalesforceConnection.objects.filter(is_enabled=True).exists()
        and SalesforceMapping.objects.filter(kind=kind, is_enabled=True).exists()
    )


def _enqueue(record_id: int) -> None:
    """After commit; an unreachable broker leaves the record due for the sweep."""
    from crm.tasks import salesforce_push_task

    def send() -> None:
        try:
            salesforce_push_task.delay(record_id)
        except Exception:
            logger.exception("could not enqueue Salesforce push %s; the sweep will", record_id)

    transaction.on_commit(send)


@transaction.atomic
def sync_request(
    *, kind: str, object_pk: int, object_id: str, label: str, customer_id: int | None
) -> SyncRecord:
    """Ask for `object` to be pushed (again). An open record is already going to push the
    entity as it is then; a closed one (synced, gave up) opens again, due now."""
    now = timezone.now()
    key = f"{kind}:{object_id}"
    defaults = {
        "kind": kind, "object_pk": object_pk, "object_id": object_id, "label": label[:300],
        "customer_id": customer_id, "requested_at": now, "next_attempt_at": now,
    }  # fmt: skip
    try:
        with transaction.atomic():
            record, created = SyncRecord.objects.get_or_create(key=key, defaults=defaults)
    except IntegrityError:  # created by a concurrent request: it is the same record
        record, created = SyncRecord.objects.get(key=key), False
    if created:
        _enqueue(record.pk)
        return record
    record = SyncRecord.objects.select_for_update().get(pk=record.pk)
    record.requested_at = now
    record.label = label[:300]
    if record.status not in OPEN_STATUSES:
        record.status = SyncStatus.PENDING
        record.schedule_base = record.attempt_count
        record.next_attempt_at = now
        _enqueue(record.pk)
    record.save()
    return record


@transaction.atomic
def sync_retry(*, record: SyncRecord) -> SyncRecord:
    """The console's retry: one more attempt now, and a fresh retry schedule."""
    record = SyncRecord.objects.select_for_update().get(pk=record.pk)
    record.status = SyncStatus.PENDING
    record.schedule_base = record.attempt_count
    record.next_attempt_at = timezone.now()
    record.save(update_fields=["status", "schedule_base", "next_attempt_at", "updated_at"])
    _enqueue(record.pk)
    return record
