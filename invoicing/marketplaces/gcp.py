"""GCP Marketplace usage reporting: Service Control `services.report`
(POST /v1/services/{serviceName}:report), one operation per record.

Client: `google-auth` alone (service-account credentials and its AuthorizedSession, which
fetches and refreshes the OAuth token from the key's token_uri). google-api-python-client
would add a discovery document, httplib2 and uritemplate to build the same one POST.

The listing's service name and service account key (JSON, encrypted at rest) are set on
Settings → Marketplace metering. The consumer is `project:<gcp_account_id>` of the customer's
configuration. Idempotency: operationId is a UUID derived from the record (listing, customer,
dimension, hour), so a resend is the same operation and Service Control counts it once.
"""

import json
import uuid
from collections.abc import Sequence
from datetime import UTC
from typing import Any

from django.conf import settings
from google.auth.transport.requests import AuthorizedSession
from google.oauth2 import service_account

from billing_console.encryption import decrypt_secret
from customers.models import BillingProvider
from invoicing.marketplaces.base import MarketplaceMeter, MeterResult
from invoicing.marketplaces.hourly import HOUR
from invoicing.marketplaces.models import MarketplaceListingSettings, MarketplaceMeterRecord

SCOPES = ["https://www.googleapis.com/auth/servicecontrol"]
TIMEOUT = 30  # seconds
NOT_SET_UP = (
    "No GCP service name or service account key for this listing: set them on "
    "Settings → Marketplace metering, then retry."
)


class GcpMeteringError(Exception):
    pass


def operation_id(record: MarketplaceMeterRecord) -> str:
    name = f"{record.configuration.public_id}:{record.dimension}:{record.hour.isoformat()}"
    return str(uuid.uuid5(uuid.NAMESPACE_URL, name))


def _time(value: Any) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def operation(record: MarketplaceMeterRecord, service: str) -> dict[str, Any]:
    metric = record.dimension if "/" in record.dimension else f"{service}/{record.dimension}"
    return {
        "operationId": operation_id(record),
        "operationName": "billing-console/hourly-usage",
        "consumerId": f"project:{record.configuration.configuration['gcp_account_id']}",
        "startTime": _time(record.hour),
        "endTime": _time(record.hour + HOUR),
        "metricValueSets": [
            {"metricName": metric, "metricValues": [{"int64Value": str(record.quantity)}]}
        ],
    }


def authorized_session(key_json: str) -> AuthorizedSession:
    info = json.loads(key_json)
    credentials = service_account.Credentials.from_service_account_info(info, scopes=SCOPES)
    return AuthorizedSession(credentials)


class GcpMarketplaceMeter(MarketplaceMeter):
    billing_provider = BillingProvider.GCP_MARKETPLACE

    def submit(self, records: Sequence[MarketplaceMeterRecord]) -> dict[int, MeterResult]:
        listing = MarketplaceListingSettings.objects.filter(provider=self.provider).first()
        if listing is None or not (listing.gcp_service_name and listing.gcp_service_account_key):
            return {r.pk: MeterResult(False, error=NOT_SET_UP, retry=False) for r in records}
        service = listing.gcp_service_name
        operations = [operation(r, service) for r in records]
        session = authorized_session(decrypt_secret(listing.gcp_service_account_key))
        response = session.post(
            f"{settings.GCP_SERVICE_CONTROL_URL}/v1/services/{service}:report",
            json={"operations": operations},
            timeout=TIMEOUT,
        )
        if response.status_code != 200:
            raise GcpMeteringError(f"GCP answered {response.status_code}: {response.text[:300]}")
        errors = {
            e.get("operationId"): (e.get("status") or {})
            for e in response.json().get("reportErrors") or []
        }
        out: dict[int, MeterResult] = {}
        for op, record in zip(operations, records, strict=True):
            status = errors.get(op["operationId"])
            if status is None:
                out[record.pk] = MeterResult(True, op["operationId"])
            else:
                # INVALID_ARGUMENT (3) cannot be fixed by a resend; others may be transient.
                out[record.pk] = MeterResult(
                    False, op["operationId"],
                    f"GCP: {status.get('code', '')} {status.get('message', '')}".strip(),
                    retry=status.get("code") != 3,
                )  # fmt: skip
        return out
