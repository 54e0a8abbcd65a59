"""Stripe's Checkout Session events, registered into invoicing's Stripe webhook dispatch
(stored raw and verified there; processed once per event id, in a task)."""

import logging
from collections.abc import Callable
from typing import Any

from invoicing.models import StripeEvent
from payments.checkout import checkout_session_completed, checkout_session_failed
from payments.models import CheckoutSession, CheckoutStatus

logger = logging.getLogger(__name__)
ASYNC_FAILED = "The payment did not go through (the bank declined or it was not completed)."


def _row(event: StripeEvent, session: dict[str, Any]) -> CheckoutSession | None:
    row = (
        CheckoutSession.objects.select_for_update()
        .select_related("invoice", "external")
        .filter(provider=event.provider, session_id=session.get("id", ""))
        .first()
    )
    if row is None:
        logger.info("Stripe event %s names a Checkout Session we did not open", event.event_id)
    return row


def _completed(event: StripeEvent, session: dict[str, Any]) -> None:
    row = _row(event, session)
    if row is not None:
        checkout_session_completed(row=row, session=session, at=event.received_at)


def _failed(event: StripeEvent, session: dict[str, Any]) -> None:
    row = _row(event, session)
    if row is not None:
        checkout_session_failed(row=row, error=ASYNC_FAILED)


def _expired(event: StripeEvent, session: dict[str, Any]) -> None:
    row = _row(event, session)
    if row is not None and row.status == CheckoutStatus.OPEN:
        row.status = CheckoutStatus.EXPIRED
        row.save(update_fields=["status", "updated_at"])


HANDLERS: dict[str, Callable[[StripeEvent, dict[str, Any]], None]] = {
    "checkout.session.completed": _completed,
    "checkout.session.async_payment_succeeded": _completed,
    "checkout.session.async_payment_failed": _failed,
    "checkout.session.expired": _expired,
}
