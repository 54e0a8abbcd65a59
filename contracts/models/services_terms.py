"""Discounts and professional services: fixed terms of a contract billed on its SCHEDULED
invoices (invoicing/scheduled_terms.py).

A discount is a scheduled charge with the sign turned: each of its items takes its amount off
the SCHEDULED invoice dated at the item's timestamp (a negative line on its product). Amounts
are stored as sent, positive: the size of the reduction, in the contract's credit type unit
(USD cents by default).

A professional service is a capped term (quantity x unit price, up to `max_amount`) invoiced on
demand: each scheduleProServicesInvoice call records what it bills as ProServiceInvoiceItem
rows, and the invoices are built from them like scheduled charges.
"""

import uuid

from django.db import models

from billing_console.fields import RateField
from contracts.models.contract import Contract


class Discount(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="discounts")
    product = models.ForeignKey("pricing.Product", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200, blank=True)  # shown on the invoice line
    custom_fields = models.JSONField(default=dict, blank=True)
    netsuite_sales_order_id = models.CharField(max_length=255, blank=True)  # kept as sent
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]


class DiscountItem(models.Model):
    """One reduction: `amount` (positive, credit type unit, unrounded) off the SCHEDULED
    invoice at `timestamp`. A recurring schedule is stored as the items it expands to."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    discount = models.ForeignKey(Discount, on_delete=models.CASCADE, related_name="items")
    timestamp = models.DateTimeField()
    amount = RateField()  # quantity x unit_price, >= 0; billed as -amount
    quantity = RateField(default=1)
    unit_price = RateField()  # >= 0, credit type unit

    class Meta:
        ordering = ["timestamp", "pk"]


class ProfessionalService(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="professional_services"
    )
    product = models.ForeignKey("pricing.Product", on_delete=models.PROTECT, related_name="+")
    # What may be invoiced in all, in the credit type unit: the sum of the rounded line totals
    # of its invoice items never exceeds it (checked under a row lock when invoicing).
    max_amount = RateField()
    quantity = RateField()
    unit_price = RateField()  # credit type unit; a line may override it
    description = models.TextField(blank=True)
    custom_fields = models.JSONField(default=dict, blank=True)
    netsuite_sales_order_id = models.CharField(max_length=255, blank=True)  # kept as sent
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]


class ProServiceInvoiceItem(models.Model):
    """One line a scheduleProServicesInvoice call put on the SCHEDULED invoice dated
    `timestamp` (its issued_at). Append-only: a voided invoice's items are billed again by the
    invoice that replaces it, so they keep counting toward the service's max_amount."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    service = models.ForeignKey(
        ProfessionalService, on_delete=models.PROTECT, related_name="invoice_items"
    )
    timestamp = models.DateTimeField()
    quantity = RateField()
    unit_price = RateField()  # credit type unit
    amount = RateField()  # quantity x unit_price (or the amount sent), unrounded
    metadata = models.TextField(blank=True)  # for the client's use, shown on the line
    # The NetSuite billing period of the line, kept as sent and shown on the invoice line.
    netsuite_billing_start = models.DateTimeField(null=True, blank=True)
    netsuite_billing_end = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["timestamp", "pk"]
