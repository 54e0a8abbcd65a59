"""Whether an invoice can be paid by card now, and if not, why (what the embed, the console and
the API show instead of a Pay button); and whether, when and how it was paid."""

from dataclasses import dataclass
from datetime import datetime

from customers.models import BillingProvider
from invoicing.models import ExternalInvoice, ExternalStatus, Invoice, InvoiceStatus
from invoicing.providers.sync import invoice_configuration
from payments.models import ExternalPayment

NOT_FINALIZED = "Only finalized invoices can be paid; this one is {status}."
NOTHING_DUE = "Nothing to pay: the invoice total is zero."
NO_STRIPE = "No Stripe billing configuration for this contract or customer: card payment is not available."  # fmt: skip
NOT_SENT = "The invoice is still being sent to Stripe; try again in a minute."
NOT_STRIPE = "Billed through {provider}, which collects it: pay it there."
NO_KEY = "The Stripe account of this invoice has no API key."
ARCHIVED = "The Stripe billing configuration of this invoice was archived."
AT_STRIPE = {
    ExternalStatus.VOID: "The invoice is void in Stripe.",
    ExternalStatus.UNCOLLECTIBLE: "The invoice was marked uncollectible in Stripe.",
    ExternalStatus.QUEUED: NOT_SENT,
}
# Stripe invoice states a Checkout payment can settle (the invoice is owed and not collected).
PAYABLE_AT_STRIPE = {ExternalStatus.DRAFT, ExternalStatus.FINALIZED, ExternalStatus.PAYMENT_FAILED}


@dataclass(frozen=True)
class PayState:
    paid_at: datetime | None = None
    paid_how: str = ""  # "card" | "Stripe" | "external payment"
    reason: str = ""  # why it cannot be paid by card now (empty: it can)
    external: ExternalInvoice | None = None

    @property
    def payable(self) -> bool:
        return self.paid_at is None and not self.reason


def _external(invoice: Invoice) -> ExternalInvoice | None:
    return (
        ExternalInvoice.objects.select_related("provider", "configuration")
        .filter(invoice=invoice)
        .first()
    )


def pay_state(invoice: Invoice) -> PayState:
    recorded = ExternalPayment.objects.filter(invoice=invoice).first()
    if recorded is not None:
        return PayState(paid_at=recorded.paid_at, paid_how="external payment")
    external = _external(invoice)
    if external is not None and external.external_status == ExternalStatus.PAID:
        by_card = invoice.checkout_sessions.filter(status="PAID").exists()
        return PayState(paid_at=external.paid_at, paid_how="card" if by_card else "Stripe",
                        external=external)  # fmt: skip
    return PayState(reason=_reason(invoice, external), external=external)


def _reason(invoice: Invoice, external: ExternalInvoice | None) -> str:
    if invoice.status != InvoiceStatus.FINALIZED:
        return NOT_FINALIZED.format(status=invoice.get_status_display().lower())
    if invoice.total <= 0:
        return NOTHING_DUE
    if external is None:
        configuration = invoice_configuration(invoice)
        if configuration is None or configuration.billing_provider != BillingProvider.STRIPE:
            return NO_STRIPE
        return NOT_SENT
    if external.billing_provider != BillingProvider.STRIPE:
        return NOT_STRIPE.format(provider=external.billing_provider.replace("_", " ").title())
    if external.external_status not in PAYABLE_AT_STRIPE:
        return AT_STRIPE.get(external.external_status) or external.error or NO_STRIPE
    if external.configuration.archived_at is not None:
        return ARCHIVED
    if not external.provider.secret_key:
        return NO_KEY
    return ""
