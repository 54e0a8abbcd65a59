"""Stripe webhooks: verify, store the raw event first (once per event id), acknowledge, and
process in a task (style guide §9). Unknown event types are stored and acknowledged."""

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import stripe
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing_console.api import ApplicationError
from billing_console.encryption import SecretUnreadable
from customers.models import ConfiguredBillingProvider
from invoicing.models import ExternalInvoice, ExternalStatus, Invoice, StripeEvent
from invoicing.providers.stripe_invoices import record_stripe_invoice
from invoicing.providers.stripe_payments import (
    external_mark_paid,
    retry_schedule,
    schedule_retry,
)
from invoicing.signals import invoice_payment_failed

logger = logging.getLogger(__name__)
BAD_SIGNATURE = "Stripe-Signature: the signature does not match this webhook's secret."
NO_WEBHOOK_SECRET = "provider_id: this Stripe account has no webhook secret."
WEBHOOK_SECRET_UNREADABLE = (
    "provider_id: this Stripe account's webhook secret can no longer be decrypted "
    "(SECRETS_ENCRYPTION_KEYS changed); enter it again in Settings, Billing providers."
)


def _webhook_secret(provider: ConfiguredBillingProvider) -> str:
    """The signing secret, or a 403 (Stripe retries; the providers page shows which)."""
    try:
        secret = provider.webhook_secret
    except SecretUnreadable as err:
        logger.error(
            "Stripe webhook for %s (%s) refused: its webhook secret can no longer be decrypted",
            provider.public_id, provider,
        )  # fmt: skip
        raise ApplicationError(WEBHOOK_SECRET_UNREADABLE, "forbidden") from err
    if not secret:
        raise ApplicationError(NO_WEBHOOK_SECRET, "forbidden")
    return secret


def stripe_event_receive(
    *, provider: ConfiguredBillingProvider, payload: bytes, signature: str | None
) -> tuple[StripeEvent, bool]:
    """Verify and store. Returns (event, created); a redelivery returns the stored one."""
    secret = _webhook_secret(provider)
    try:
        event = stripe.Webhook.construct_event(payload, signature, secret)
    except stripe.SignatureVerificationError as err:
        raise ApplicationError(BAD_SIGNATURE, "invalid") from err
    except ValueError as err:
        raise ApplicationError("body: not a Stripe event.", "invalid") from err
    existing = StripeEvent.objects.filter(event_id=event.id).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():  # savepoint: the same event delivered twice at once
            row = StripeEvent.objects.create(
                provider=provider,
                event_id=event.id,
                type=event.type,
                payload=payload.decode("utf-8"),
            )
    except IntegrityError:
        return StripeEvent.objects.get(event_id=event.id), False
    return row, True


def _external(event: StripeEvent, obj: dict[str, Any]) -> ExternalInvoice | None:
    return (
        ExternalInvoice.objects.select_for_update()
        .select_related("invoice", "configuration", "provider")
        .filter(provider=event.provider, external_id=obj.get("id", ""))
        .first()
    )


def _at(obj: dict[str, Any], key: str, default: datetime) -> datetime:
    transitions = obj.get("status_transitions") or {}
    value = transitions.get(key)
    return datetime.fromtimestamp(value, tz=UTC) if isinstance(value, int) else default


def _paid(event: StripeEvent, external: ExternalInvoice, obj: dict[str, Any]) -> None:
    record_stripe_invoice(external, obj)
    external_mark_paid(external=external, at=_at(obj, "paid_at", event.received_at))


def _payment_failed(event: StripeEvent, external: ExternalInvoice, obj: dict[str, Any]) -> None:
    if external.external_status in (ExternalStatus.PAID, ExternalStatus.VOID):
        return  # a late failure of an attempt that a later one superseded
    if external.next_payment_attempt_at is not None:
        return  # our own failed attempt already scheduled the next one
    if external.payment_attempts > len(retry_schedule()):
        return  # given up already
    error = (obj.get("last_finalization_error") or {}).get("message") or "Payment failed."
    method = external.configuration.configuration.get("stripe_collection_method")
    if method == "send_invoice":
        # The customer pays through Stripe's invoice page; we never charge their card.
        external.external_status = ExternalStatus.PAYMENT_FAILED
        external.error = error
        external.save(update_fields=["external_status", "error", "updated_at"])
        invoice_payment_failed.send(
            Invoice, invoice=external.invoice, attempt=f"stripe:{event.event_id}", error=error
        )
        return
    schedule_retry(external, now=timezone.now(), error=error)


def _status(status: str) -> Callable[[StripeEvent, ExternalInvoice, dict[str, Any]], None]:
    def handle(event: StripeEvent, external: ExternalInvoice, obj: dict[str, Any]) -> None:
        if external.external_status == ExternalStatus.PAID:
            return
        external.external_status = status
        external.next_payment_attempt_at = None
        external.save()

    return handle


HANDLERS: dict[str, Callable[[StripeEvent, ExternalInvoice, dict[str, Any]], None]] = {
    "invoice.paid": _paid,
    "invoice.payment_succeeded": _paid,
    "invoice.payment_failed": _payment_failed,
    "invoice.voided": _status(ExternalStatus.VOID),
    "invoice.marked_uncollectible": _status(ExternalStatus.UNCOLLECTIBLE),
}


# Handlers of other Stripe objects, registered by the apps that own them (payments: Checkout
# Sessions), so invoicing does not import them. Called with the event and its data.object.
EVENT_HANDLERS: dict[str, Callable[[StripeEvent, dict[str, Any]], None]] = {}


@transaction.atomic
def stripe_event_process(*, event_id: int) -> StripeEvent:
    """Idempotent: a processed event is not processed again."""
    event = StripeEvent.objects.select_for_update().select_related("provider").get(pk=event_id)
    if event.processed_at is not None:
        return event
    handler = HANDLERS.get(event.type)
    if event.type in EVENT_HANDLERS:
        EVENT_HANDLERS[event.type](event, json.loads(event.payload)["data"]["object"])
    elif handler is not None:
        obj = json.loads(event.payload)["data"]["object"]
        external = _external(event, obj)
        if external is not None:
            handler(event, external, obj)
        else:
            logger.info("Stripe event %s names an invoice we did not send", event.event_id)
    event.processed_at = timezone.now()
    event.save(update_fields=["processed_at"])
    return event
