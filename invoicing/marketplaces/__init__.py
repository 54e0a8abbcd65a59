"""Metering finalized invoices to cloud marketplaces through one adapter interface (base.py)."""

from django.db import transaction
from django.utils import timezone

from customers.models import BillingProvider, ConfiguredBillingProvider
from invoicing.marketplaces.base import MarketplaceMeter, UsageRecord
from invoicing.models import ExternalInvoice, ExternalStatus


class UnprocessedRecordError(Exception):
    """The marketplace did not process the record; the task retries it."""


def meter_for(provider: ConfiguredBillingProvider) -> MarketplaceMeter | None:
    if provider.billing_provider == BillingProvider.AWS_MARKETPLACE:
        from invoicing.marketplaces.aws import AwsMarketplaceMeter

        return AwsMarketplaceMeter(provider)
    return None  # Azure and GCP: configurations stored and validated; no adapter yet


def _locked(external_id: int) -> ExternalInvoice:
    return (
        ExternalInvoice.objects.select_for_update()
        .select_related("invoice__credit_type", "configuration", "provider")
        .get(pk=external_id)
    )


def _record(external: ExternalInvoice) -> UsageRecord:
    config = external.configuration.configuration
    return UsageRecord(
        customer_identifier=config.get("aws_customer_id", external.configuration.external_id),
        dimension=external.provider.configuration.get("aws_metering_dimension", "cents"),
        # Fiat amounts are in minor units and invoice lines are rounded to whole units.
        quantity=int(external.invoice.total.to_integral_value()),
        timestamp=external.issued_at,  # type: ignore[arg-type]
    )


def marketplace_invoice_meter(*, external_id: int) -> ExternalInvoice:
    """Meter the invoice total once. The timestamp is stored before sending, so a resend after
    a lost answer is the same record (AWS answers DuplicateRecord) and never a second one."""
    with transaction.atomic():
        external = _locked(external_id)
        if external.external_status != ExternalStatus.QUEUED:
            return external
        meter = meter_for(external.provider)
        invoice = external.invoice
        reason = ""
        if meter is None:
            reason = f"No metering adapter for {external.billing_provider} yet."
        elif external.configuration.archived_at is not None:
            reason = "The billing provider configuration was archived before metering."
        elif not invoice.credit_type.is_fiat or invoice.total <= 0:
            reason = "Nothing to meter: no positive amount in a currency."
        if reason:
            external.external_status = ExternalStatus.SKIPPED
            external.error = reason
            external.save(update_fields=["external_status", "error", "updated_at"])
            return external
        if external.issued_at is None:
            external.issued_at = timezone.now()
            external.save(update_fields=["issued_at", "updated_at"])
    # The marketplace call runs outside the transaction that recorded the timestamp.
    with transaction.atomic():
        external = _locked(external_id)
        if external.external_status != ExternalStatus.QUEUED:
            return external
        assert meter is not None
        result = meter.submit(_record(external), external.configuration.configuration)
        if result.retry:
            raise UnprocessedRecordError(result.error)
        external.external_id = result.external_id
        external.external_status = (
            ExternalStatus.SENT if result.accepted else ExternalStatus.INVALID_REQUEST_ERROR
        )
        external.error = result.error
        external.save()
        return external
