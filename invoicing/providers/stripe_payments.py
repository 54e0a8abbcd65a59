"""Collecting by card (PLG): charge a finalized Stripe invoice to the customer's default payment
method; on failure, try again on the schedule of STRIPE_PAYMENT_RETRY_HOURS, then give up.

A paid invoice releases what waits on payment (a payment-gated threshold commit, through
invoicing.thresholds' provider-neutral gate); an invoice given up on fails that gate.
"""

import logging
from datetime import datetime, timedelta
from typing import Any

import stripe
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from billing_console.encryption import SecretUnreadable
from invoicing.models import ExternalInvoice, ExternalStatus, Invoice
from invoicing.providers.stripe_client import (
    STRIPE_KEY_UNREADABLE,
    as_dict,
    stripe_client,
    stripe_options,
)
from invoicing.providers.stripe_invoices import record_stripe_invoice
from invoicing.signals import invoice_paid, invoice_payment_failed

logger = logging.getLogger(__name__)
NO_PAYMENT_METHOD = "The Stripe customer has no default payment method."


def retry_schedule() -> list[timedelta]:
    return [timedelta(hours=hours) for hours in settings.STRIPE_PAYMENT_RETRY_HOURS]


def _default_payment_method(external: ExternalInvoice, client: stripe.StripeClient) -> str:
    customer = as_dict(
        client.v1.customers.retrieve(external.configuration.configuration["stripe_customer_id"])
    )
    settings_ = customer.get("invoice_settings") or {}
    method = settings_.get("default_payment_method")
    if isinstance(method, dict):
        method = method.get("id")
    return method or ""


def external_mark_paid(*, external: ExternalInvoice, at: datetime, payment_id: str = "") -> None:
    """Idempotent. The caller holds the row lock."""
    if external.external_status == ExternalStatus.PAID:
        return
    external.external_status = ExternalStatus.PAID
    external.paid_at = at
    external.next_payment_attempt_at = None
    external.error = ""
    if payment_id:
        external.external_payment_id = payment_id
    external.save()
    invoice_paid.send(Invoice, invoice=external.invoice, at=at)
    _gate(external, paid=True, at=at)


def _gate(external: ExternalInvoice, *, paid: bool, at: datetime) -> None:
    """Payment-gated threshold commits wait for this invoice (a no-op for other invoices)."""
    from contracts.models import ThresholdCharge

    invoice = external.invoice
    if not ThresholdCharge.objects.filter(invoice_public_id=invoice.public_id).exists():
        return
    from invoicing.thresholds import payment_gate_mark_failed, payment_gate_mark_paid

    if paid:
        payment_gate_mark_paid(invoice=invoice, now=at)
        return
    payment_gate_mark_failed(invoice=invoice, now=at)  # voids our invoice: void Stripe's too
    voided = stripe_client(external.provider).v1.invoices.void_invoice(
        external.external_id,
        options=stripe_options(f"invoice:{invoice.public_id}:void"),  # type: ignore[arg-type]
    )
    record_stripe_invoice(external, voided)
    external.external_status = ExternalStatus.VOID
    external.save()


def schedule_retry(external: ExternalInvoice, *, now: datetime, error: str) -> None:
    """After a failed attempt: the next one per the schedule, or give up (void the Stripe
    invoice and fail the payment gate) once the schedule is used up."""
    external.external_status = ExternalStatus.PAYMENT_FAILED
    external.error = error
    invoice_payment_failed.send(
        Invoice, invoice=external.invoice, attempt=f"card:{external.payment_attempts}", error=error
    )
    schedule = retry_schedule()
    index = max(external.payment_attempts - 1, 0)
    if index < len(schedule):
        external.next_payment_attempt_at = now + schedule[index]
        external.save()
        return
    external.next_payment_attempt_at = None
    external.save()
    logger.warning("Giving up collecting Stripe invoice %s: %s", external.external_id, error)
    _gate(external, paid=False, at=now)


def stripe_invoice_pay(
    *, external: ExternalInvoice, client: stripe.StripeClient, now: datetime
) -> None:
    """One attempt (the caller holds the row lock). The idempotency key names the attempt, so
    a lost answer retried is the same charge, while the next scheduled attempt is a new one."""
    attempt = external.payment_attempts + 1
    external.payment_attempts = attempt
    external.next_payment_attempt_at = None
    key = f"invoice:{external.invoice.public_id}:pay:{attempt}"
    try:
        method = _default_payment_method(external, client)
        if not method:
            schedule_retry(external, now=now, error=NO_PAYMENT_METHOD)
            return
        paid = as_dict(
            client.v1.invoices.pay(
                external.external_id,
                {"payment_method": method, "off_session": True},
                stripe_options(key),  # type: ignore[arg-type]
            )
        )
    except stripe.CardError as err:
        schedule_retry(external, now=now, error=err.user_message or str(err))
        return
    except stripe.InvalidRequestError as err:
        current = as_dict(client.v1.invoices.retrieve(external.external_id))
        if current.get("status") == "paid":  # paid meanwhile (e.g. by the customer)
            external_mark_paid(external=external, at=now)
            return
        schedule_retry(external, now=now, error=err.user_message or str(err))
        return
    if paid.get("status") == "paid":
        external_mark_paid(external=external, at=now, payment_id=_payment_id(paid))
    else:
        schedule_retry(external, now=now, error=f"Stripe invoice is {paid.get('status')}.")


def _payment_id(stripe_invoice: Any) -> str:
    intent = stripe_invoice.get("payment_intent")
    if isinstance(intent, dict):
        return intent.get("id", "")
    return intent or ""


def stripe_payment_attempt(*, external_id: int, now: datetime | None = None) -> ExternalInvoice:
    """A scheduled retry, if still due (idempotent: a second run finds nothing due)."""
    now = now or timezone.now()
    with transaction.atomic():
        external = (
            ExternalInvoice.objects.select_for_update()
            .select_related("invoice", "configuration", "provider")
            .get(pk=external_id)
        )
        due = external.next_payment_attempt_at
        if external.external_status != ExternalStatus.PAYMENT_FAILED or due is None or due > now:
            return external
        if external.configuration.archived_at is not None or external.invoice.status == "VOID":
            # Archived: billing through it stopped. Void: nothing is owed any more.
            external.next_payment_attempt_at = None
            external.save(update_fields=["next_payment_attempt_at", "updated_at"])
            return external
        try:
            client = stripe_client(external.provider)
        except SecretUnreadable:
            # The retry stays due: the sweep tries again once the key is entered again.
            logger.error("Card retry of %s waits: API key unreadable", external.invoice_id)
            external.error = STRIPE_KEY_UNREADABLE
            external.save(update_fields=["error", "updated_at"])
            return external
        stripe_invoice_pay(external=external, client=client, now=now)
        return external


def stripe_payments_due(*, now: datetime) -> list[int]:
    return list(
        ExternalInvoice.objects.filter(
            external_status=ExternalStatus.PAYMENT_FAILED, next_payment_attempt_at__lte=now
        ).values_list("pk", flat=True)
    )
