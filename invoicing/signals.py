"""Signals invoicing sends. Billing providers listen to them (connected in
InvoicingConfig.ready), so the close does not depend on the providers."""

from django.dispatch import Signal

# Sent by the close with `invoices`, the invoices it just finalized (inside its transaction).
invoices_finalized = Signal()
