"""GCP Marketplace entitlements, read from the Cloud Commerce Partner Procurement API
(GET /v1/providers/{provider}/entitlements/{entitlement}): a GCP customer's usage is reported
with the entitlement's `usageReportingId` as Service Control consumerId, and only while the
entitlement is in force.

Read with the listing's service-account key (google-auth's AuthorizedSession; a self-signed JWT
scoped to cloud-platform, AIP-4111). The provider (Partner) id is the GCP_PROCUREMENT_PROVIDER_ID
setting. An entitlement is read once per sending batch (kept on the meter, never across runs),
so a cancelled or suspended entitlement stops the reports on the next run.
"""

import json
import urllib.parse

import requests
from django.conf import settings
from google.auth.exceptions import GoogleAuthError
from google.auth.transport.requests import AuthorizedSession
from google.oauth2 import service_account

SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]
TIMEOUT = 30.0  # seconds
# States in which Google bills reported usage: active, cancelled by the customer but in force
# until the end of the term, or active with a plan change pending.
REPORTING_STATES = frozenset({
    "ENTITLEMENT_ACTIVE",
    "ENTITLEMENT_PENDING_CANCELLATION",
    "ENTITLEMENT_PENDING_PLAN_CHANGE",
    "ENTITLEMENT_PENDING_PLAN_CHANGE_APPROVAL",
})  # fmt: skip
NO_PROVIDER_ID = (
    "GCP_PROCUREMENT_PROVIDER_ID (the Partner id of the Procurement API) is not set, so the "
    "entitlement's usage reporting id cannot be read: set it, then retry."
)


class EntitlementProblem(Exception):
    """Why a record cannot be reported against its entitlement (kept on the record)."""

    def __init__(self, message: str, retry: bool = True) -> None:
        super().__init__(message)
        self.message, self.retry = message, retry


class EntitlementReader:
    """The usage reporting ids of one listing's entitlements, each read at most once."""

    def __init__(self, key_json: str) -> None:
        credentials = service_account.Credentials.from_service_account_info(
            json.loads(key_json), scopes=SCOPES, always_use_jwt_access=True
        )
        self._session = AuthorizedSession(credentials)
        self._read: dict[str, str | EntitlementProblem] = {}

    def close(self) -> None:
        self._session.close()

    def usage_reporting_id(self, entitlement_id: str) -> str:
        """The entitlement's usageReportingId; EntitlementProblem when it is not in force or
        cannot be read."""
        if entitlement_id not in self._read:
            try:
                self._read[entitlement_id] = self._fetch(entitlement_id)
            except EntitlementProblem as problem:
                self._read[entitlement_id] = problem
        found = self._read[entitlement_id]
        if isinstance(found, EntitlementProblem):
            raise found
        return found

    def _fetch(self, entitlement_id: str) -> str:
        provider = settings.GCP_PROCUREMENT_PROVIDER_ID
        if not provider:
            raise EntitlementProblem(NO_PROVIDER_ID, retry=False)
        name = "/".join(
            urllib.parse.quote(part, safe="")
            for part in ("providers", provider, "entitlements", entitlement_id)
        )
        url = f"{settings.GCP_PROCUREMENT_URL.rstrip('/')}/v1/{name}"
        try:
            response = self._session.get(url, timeout=TIMEOUT)
        except (requests.RequestException, GoogleAuthError) as err:
            raise EntitlementProblem(f"GCP entitlement {entitlement_id}: {err}"[:2000]) from err
        if response.status_code != 200:
            raise EntitlementProblem(
                f"GCP entitlement {entitlement_id}: {response.status_code} "
                f"{_error_message(response)}".strip()
            )
        entitlement = response.json()
        state = entitlement.get("state", "")
        if state not in REPORTING_STATES:
            raise EntitlementProblem(
                f"GCP entitlement {entitlement_id} is {state or 'without a state'}, not active: "
                "usage is not reported until it is active (retried)."
            )
        reporting_id = entitlement.get("usageReportingId", "")
        if not reporting_id:
            raise EntitlementProblem(f"GCP entitlement {entitlement_id} has no usageReportingId.")
        return reporting_id


def _error_message(response: requests.Response) -> str:
    try:
        return str(response.json()["error"]["message"])[:500]
    except (ValueError, KeyError, TypeError):
        return response.text[:500]
