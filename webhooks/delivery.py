"""Delivering one Delivery: claim it, make the HTTP request, record the attempt, schedule a retry.

At-least-once: a delivery is claimed by pushing `next_attempt_at` out by a lease (in a short
transaction, row locked) before the request is made, and only the outcome moves it on. A worker
that dies mid-request leaves the delivery due again when the lease runs out, and the periodic
sweep re-enqueues it; receivers dedupe by `webhook-id`, which is the same on every attempt.
Retries back off exponentially (base x 2^(n-1), capped) up to WEBHOOK_MAX_ATTEMPTS attempts.
A target refused by the address policy (webhooks/targets.py) is recorded as a failed attempt and
not retried: only a redeliver, after the URL or WEBHOOK_ALLOWED_HOSTS changed, tries again.
"""

import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from webhooks import transport
from webhooks.models import Delivery, DeliveryAttempt, WebhookEndpoint
from webhooks.redact import text_redact
from webhooks.services import event_payload_envelope
from webhooks.slack import slack_text
from webhooks.targets import TargetRefused, TargetUnresolved, target_resolve

logger = logging.getLogger(__name__)

BODY_EXCERPT = 1000  # characters of the response body (and of an error) kept on the attempt
USER_AGENT = "BillingConsole-Webhooks/1.0"


@dataclass(frozen=True)
class Outcome:
    response_code: int | None
    response_body: str
    error: str
    duration_ms: int
    final: bool = False  # no retry: the target was refused

    @property
    def ok(self) -> bool:
        return self.response_code is not None and 200 <= self.response_code < 300


def backoff_seconds(failed_attempts: int) -> float:
    """Delay after the n-th failed attempt of a schedule: base, 2 x base, 4 x base, ... capped."""
    base = settings.WEBHOOK_RETRY_BASE_SECONDS
    return float(min(base * 2 ** max(failed_attempts - 1, 0), settings.WEBHOOK_RETRY_MAX_SECONDS))


def _lease() -> timedelta:
    return timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS + settings.WEBHOOK_LEASE_SECONDS)


def _claim(delivery_id: int, now: datetime) -> Delivery | None:
    """Lock the row; take it only if it is open, its endpoint active and it is due."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update()
            .select_related("event", "endpoint")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status not in Delivery.OPEN:
            return None
        if delivery.next_attempt_at is None or delivery.next_attempt_at > now:
            return None
        if not delivery.endpoint.is_active:
            # Held until the endpoint is enabled again (endpoint_set_disabled re-queues it).
            delivery.next_attempt_at = None
            delivery.save(update_fields=["next_attempt_at"])
            return None
        delivery.next_attempt_at = now + _lease()
        delivery.save(update_fields=["next_attempt_at"])
        return delivery


def request_for(delivery: Delivery, now: datetime) -> tuple[bytes, dict[str, str]]:
    """The exact body and headers sent: signed JSON for webhooks, {"text"} for Slack."""
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    endpoint = delivery.endpoint
    if endpoint.kind == WebhookEndpoint.KIND_SLACK:
        return json.dumps({"text": slack_text(delivery.event)}).encode(), headers
    body = json.dumps(
        event_payload_envelope(delivery.event), cls=DjangoJSONEncoder, separators=(",", ":")
    )
    signature = Webhook(endpoint.secret).sign(msg_id=delivery.webhook_id, timestamp=now, data=body)
    headers["webhook-id"] = delivery.webhook_id
    headers["webhook-timestamp"] = str(int(now.timestamp()))
    headers["webhook-signature"] = signature
    return body.encode(), headers


def _send(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        # Resolved and checked now, on every attempt: the connection goes to these addresses.
        target = target_resolve(url)
        reply = transport.post(
            target, url, body=body, headers=headers,
            timeout=(settings.WEBHOOK_CONNECT_TIMEOUT_SECONDS, settings.WEBHOOK_TIMEOUT_SECONDS),
        )  # fmt: skip
    except TargetUnresolved as err:  # DNS may come back: retried as usual
        return Outcome(None, "", _reason(err.message), elapsed())
    except TargetRefused as err:
        return Outcome(None, "", f"Refused: {_reason(err.message)}", elapsed(), final=True)
    except requests.RequestException as err:
        error = text_redact(f"{type(err).__name__}: {err}", url)
        return Outcome(None, "", error[:BODY_EXCERPT], elapsed())
    return Outcome(reply.status_code, reply.body[:BODY_EXCERPT], "", elapsed())


def _reason(message: str) -> str:
    return message.removeprefix("url: ")


def _record(delivery_id: int, attempted_at: datetime, outcome: Outcome) -> float | None:
    """Store the attempt and move the delivery on; the retry delay if one is scheduled."""
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
        DeliveryAttempt.objects.create(
            delivery=delivery,
            attempted_at=attempted_at,
            response_code=outcome.response_code,
            response_body=outcome.response_body,
            error=outcome.error,
            duration_ms=outcome.duration_ms,
        )
        delivery.attempt_count += 1
        delivery.last_attempt_at = attempted_at
        delivery.last_response_code = outcome.response_code
        delay = None
        if outcome.ok:
            delivery.status = Delivery.SUCCEEDED
            delivery.next_attempt_at = None
        elif (
            outcome.final
            or delivery.attempt_count - delivery.schedule_base >= settings.WEBHOOK_MAX_ATTEMPTS
        ):
            delivery.status = Delivery.EXHAUSTED
            delivery.next_attempt_at = None
        else:
            delay = backoff_seconds(delivery.attempt_count - delivery.schedule_base)
            delivery.status = Delivery.FAILED
            delivery.next_attempt_at = timezone.now() + timedelta(seconds=delay)
        delivery.save(
            update_fields=[
                "status", "attempt_count", "last_attempt_at", "last_response_code",
                "next_attempt_at",
            ]
        )  # fmt: skip
        return delay


def delivery_attempt(*, delivery_id: int) -> bool | None:
    """Make one attempt if the delivery is due. True/False: the attempt's outcome; None: nothing
    was due (already delivered, not yet due, or claimed by another worker)."""
    now = timezone.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return None
    try:
        body, headers = request_for(delivery, now)
    except Exception as err:  # the event cannot be rendered: an attempt that failed, retried
        logger.exception("webhook delivery %s: request not built", delivery_id)
        outcome = Outcome(None, "", f"Not sent: {type(err).__name__}: {err}"[:BODY_EXCERPT], 0)
    else:
        outcome = _send(delivery.endpoint.url, body, headers)
    delay = _record(delivery_id, now, outcome)
    if delay is not None:
        from webhooks.tasks import delivery_attempt_task

        # Exact-time retry; the sweep is the safety net if this message is lost.
        delivery_attempt_task.apply_async((delivery_id,), countdown=delay)
    return outcome.ok


def deliveries_due_ids(*, now: datetime, limit: int = 500) -> list[int]:
    return list(
        Delivery.objects.filter(status__in=Delivery.OPEN, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
