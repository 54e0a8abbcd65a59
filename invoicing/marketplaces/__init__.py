"""Cloud marketplace metering (AWS, Azure, GCP): usage is metered hourly as it accrues
(hourly.py records each complete hour per dimension, sending.py sends), not per invoice.

A finalized invoice of a marketplace customer is not sent anywhere: the marketplace bills the
customer from the hourly records, which the invoice page lists for the invoice's period."""

from django.db import transaction

from invoicing.models import ExternalInvoice, ExternalStatus

METERED_HOURLY = (
    "Metered hourly as usage accrued; the marketplace bills from those records "
    "(listed under Marketplace metering on the invoice)."
)


def marketplace_invoice_meter(*, external_id: int) -> ExternalInvoice:
    """At finalize: nothing is sent (every hour of the period is metered on its own, the last
    one within the hour after the period ends), so nothing is metered twice. The invoice's
    external record says so."""
    with transaction.atomic():
        external = ExternalInvoice.objects.select_for_update().get(pk=external_id)
        if external.external_status == ExternalStatus.QUEUED:
            external.external_status = ExternalStatus.SKIPPED
            external.error = METERED_HOURLY
            external.save(update_fields=["external_status", "error", "updated_at"])
        return external
