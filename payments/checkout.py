"""Pay by card: a Stripe Checkout Session (mode payment) for a finalized invoice, on the Stripe
account its invoice was sent to. The customer pays on Stripe's hosted page (a redirect: no
Stripe script on our pages); Stripe's webhook, or the customer's return to us, completes it.

Steps, each recorded: open the session (idempotency key per invoice and attempt; an open one is
reused); on payment mark the invoice paid as saved-card payments do (its ExternalInvoice, which
releases a payment gate); then settle the Stripe invoice out of band so Stripe never collects it
again (retried until done). Every step is idempotent: a second delivery changes nothing.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import stripe
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from billing_console.api import ApplicationError
from invoicing.models import ExternalInvoice, ExternalStatus, Invoice
from invoicing.providers.stripe_client import (
    as_dict,
    failure_record,
    stripe_client,
    stripe_options,
)
from invoicing.providers.stripe_payments import external_mark_paid
from invoicing.signals import invoice_payment_failed
from payments.models import CheckoutSession, CheckoutStatus
from payments.pay_state import pay_state

logger = logging.getLogger(__name__)
ALREADY_PAID = "invoice_id: invoice {id} is already paid."
# A session this close to expiring is not handed out again: the customer needs time to pay.
REUSE_MARGIN = timedelta(minutes=10)
SETTLE_WAITS = "Stripe invoice not marked paid yet (retried): "
PAID_TWICE = "Paid by card after the invoice was already paid: refund payment {intent} in Stripe."


# In a return URL, replaced by the CheckoutSession's public id once it is made.
CHECKOUT_ID_SLOT = uuid.UUID(int=0)


@dataclass(frozen=True)
class ReturnUrls:
    success: str
    cancel: str

    def of(self, row: CheckoutSession) -> "ReturnUrls":
        slot, value = str(CHECKOUT_ID_SLOT), str(row.public_id)
        return ReturnUrls(self.success.replace(slot, value), self.cancel.replace(slot, value))


def _ts(value: Any) -> datetime | None:
    return datetime.fromtimestamp(value, tz=UTC) if isinstance(value, int) else None


def _amount(invoice: Invoice, external: ExternalInvoice) -> int:
    """What the customer owes, in the currency's minor unit (fiat credit types are already
    denominated in it, rounded to whole units): Stripe's total when known (it adds Stripe Tax)."""
    owed = external.invoiced_total if external.invoiced_total is not None else invoice.total
    return int(owed.to_integral_value())


def _create(
    invoice: Invoice, external: ExternalInvoice, urls: ReturnUrls, via: str
) -> CheckoutSession:
    attempt = (invoice.checkout_sessions.order_by("-attempt").values_list("attempt", flat=True).first() or 0) + 1  # fmt: skip
    row = CheckoutSession(
        invoice=invoice, external=external, provider=external.provider, attempt=attempt,
        amount=_amount(invoice, external), currency=invoice.credit_type.currency_code.lower(),
        created_via=via,
    )  # fmt: skip
    ids = {"billing_console_invoice_id": str(invoice.public_id),
           "billing_console_checkout_id": str(row.public_id)}  # fmt: skip
    params: dict[str, Any] = {
        "mode": "payment",
        "customer": external.configuration.configuration["stripe_customer_id"],
        "client_reference_id": str(invoice.public_id),
        "line_items": [{"quantity": 1, "price_data": {
            "currency": row.currency, "unit_amount": int(row.amount),
            "product_data": {"name": f"Invoice {invoice.number}"},
        }}],
        "metadata": {**ids, "billing_console_invoice_number": invoice.number},
        "payment_intent_data": {"metadata": ids, "description": f"Invoice {invoice.number}"},
        "success_url": urls.of(row).success,
        "cancel_url": urls.of(row).cancel,
    }  # fmt: skip
    session = as_dict(
        stripe_client(external.provider).v1.checkout.sessions.create(
            params,  # type: ignore[arg-type]
            stripe_options(f"invoice:{invoice.public_id}:checkout:{attempt}"),  # type: ignore[arg-type]
        )
    )
    row.session_id, row.url = session["id"], session.get("url") or ""
    row.expires_at = _ts(session.get("expires_at"))
    row.save()
    return row


def _still_open(row: CheckoutSession, now: datetime) -> bool:
    """Asks Stripe (the customer may have paid, or it expired): True if it can be reused."""
    session = as_dict(stripe_client(row.provider).v1.checkout.sessions.retrieve(row.session_id))
    if session.get("status") == "complete":
        checkout_session_completed(row=row, session=session, at=now)
        return False
    if session.get("status") == "expired":
        row.status = CheckoutStatus.EXPIRED
        row.save(update_fields=["status", "updated_at"])
        return False
    expires = _ts(session.get("expires_at")) or row.expires_at
    return expires is None or expires > now + REUSE_MARGIN


@transaction.atomic
def checkout_session_open(
    *, invoice: Invoice, urls: ReturnUrls, via: str, now: datetime | None = None
) -> CheckoutSession:
    """The invoice's open Checkout Session, reused while it is open, else a new one. 400 with
    the reason when the invoice cannot be paid by card (or 409 when it is paid already)."""
    now = now or timezone.now()
    invoice = Invoice.objects.select_for_update().select_related("credit_type").get(pk=invoice.pk)
    open_row = invoice.checkout_sessions.filter(status=CheckoutStatus.OPEN).select_related("provider").first()  # fmt: skip
    if open_row is not None and _still_open(open_row, now):
        return open_row
    state = pay_state(invoice)
    if state.paid_at is not None:
        raise ApplicationError(ALREADY_PAID.format(id=invoice.public_id), "conflict")
    if state.reason:
        raise ApplicationError(f"invoice_id: {state.reason}")
    assert state.external is not None
    if open_row is not None and open_row.status == CheckoutStatus.OPEN:
        open_row.status = CheckoutStatus.EXPIRED  # about to expire: a fresh one replaces it
        open_row.save(update_fields=["status", "updated_at"])
    return _create(invoice, state.external, urls, via)


def checkout_session_completed(
    *, row: CheckoutSession, session: dict[str, Any], at: datetime
) -> None:
    """Stripe's session object, completed: paid now, or later (delayed payment methods)."""
    if session.get("payment_status") in ("paid", "no_payment_required"):
        _paid(row, session, at)
    elif row.status == CheckoutStatus.OPEN:
        row.status = CheckoutStatus.PROCESSING
        row.save(update_fields=["status", "updated_at"])


def _intent_id(session: dict[str, Any]) -> str:
    intent = session.get("payment_intent")
    return intent.get("id", "") if isinstance(intent, dict) else intent or ""


def _paid(row: CheckoutSession, session: dict[str, Any], at: datetime) -> None:
    if row.status == CheckoutStatus.PAID:
        return  # a redelivery; settling is retried by its own task
    row.status, row.paid_at = CheckoutStatus.PAID, at
    row.payment_intent_id = _intent_id(session)
    external = ExternalInvoice.objects.select_for_update().select_related("invoice").get(pk=row.external_id)  # fmt: skip
    if external.external_status == ExternalStatus.PAID:
        row.error = PAID_TWICE.format(intent=row.payment_intent_id or row.session_id)
        logger.warning("Invoice %s paid twice: %s", external.invoice.public_id, row.error)
    else:
        external_mark_paid(external=external, at=at, payment_id=row.payment_intent_id)
    row.save()
    if not row.error:
        from payments.tasks import checkout_settle_task

        checkout_settle_task.delay_on_commit(row.pk)


def checkout_session_failed(*, row: CheckoutSession, error: str) -> None:
    if row.status in (CheckoutStatus.PAID, CheckoutStatus.FAILED):
        return
    row.status, row.error = CheckoutStatus.FAILED, error
    row.save(update_fields=["status", "error", "updated_at"])
    invoice_payment_failed.send(Invoice, invoice=row.invoice, attempt=f"checkout:{row.attempt}", error=error)  # fmt: skip


def checkout_settle(*, row_id: int) -> CheckoutSession:
    """After a card payment: mark the Stripe invoice paid out of band (idempotent: done once,
    recorded; a Stripe invoice still a draft, or already paid, needs nothing). A failure other
    than Stripe refusing it is recorded on the row (shown on the invoice) and retried: an
    outage by the task's retries, anything else by the sweep."""
    try:
        return _settle(row_id)
    except Exception as error:
        logger.error("Checkout %s: Stripe invoice not marked paid yet", row_id, exc_info=error)
        failure_record(CheckoutSession.objects.filter(pk=row_id), SETTLE_WAITS, error)
        return CheckoutSession.objects.get(pk=row_id)


def _settle(row_id: int) -> CheckoutSession:
    with transaction.atomic():
        row = CheckoutSession.objects.select_for_update().select_related("external", "provider").get(pk=row_id)  # fmt: skip
        external = row.external
        if row.stripe_invoice_settled_at is not None or row.status != CheckoutStatus.PAID:
            return row
        if external.external_id and external.external_status == ExternalStatus.PAID:
            client = stripe_client(row.provider)
            key = f"invoice:{row.invoice.public_id}:checkout:{row.attempt}:settle"
            try:
                if (
                    as_dict(client.v1.invoices.retrieve(external.external_id)).get("status")
                    == "open"
                ):
                    client.v1.invoices.pay(
                        external.external_id,
                        {"paid_out_of_band": True},
                        stripe_options(key),  # type: ignore[arg-type]
                    )
            except stripe.InvalidRequestError as err:  # refused: retrying cannot help; shown
                row.error = f"Stripe invoice not marked paid: {err.user_message or err}"
                row.save(update_fields=["error", "updated_at"])
                return row
        row.stripe_invoice_settled_at = timezone.now()
        row.error = ""
        row.save(update_fields=["stripe_invoice_settled_at", "error", "updated_at"])
        return row


def checkouts_unsettled() -> list[int]:
    return list(
        CheckoutSession.objects.filter(
            Q(error="") | Q(error__startswith=SETTLE_WAITS),  # not refused by Stripe
            status=CheckoutStatus.PAID,
            stripe_invoice_settled_at__isnull=True,
        ).values_list("pk", flat=True)
    )


def checkout_session_refresh(*, row: CheckoutSession) -> CheckoutSession:
    """The customer came back from Stripe: ask Stripe now rather than wait for the webhook."""
    if row.status not in (CheckoutStatus.OPEN, CheckoutStatus.PROCESSING) or not row.session_id:
        return row
    try:
        session = as_dict(stripe_client(row.provider).v1.checkout.sessions.retrieve(row.session_id))
    except stripe.StripeError:
        return row  # the webhook completes it
    with transaction.atomic():
        row = CheckoutSession.objects.select_for_update().get(pk=row.pk)
        if session.get("status") == "complete":
            checkout_session_completed(row=row, session=session, at=timezone.now())
    return row
