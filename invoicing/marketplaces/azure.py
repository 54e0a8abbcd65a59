"""Azure Marketplace (SaaS) metered billing: POST /api/batchUsageEvent?api-version=2018-08-31
with up to 25 usage events, one per subscription (resourceId), dimension and hour.

Token: Microsoft's `azure-identity` ClientSecretCredential (msal underneath) with the listing's
tenant id, client id and client secret, for the marketplace metering resource's `.default`
scope. One credential per listing is kept, so its token is reused until msal refreshes it.

Idempotency: Azure accepts one event per resource, dimension and hour; a resend is answered
`Duplicate` (409 for a single event), which counts as accepted, with the accepted event's id.
"""

import functools
import uuid
from collections.abc import Sequence
from datetime import UTC
from typing import Any

import requests
from azure.identity import ClientSecretCredential
from django.conf import settings

from customers.models import BillingProvider
from invoicing.marketplaces.base import MarketplaceMeter, MeterResult
from invoicing.marketplaces.models import MarketplaceListingSettings, MarketplaceMeterRecord

SCOPE = "20e940b3-4c77-4b0b-9a53-9e16a1b010a7/.default"  # the marketplace metering API
API_VERSION = "2018-08-31"
TIMEOUT = (5, 30)  # connect, read seconds
NO_PLAN = (
    "No Azure plan id for this listing: set it on Settings → Marketplace metering, then retry."
)
# Refusals that a resend of the same event cannot fix.
FINAL_REFUSALS = {"Expired", "InvalidDimension", "InvalidQuantity", "BadArgument"}


class AzureMeteringError(Exception):
    pass


@functools.lru_cache(maxsize=64)
def credential(authority: str, tenant: str, client_id: str, secret: str) -> ClientSecretCredential:
    # The authority is our own setting (login.microsoftonline.com, or a sovereign cloud's),
    # so msal's instance discovery (which asks login.microsoftonline.com about it) is skipped.
    return ClientSecretCredential(
        tenant, client_id, secret, authority=authority, disable_instance_discovery=True,
        connection_timeout=TIMEOUT[0], read_timeout=TIMEOUT[1],
    )  # fmt: skip


def access_token(tenant: str, client_id: str, secret: str) -> str:
    """Raises azure.core.exceptions.ClientAuthenticationError when Entra ID refuses."""
    return credential(settings.AZURE_LOGIN_URL, tenant, client_id, secret).get_token(SCOPE).token


def _hour(record: MarketplaceMeterRecord) -> str:
    return record.hour.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def usage_event(record: MarketplaceMeterRecord, plan_id: str) -> dict[str, Any]:
    return {
        "resourceId": record.configuration.configuration["azure_subscription_id"],
        "quantity": record.quantity,
        "dimension": record.dimension,
        "effectiveStartTime": _hour(record),
        "planId": plan_id,
    }


def _result(item: dict[str, Any]) -> MeterResult:
    status = item.get("status", "")
    if status == "Accepted":
        return MeterResult(True, item.get("usageEventId", ""))
    error = item.get("error") or {}
    if status == "Duplicate":
        accepted = (error.get("additionalInfo") or {}).get("acceptedMessage") or {}
        return MeterResult(True, accepted.get("usageEventId", ""))
    message = error.get("message", "")
    return MeterResult(
        False, "", f"Azure: {status}{': ' + message if message else ''}",
        retry=status not in FINAL_REFUSALS,
    )  # fmt: skip


class AzureMarketplaceMeter(MarketplaceMeter):
    billing_provider = BillingProvider.AZURE_MARKETPLACE

    def submit(self, records: Sequence[MarketplaceMeterRecord]) -> dict[int, MeterResult]:
        listing = MarketplaceListingSettings.objects.filter(provider=self.provider).first()
        plan_id = listing.azure_plan_id if listing else ""
        if not plan_id:
            return {r.pk: MeterResult(False, error=NO_PLAN, retry=False) for r in records}
        config = self.provider.configuration
        token = access_token(
            config["azure_tenant_id"], config["azure_client_id"], self.provider.secret_key
        )
        events = [usage_event(r, plan_id) for r in records]
        response = requests.post(
            f"{settings.AZURE_MARKETPLACE_API_URL}/api/batchUsageEvent",
            params={"api-version": API_VERSION},
            json={"request": events},
            headers={
                "Authorization": f"Bearer {token}",
                "x-ms-requestid": str(uuid.uuid4()),
                # One correlation id per batch content: a resend of the same batch shares it.
                "x-ms-correlationid": str(
                    uuid.uuid5(uuid.NAMESPACE_URL, ",".join(str(r.public_id) for r in records))
                ),
            },
            timeout=TIMEOUT,
        )
        if response.status_code == 409:  # the whole batch was accepted before
            return {r.pk: MeterResult(True) for r in records}
        if response.status_code != 200:
            raise AzureMeteringError(
                f"Azure answered {response.status_code}: {response.text[:300]}"
            )
        by_key = {
            (e["resourceId"], e["dimension"], e["effectiveStartTime"]): r.pk
            for e, r in zip(events, records, strict=True)
        }
        out: dict[int, MeterResult] = {}
        for item in response.json().get("result") or []:
            start = str(item.get("effectiveStartTime", ""))[:19] + "Z"
            pk = by_key.get((item.get("resourceId"), item.get("dimension"), start))
            if pk is not None:
                out[pk] = _result(item)
        return out
