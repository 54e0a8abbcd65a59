"""GCP Marketplace usage reporting: Service Control `services.report`
(POST /v1/services/{serviceName}:report), one operation per record.

Client: Google's maintained `google-cloud-service-control` (ServiceControllerClient, REST
transport) with the listing's service-account credentials; as Google's client libraries do
(AIP-4111), it authorises with a self-signed JWT scoped to Service Control, signed by the key.

The listing's service name and service account key (JSON, encrypted at rest) are set on
Settings → Marketplace metering. The consumer is the `usageReportingId` of the customer's
entitlement (`gcp_entitlement_id`, read from the Procurement API by gcp_entitlements.py); a record
whose entitlement is not in force is kept as failed and retried, the others are sent. A legacy
configuration without an entitlement id reports as `project:<gcp_account_id>`. Idempotency: operationId is a UUID derived from the record (listing, customer,
dimension, hour), so a resend is the same operation and Service Control counts it once.
"""

import json
import uuid
from collections.abc import Sequence

from django.conf import settings
from google.api_core.client_options import ClientOptions
from google.cloud import servicecontrol_v1
from google.oauth2 import service_account

from billing_console.encryption import decrypt_secret
from customers.models import BillingProvider
from invoicing.marketplaces.base import MarketplaceMeter, MeterResult
from invoicing.marketplaces.gcp_entitlements import EntitlementProblem, EntitlementReader
from invoicing.marketplaces.hourly import HOUR
from invoicing.marketplaces.models import MarketplaceListingSettings, MarketplaceMeterRecord

SCOPES = ["https://www.googleapis.com/auth/servicecontrol"]
TIMEOUT = 30.0  # seconds
INVALID_ARGUMENT = 3  # google.rpc.Code: a resend of the same operation cannot fix it
NOT_SET_UP = (
    "No GCP service name or service account key for this listing: set them on "
    "Settings → Marketplace metering, then retry."
)


def operation_id(record: MarketplaceMeterRecord) -> str:
    name = f"{record.configuration.public_id}:{record.dimension}:{record.hour.isoformat()}"
    return str(uuid.uuid5(uuid.NAMESPACE_URL, name))


def operation(
    record: MarketplaceMeterRecord, service: str, consumer: str
) -> servicecontrol_v1.Operation:
    metric = record.dimension if "/" in record.dimension else f"{service}/{record.dimension}"
    return servicecontrol_v1.Operation(
        operation_id=operation_id(record),
        operation_name="billing-console/hourly-usage",
        consumer_id=consumer,
        start_time=record.hour,
        end_time=record.hour + HOUR,
        metric_value_sets=[
            servicecontrol_v1.MetricValueSet(
                metric_name=metric,
                metric_values=[servicecontrol_v1.MetricValue(int64_value=record.quantity)],
            )
        ],
    )


def service_controller(key_json: str) -> servicecontrol_v1.ServiceControllerClient:
    credentials = service_account.Credentials.from_service_account_info(
        json.loads(key_json), scopes=SCOPES
    )
    return servicecontrol_v1.ServiceControllerClient(
        credentials=credentials,
        transport="rest",
        client_options=ClientOptions(api_endpoint=settings.GCP_SERVICE_CONTROL_URL),
    )


def consumer_id(record: MarketplaceMeterRecord, entitlements: EntitlementReader) -> str:
    config = record.configuration.configuration
    entitlement = config.get("gcp_entitlement_id")
    if entitlement:
        return entitlements.usage_reporting_id(entitlement)
    return f"project:{config['gcp_account_id']}"


class GcpMarketplaceMeter(MarketplaceMeter):
    billing_provider = BillingProvider.GCP_MARKETPLACE

    def submit(self, records: Sequence[MarketplaceMeterRecord]) -> dict[int, MeterResult]:
        listing = MarketplaceListingSettings.objects.filter(provider=self.provider).first()
        if listing is None or not (listing.gcp_service_name and listing.gcp_service_account_key):
            return {r.pk: MeterResult(False, error=NOT_SET_UP, retry=False) for r in records}
        service = listing.gcp_service_name
        key_json = decrypt_secret(listing.gcp_service_account_key)
        out: dict[int, MeterResult] = {}
        to_send: list[MarketplaceMeterRecord] = []
        entitlements = EntitlementReader(key_json)
        try:
            consumers = {}
            for record in records:
                try:
                    consumers[record.pk] = consumer_id(record, entitlements)
                except EntitlementProblem as problem:
                    out[record.pk] = MeterResult(False, error=problem.message, retry=problem.retry)
                else:
                    to_send.append(record)
        finally:
            entitlements.close()
        if to_send:
            out.update(self._report(key_json, service, to_send, consumers))
        return out

    def _report(
        self, key_json: str, service: str, records: list[MarketplaceMeterRecord],
        consumers: dict[int, str],
    ) -> dict[int, MeterResult]:  # fmt: skip
        operations = [operation(r, service, consumers[r.pk]) for r in records]
        client = service_controller(key_json)
        # A refused call raises google.api_core.exceptions.GoogleAPICallError (the batch is
        # retried by sending.py); nothing is retried inside the call, so a resend is ours.
        with client:
            response = client.report(
                request=servicecontrol_v1.ReportRequest(
                    service_name=service, operations=operations
                ),
                retry=None,
                timeout=TIMEOUT,
            )
        errors = {e.operation_id: e.status for e in response.report_errors}
        out: dict[int, MeterResult] = {}
        for op, record in zip(operations, records, strict=True):
            status = errors.get(op.operation_id)
            if status is None:
                out[record.pk] = MeterResult(True, op.operation_id)
            else:
                out[record.pk] = MeterResult(
                    False, op.operation_id, f"GCP: {status.code} {status.message}".strip(),
                    retry=status.code != INVALID_ARGUMENT,
                )  # fmt: skip
        return out
