"""Writes for outbound events, endpoints and deliveries.

Producers (alerts, threshold billing, notifications) call `event_publish`; nothing else here is
needed to emit an event. Delivery itself (HTTP, retries) is in webhooks/delivery.py.
"""

import base64
import logging
import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.signals import post_save
from django.utils import timezone

from billing_console.api import ApplicationError
from webhooks.models import Delivery, OutboundEvent, WebhookEndpoint
from webhooks.targets import TargetRefused, TargetUnresolved, target_resolve

logger = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"
TEST_EVENT_TYPE = "webhook.test"
ENDPOINT_URL_INVALID = "url: enter a valid http(s) URL."
EVENT_TYPE_INVALID = (
    "event_types: {value!r} is not an event type (letters, digits, . _ - or a trailing .*)."
)


def secret_generate() -> str:
    """A Standard Webhooks secret: whsec_ + base64 of 24 random bytes (192 bits)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def _event_types_clean(event_types: list[str]) -> list[str]:
    out: list[str] = []
    for raw in event_types:
        value = raw.strip()
        if not value:
            continue
        body = value[:-2] if value.endswith(".*") else value
        if not body or not all(c.isalnum() or c in "._-" for c in body):
            raise ApplicationError(EVENT_TYPE_INVALID.format(value=value))
        if value not in out:
            out.append(value)
    return out


def _full_clean(endpoint: WebhookEndpoint) -> None:
    try:
        endpoint.full_clean(exclude=["secret"])
    except ValidationError as err:
        field, messages = next(iter(err.message_dict.items()))
        if field == "url":
            raise ApplicationError(ENDPOINT_URL_INVALID) from err
        raise ApplicationError(f"{field}: {' '.join(messages)}") from err
    _target_check(endpoint.url)


def _target_check(url: str) -> None:
    """Refuse a URL whose host is, or resolves to, an address a delivery would refuse. A name
    that does not resolve yet is accepted: delivery checks again on every attempt."""
    try:
        target_resolve(url)
    except TargetUnresolved:
        pass
    except TargetRefused as err:
        raise ApplicationError(err.message, code="url_forbidden") from err


@transaction.atomic
def endpoint_create(
    *, url: str, description: str = "", kind: str = WebhookEndpoint.KIND_WEBHOOK,
    event_types: list[str] | None = None,
) -> WebhookEndpoint:  # fmt: skip
    endpoint = WebhookEndpoint(
        url=url.strip(),
        description=description.strip(),
        kind=kind,
        event_types=_event_types_clean(event_types or []),
        secret=secret_generate(),
    )
    _full_clean(endpoint)
    endpoint.save()
    return endpoint


@transaction.atomic
def endpoint_update(
    *, endpoint: WebhookEndpoint, url: str, description: str, kind: str, event_types: list[str]
) -> WebhookEndpoint:
    endpoint.url = url.strip()
    endpoint.description = description.strip()
    endpoint.kind = kind
    endpoint.event_types = _event_types_clean(event_types)
    _full_clean(endpoint)
    endpoint.save(update_fields=["url", "description", "kind", "event_types", "updated_at"])
    return endpoint


@transaction.atomic
def endpoint_secret_rotate(*, endpoint: WebhookEndpoint) -> str:
    """A new secret replaces the old one at once; the caller shows it once."""
    endpoint.secret = secret_generate()
    endpoint.save(update_fields=["secret", "updated_at"])
    return endpoint.secret


@transaction.atomic
def endpoint_set_disabled(*, endpoint: WebhookEndpoint, disabled: bool) -> WebhookEndpoint:
    """Disabled endpoints receive no new deliveries and pending ones are held (not attempted);
    enabling again makes the held ones due now."""
    if disabled == (endpoint.disabled_at is not None):
        return endpoint
    now = timezone.now()
    endpoint.disabled_at = now if disabled else None
    endpoint.save(update_fields=["disabled_at", "updated_at"])
    if not disabled:
        held = list(
            endpoint.deliveries.filter(status__in=Delivery.OPEN, next_attempt_at__isnull=True)
        )
        for delivery in held:
            delivery.next_attempt_at = now
            delivery.save(update_fields=["next_attempt_at"])
            _enqueue(delivery)
    return endpoint


def _enqueue(delivery: Delivery) -> None:
    """After commit, one task message per delivery. If the broker cannot take it the delivery
    is still due in the database, and the periodic sweep enqueues it."""
    from webhooks.tasks import delivery_attempt_task

    delivery_id = delivery.pk

    def send() -> None:
        try:
            delivery_attempt_task.delay(delivery_id)
        except Exception:
            logger.exception("could not enqueue webhook delivery %s; the sweep will", delivery_id)

    transaction.on_commit(send)


def _deliveries_create(
    events: list[OutboundEvent], endpoints: list[WebhookEndpoint]
) -> list[Delivery]:
    """One delivery per event and endpoint, inserted in one statement, each enqueued on commit."""
    now = timezone.now()
    deliveries = Delivery.objects.bulk_create(
        [Delivery(event=e, endpoint=to, next_attempt_at=now) for e in events for to in endpoints]
    )
    for delivery in deliveries:
        _enqueue(delivery)
    return deliveries


def event_publish(event_type: str, payload: dict, *, key: str) -> None:
    """Record one outbound event per `key` (idempotent: the same key again is a no-op) and, on
    transaction commit, enqueue delivery to every active endpoint subscribed to event_type."""
    events_publish(event_type, [(key, payload)])


@transaction.atomic
def events_publish(event_type: str, events: list[tuple[str, dict]]) -> int:
    """`event_publish` for many (key, payload) at once, as the month close publishes the
    invoice.finalized of each invoice it finalized: one read of the keys published before (each
    a no-op), one insert of the new events, one of their deliveries. Each new event sends the
    post_save its save() would (the CRM sync pushes lifecycle events on it). Returns how many
    events were new."""
    for key, payload in events:
        if not event_type or not isinstance(payload, dict) or not key or len(key) > 255:
            raise ValueError("event_publish needs an event type, a dict payload and a key (≤255)")
    known = set(
        OutboundEvent.objects.filter(key__in=[k for k, _ in events]).values_list("key", flat=True)
    )
    fresh: dict[str, OutboundEvent] = {}
    for key, payload in events:
        if key not in known and key not in fresh:
            fresh[key] = OutboundEvent(key=key, type=event_type, payload=payload)
    if not fresh:
        return 0
    try:
        with transaction.atomic():
            created = OutboundEvent.objects.bulk_create(list(fresh.values()))
    except IntegrityError:  # another transaction published one of these keys since: one by one
        created = []
        for event in fresh.values():
            event, new = OutboundEvent.objects.get_or_create(
                key=event.key, defaults={"type": event_type, "payload": event.payload}
            )  # its save() sends post_save
            created += [event] if new else []
    else:
        for event in created:
            post_save.send(OutboundEvent, instance=event, created=True, update_fields=None,
                           raw=False, using=event._state.db)  # fmt: skip
    endpoints = [e for e in WebhookEndpoint.objects.active() if e.subscribes_to(event_type)]
    _deliveries_create(created, endpoints)
    return len(created)


@transaction.atomic
def endpoint_send_test(*, endpoint: WebhookEndpoint) -> Delivery:
    """A `webhook.test` event delivered to this endpoint only (even if it filters event types)."""
    now = timezone.now()
    event = OutboundEvent.objects.create(
        key=f"test:{endpoint.public_id}:{now.timestamp()}:{secrets.token_hex(4)}",
        type=TEST_EVENT_TYPE,
        payload={
            "message": "Test event from Billing Console.",
            "endpoint_id": str(endpoint.public_id),
        },
    )
    return _deliveries_create([event], [endpoint])[0]


@transaction.atomic
def delivery_redeliver(*, delivery: Delivery) -> Delivery:
    """Send again, now: a new attempt with the same webhook-id, and a fresh retry schedule."""
    delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
    delivery.status = Delivery.PENDING
    delivery.schedule_base = delivery.attempt_count
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "schedule_base", "next_attempt_at"])
    _enqueue(delivery)
    return delivery


def event_payload_envelope(event: OutboundEvent) -> dict[str, Any]:
    """The JSON body every webhook endpoint receives (Standard Webhooks payload structure)."""
    return {
        "id": str(event.public_id),
        "type": event.type,
        "timestamp": event.created_at.isoformat().replace("+00:00", "Z"),
        "data": event.payload,
    }
