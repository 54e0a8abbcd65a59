"""Sending finalized invoices to billing providers (Stripe; marketplaces in
invoicing/marketplaces) and collecting payment."""
