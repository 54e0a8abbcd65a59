"""Tax computed by a tax provider (Avalara AvaTax, Anrok) for a finalized invoice, the
customer address it is computed for, and Anrok's API key per configured billing provider.

Amounts are in the invoice's credit type unit (USD cents, as invoices store them), as the
provider reports them: the provider's figure is authoritative, we never recompute it.
"""

import uuid

from auditlog.registry import auditlog
from django.db import models

from billing_console.fields import AmountField


class CustomerTaxAddress(models.Model):
    """Where a customer is taxed (the ship-to address of a digital sale). Customers have no
    address on Metronome's wire, so it is set in the console (Customer → Tax address)."""

    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.CASCADE, related_name="tax_address"
    )
    line1 = models.CharField(max_length=200)
    line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100)
    region = models.CharField(max_length=100, blank=True)  # state / province code: "NY"
    postal_code = models.CharField(max_length=20)
    country = models.CharField(max_length=2)  # ISO 3166-1 alpha-2, upper case: "US"
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        parts = [self.line1, self.line2, self.city, self.region, self.postal_code, self.country]
        return ", ".join(p for p in parts if p)


class AnrokCredentials(models.Model):
    """Anrok's API key for the invoices of one configured billing provider. Encrypted at rest
    (billing_console.encryption), never on the wire nor in the audit log: the console shows
    only its last four characters."""

    provider = models.OneToOneField(
        "customers.ConfiguredBillingProvider",
        on_delete=models.CASCADE,
        related_name="anrok_credentials",
    )
    api_key_encrypted = models.TextField()  # a Fernet token
    api_key_last4 = models.CharField(max_length=4)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Anrok for {self.provider}"


class TaxProviderName(models.TextChoices):
    """The wire's tax_provider values (customer billing provider configurations)."""

    STRIPE = "stripe", "Stripe Tax"
    AVALARA = "avalara", "Avalara AvaTax"
    ANROK = "anrok", "Anrok"


class TaxStatus(models.TextChoices):
    PENDING = "PENDING"  # to be computed (or retried after a failure)
    CALCULATED = "CALCULATED"  # saved at the provider, not committed (Avalara commit off)
    COMMITTED = "COMMITTED"  # recorded for filing (Avalara committed; Anrok createOrUpdate)
    FAILED = "FAILED"  # the provider refused or could not be reached; see `error`
    VOIDED = "VOIDED"  # the invoice was voided and so was the provider's transaction


class InvoiceTax(models.Model):
    """The tax of one finalized invoice, computed once by its configuration's tax provider.

    The provider's transaction is keyed by our invoice id (Avalara `code`, Anrok `id`), so a
    retried computation replaces the same transaction instead of recording a second one."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    invoice = models.OneToOneField(
        "invoicing.Invoice", on_delete=models.PROTECT, related_name="tax"
    )
    configured_provider = models.ForeignKey(
        "customers.ConfiguredBillingProvider", on_delete=models.PROTECT, related_name="+"
    )
    provider = models.CharField(max_length=16, choices=TaxProviderName.choices)
    status = models.CharField(max_length=12, choices=TaxStatus.choices, default=TaxStatus.PENDING)
    transaction_id = models.CharField(max_length=255, blank=True)  # the provider's key
    company_code = models.CharField(max_length=50, blank=True)  # Avalara: for the void call
    # As the provider reports them, in the invoice's credit type unit (USD cents).
    total_tax = AmountField(null=True, blank=True)
    total_taxable = AmountField(null=True, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    calculated_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            # The retry sweep selects failed and stale pending computations.
            models.Index(fields=["status", "updated_at"], name="invoice_tax_retry_due")
        ]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} tax on {self.invoice}"


class LineTax(models.Model):
    """The tax the provider computed for one invoice line."""

    invoice_tax = models.ForeignKey(InvoiceTax, on_delete=models.CASCADE, related_name="lines")
    line = models.OneToOneField("invoicing.LineItem", on_delete=models.CASCADE, related_name="tax")
    taxable_amount = AmountField()  # credit type unit (USD cents), as the provider reports it
    tax_amount = AmountField()  # likewise; the provider rounds it
    # Per jurisdiction, as reported: [{"name", "rate", "tax"}] (rate a decimal string, 0..1)
    jurisdictions = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["line__position", "pk"]


auditlog.register(CustomerTaxAddress)
auditlog.register(AnrokCredentials, exclude_fields=["api_key_encrypted"])
# InvoiceTax is not audited: only the tax task writes it (system bookkeeping, issue #23 item
# 3), and the row keeps its own history (attempts, error, calculated_at, voided_at). What a
# person does to it is audited where it is decided: the tax address, the provider credentials,
# the billing configuration's tax_provider; "Retry tax" only asks the task to run again.
