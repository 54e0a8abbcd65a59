"""What the invoices embed and the console invoice page show of payment: paid (when, how), the
Pay button or payment link, or why card payment is not available; and, for a threshold invoice
gated EXTERNAL, the form that records an external payment."""

from typing import Any

from django import template

from contracts.models import ThresholdChargeStatus
from invoicing.models import Invoice
from payments.gates import gated_charge
from payments.models import CheckoutStatus
from payments.pay_state import PayState, pay_state

register = template.Library()


@register.inclusion_tag("payments/embed_pay.html")
def embed_pay(invoice: Invoice, token: str, checkout: str = "") -> dict[str, Any]:
    """`checkout`: "done" or "cancelled" when the customer just came back from Stripe."""
    state = pay_state(invoice)
    processing = invoice.checkout_sessions.filter(status=CheckoutStatus.PROCESSING).exists()
    return {"invoice": invoice, "token": token, "state": state, "checkout": checkout,
            "processing": processing}  # fmt: skip


@register.inclusion_tag("payments/invoice_payment.html", takes_context=True)
def invoice_payment(
    context: template.Context, invoice: Invoice, state: PayState | None = None
) -> dict[str, Any]:
    """`state`: the invoice's PayState when the page already has it (invoice_pay_state)."""
    state = state if state is not None else pay_state(invoice)
    link = invoice.checkout_sessions.filter(status=CheckoutStatus.OPEN).first()
    charge = gated_charge(invoice)
    sessions = list(invoice.checkout_sessions.order_by("-attempt")[:5])
    awaiting = charge is not None and charge.status == ThresholdChargeStatus.PENDING_PAYMENT
    return {
        "invoice": invoice,
        "state": state,
        "link": link,
        "sessions": sessions,
        "charge": charge,
        "awaiting_external": awaiting,
        "can_bill": context.get("can_bill"),
        "csrf_token": context.get("csrf_token"),
    }


@register.simple_tag
def invoice_pay_state(invoice: Invoice, states: dict[int, PayState] | None = None) -> Any:
    """The invoice's PayState (paid_at, payable, reason): the console invoice page's header
    badge and payment card; in a list, `states` (pay_states of the page's invoices) has it."""
    return states[invoice.pk] if states is not None else pay_state(invoice)
