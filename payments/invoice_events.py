"""Outbound `invoice.*` webhooks: invoice.finalized, invoice.voided, invoice.paid and
invoice.payment_failed, one per transition.

Receivers of invoicing's signals, which are sent inside the transaction that made the
transition: the event is recorded in that same transaction (so it exists if and only if the
transition committed) under a key per transition (a rerun or a redelivered Stripe event
publishes nothing new), and its deliveries are enqueued on commit, signed and retried as every
other outbound event (webhooks.services.event_publish).
"""

from datetime import datetime
from typing import Any

from django.db.models import prefetch_related_objects
from django.utils import timezone

from billing_console.lib.wire_values import iso, number
from invoicing.models import Invoice
from invoicing.signals import (
    invoice_paid,
    invoice_payment_failed,
    invoice_voided,
    invoices_finalized,
)
from webhooks.services import event_publish, events_publish

FINALIZED = "invoice.finalized"
VOIDED = "invoice.voided"
PAID = "invoice.paid"
PAYMENT_FAILED = "invoice.payment_failed"
EVENT_TYPES = (FINALIZED, VOIDED, PAID, PAYMENT_FAILED)


def invoice_payload(invoice: Invoice, **extra: Any) -> dict[str, Any]:
    """Ids are the public ids of the API; `total` is in the credit type's unit, as on the wire
    (USD cents); `currency` is the ISO code of a fiat credit type, else null."""
    credit_type = invoice.credit_type
    return {
        "invoice_id": str(invoice.public_id),
        "invoice_number": invoice.number or None,
        "customer_id": str(invoice.customer.public_id),
        "contract_id": str(invoice.contract.public_id),
        "type": invoice.type,
        "status": invoice.status,
        "total": number(invoice.total),
        "currency": credit_type.currency_code or None,
        "credit_type_id": str(credit_type.public_id),
        "start_timestamp": iso(invoice.period_start),
        "end_timestamp": iso(invoice.period_end),
        "issued_at": iso(invoice.issued_at),
        "finalized_at": iso(invoice.finalized_at) if invoice.finalized_at else None,
        **extra,
    }


def _loaded(invoice: Invoice) -> Invoice:
    return Invoice.objects.select_related("customer", "contract", "credit_type").get(pk=invoice.pk)


def on_finalized(sender: Any, invoices: list[Invoice], **kwargs: Any) -> None:
    # The close's invoices come with their customer, contract and credit type: only what one
    # lacks is read (one query per relation for the whole batch, none when all are there).
    prefetch_related_objects(invoices, "customer", "contract", "credit_type")
    events_publish(  # one read and one insert for the close's whole batch
        FINALIZED,
        [
            (f"invoice:{i.public_id}:finalized", invoice_payload(i))
            for i in sorted(invoices, key=lambda i: i.pk)
        ],
    )


def on_voided(sender: Any, invoice: Invoice, **kwargs: Any) -> None:
    invoice = _loaded(invoice)
    payload = invoice_payload(invoice, voided_at=iso(invoice.voided_at or timezone.now()))
    event_publish(VOIDED, payload, key=f"invoice:{invoice.public_id}:voided")


def on_paid(sender: Any, invoice: Invoice, at: datetime, **kwargs: Any) -> None:
    invoice = _loaded(invoice)
    payload = invoice_payload(invoice, status="PAID", paid_at=iso(at))
    event_publish(PAID, payload, key=f"invoice:{invoice.public_id}:paid")


def on_payment_failed(sender: Any, invoice: Invoice, attempt: str, error: str, **kwargs: Any) -> None:  # fmt: skip
    invoice = _loaded(invoice)
    payload = invoice_payload(invoice, error=error, failed_at=iso(timezone.now()))
    event_publish(PAYMENT_FAILED, payload, key=f"invoice:{invoice.public_id}:payment_failed:{attempt}")  # fmt: skip


def connect() -> None:
    invoices_finalized.connect(on_finalized, dispatch_uid="payments.invoice_events.finalized")
    invoice_voided.connect(on_voided, dispatch_uid="payments.invoice_events.voided")
    invoice_paid.connect(on_paid, dispatch_uid="payments.invoice_events.paid")
    invoice_payment_failed.connect(on_payment_failed, dispatch_uid="payments.invoice_events.failed")
