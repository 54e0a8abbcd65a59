"""Recording an external payment of a payment-gated threshold invoice (threshold billing or
auto-recharge with an EXTERNAL payment gate): the gated commit is released. Idempotent per
invoice; audit-logged (ExternalPayment is registered with auditlog, and the actor is the
console user or the API token's user)."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from billing_console.api import ApplicationError
from contracts.models import ThresholdCharge, ThresholdChargeStatus
from invoicing.models import Invoice, InvoiceStatus
from invoicing.signals import invoice_paid
from invoicing.thresholds import payment_gate_mark_paid
from payments.models import ExternalPayment

NOT_GATED = "invoice_id: invoice {id} is not a payment-gated threshold invoice; only those take an external payment."  # fmt: skip
NOT_EXTERNAL = "invoice_id: invoice {id} is gated on Stripe: its payment is collected in Stripe, not recorded here."  # fmt: skip
ALREADY_PAID = "invoice_id: invoice {id} is already paid; its commit was released on {at}."
GATE_FAILED = "invoice_id: the payment of invoice {id} already failed: the invoice is void and its commit archived."  # fmt: skip
NOT_FINALIZED = "invoice_id: invoice {id} is {status}; only a finalized invoice can be paid."
REFERENCE_TOO_LONG = "reference: at most 200 characters."


def gated_charge(invoice: Invoice) -> ThresholdCharge | None:
    """The threshold charge an invoice bills, if its commit waits on an EXTERNAL gate."""
    return ThresholdCharge.objects.filter(
        invoice_public_id=invoice.public_id, payment_gate_type="EXTERNAL"
    ).first()


@transaction.atomic
def external_payment_record(
    *, invoice: Invoice, reference: str = "", user=None, now: datetime | None = None
) -> ExternalPayment:
    """400 naming why for an invoice that is not EXTERNAL-gated, not finalized, or whose gate
    already failed, or that is paid already (a retry changes nothing)."""
    now = now or timezone.now()
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if len(reference) > 200:
        raise ApplicationError(REFERENCE_TOO_LONG)
    charge = ThresholdCharge.objects.select_for_update().filter(invoice_public_id=invoice.public_id).first()  # fmt: skip
    if charge is None or charge.payment_gate_type == "NONE":
        raise ApplicationError(NOT_GATED.format(id=invoice.public_id))
    if charge.payment_gate_type != "EXTERNAL":
        raise ApplicationError(NOT_EXTERNAL.format(id=invoice.public_id))
    if charge.status == ThresholdChargeStatus.RELEASED or hasattr(invoice, "external_payment"):
        at = charge.resolved_at or now
        raise ApplicationError(ALREADY_PAID.format(id=invoice.public_id, at=f"{at:%b %-d, %Y}"))  # fmt: skip
    if charge.status == ThresholdChargeStatus.FAILED:
        raise ApplicationError(GATE_FAILED.format(id=invoice.public_id))
    if invoice.status != InvoiceStatus.FINALIZED:
        raise ApplicationError(NOT_FINALIZED.format(id=invoice.public_id, status=invoice.status.lower()))  # fmt: skip
    payment = ExternalPayment.objects.create(
        invoice=invoice, reference=reference.strip(), recorded_by=user, paid_at=now
    )
    payment_gate_mark_paid(invoice=invoice, now=now)
    invoice_paid.send(Invoice, invoice=invoice, at=now)
    return payment
