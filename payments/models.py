"""Payments of invoices that do not go through the Stripe invoice sync: Stripe Checkout
Sessions (the customer pays by card from the embed, or from a link finance sends) and external
payments finance records (a payment-gated threshold invoice paid outside Billing Console)."""

import uuid

from auditlog.registry import auditlog
from django.conf import settings
from django.db import models
from django.db.models import Q

from billing_console.fields import AmountField


class CheckoutStatus(models.TextChoices):
    OPEN = "OPEN"  # the customer may still pay on Stripe's page
    PROCESSING = "PROCESSING"  # completed with a delayed payment method; awaiting its result
    PAID = "PAID"
    FAILED = "FAILED"  # the delayed payment failed
    EXPIRED = "EXPIRED"  # Stripe expired the session unpaid


class CheckoutSession(models.Model):
    """One Stripe Checkout Session for an invoice: attempt 1, 2, ... per invoice (a new one only
    once the previous is no longer open). Paying it marks the invoice paid (its ExternalInvoice,
    as saved-card payments do) and settles the Stripe invoice out of band, each step recorded."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    invoice = models.ForeignKey(
        "invoicing.Invoice", on_delete=models.PROTECT, related_name="checkout_sessions"
    )
    external = models.ForeignKey(
        "invoicing.ExternalInvoice", on_delete=models.PROTECT, related_name="+"
    )
    provider = models.ForeignKey(
        "customers.ConfiguredBillingProvider", on_delete=models.PROTECT, related_name="+"
    )
    attempt = models.PositiveSmallIntegerField()  # 1, 2, ... per invoice: the idempotency key
    session_id = models.CharField(max_length=255, blank=True)  # cs_...; empty until Stripe answers
    url = models.URLField(max_length=2000, blank=True)  # Stripe's hosted payment page
    status = models.CharField(
        max_length=12, choices=CheckoutStatus.choices, default=CheckoutStatus.OPEN
    )
    amount = AmountField()  # charged, in the invoice's currency minor unit (USD cents), as sent
    currency = models.CharField(max_length=3)  # lower case, as Stripe has it
    created_via = models.CharField(max_length=10)  # "embed" | "console" | "api"
    expires_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    payment_intent_id = models.CharField(max_length=255, blank=True)  # pi_...
    # Step after payment: the Stripe invoice marked paid out of band, so Stripe never collects
    # it again. Null until done; the completion retries it until it is.
    stripe_invoice_settled_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "attempt"], name="checkout_session_attempt_once"
            ),
            # At most one open session per invoice: the Pay button reuses it.
            models.UniqueConstraint(
                fields=["invoice"],
                condition=Q(status="OPEN"),
                name="checkout_session_one_open",
            ),
        ]

    def __str__(self) -> str:
        return f"Checkout {self.session_id or self.public_id}"


class ExternalPayment(models.Model):
    """A payment finance received outside Billing Console (a wire, a cheque...) and recorded
    against a payment-gated threshold invoice, which releases its commit. One per invoice."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    invoice = models.OneToOneField(
        "invoicing.Invoice", on_delete=models.PROTECT, related_name="external_payment"
    )
    reference = models.CharField(max_length=200, blank=True)  # the payer's transfer reference
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip  # null when recorded through the API
    paid_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"External payment of {self.invoice}"


# Who opened a checkout, for what amount, is audited (finance's "Send payment link", the API,
# the embed's Pay); what Stripe then reports (status, payment, settling) is system bookkeeping
# (issue #23 item 3), shown on the invoice page, so its fields make no entry.
auditlog.register(
    CheckoutSession,
    exclude_fields=["status", "paid_at", "payment_intent_id", "stripe_invoice_settled_at",
                    "error", "updated_at"],
)  # fmt: skip
auditlog.register(ExternalPayment)
