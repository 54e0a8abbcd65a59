"""Signals invoicing sends. Billing providers listen to them (connected in
InvoicingConfig.ready), so the close does not depend on the providers."""

from django.dispatch import Signal

# Sent by the close with `invoices`, the invoices it just finalized (inside its transaction).
invoices_finalized = Signal()

# Sent inside the transaction that made the transition, once per transition (the outbound
# `invoice.*` webhooks of the payments app listen): `invoice` voided; `invoice` paid at `at`;
# a payment of `invoice` failed (`attempt` numbers it, `error` says why).
invoice_voided = Signal()
invoice_paid = Signal()
invoice_payment_failed = Signal()
