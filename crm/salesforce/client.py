"""Talking to Salesforce through simple-salesforce: log in, upsert one record by external id.

Login goes to the org's My Domain host (from the instance URL): a SOAP login with username,
password and security token, or the OAuth 2.0 client credentials flow of a connected app. Each
push logs in afresh (a session id is not kept between tasks). `http_session()` is the one seam
tests replace, to route the calls to a local fake Salesforce.
"""

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlparse

import requests
from django.conf import settings
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceAuthenticationFailed, SalesforceError

from billing_console.encryption import SecretUnreadable, decrypt_secret
from crm.models import AuthMethod, SalesforceConnection

SALESFORCE_SUFFIX = ".salesforce.com"
ERROR_EXCERPT = 1000


class _TimeoutSession(requests.Session):
    """requests has no default timeout; simple-salesforce passes none."""

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", settings.SALESFORCE_TIMEOUT_SECONDS)
        return super().request(*args, **kwargs)


def http_session() -> requests.Session:
    return _TimeoutSession()


def login_domain(instance_url: str) -> str:
    """simple-salesforce logs in at https://<domain>.salesforce.com: the My Domain part."""
    host = (urlparse(instance_url).hostname or "").lower()
    return host.removesuffix(SALESFORCE_SUFFIX)


def connect(connection: SalesforceConnection) -> Salesforce:
    common = {
        "domain": login_domain(connection.instance_url),
        "version": connection.api_version,
        "session": http_session(),
    }
    if connection.auth_method == AuthMethod.CLIENT_CREDENTIALS:
        return Salesforce(
            consumer_key=connection.consumer_key,
            consumer_secret=decrypt_secret(connection.consumer_secret_encrypted),
            **common,
        )
    return Salesforce(
        username=connection.username,
        password=decrypt_secret(connection.password_encrypted),
        security_token=decrypt_secret(connection.security_token_encrypted)
        if connection.security_token_encrypted
        else "",
        **common,
    )


@dataclass(frozen=True)
class UpsertResult:
    ok: bool
    salesforce_id: str = ""
    error: str = ""
    retry: bool = False  # a fault that may pass (5xx, network, expired session)


def _error_text(err: SalesforceError) -> str:
    content = err.content
    if isinstance(content, list) and content and isinstance(content[0], dict):
        first = content[0]
        text = f"{first.get('errorCode', '')}: {first.get('message', '')}"
        if first.get("fields"):
            text += f" (fields: {', '.join(first['fields'])})"
        return f"HTTP {err.status}, {text}"[:ERROR_EXCERPT]
    return f"HTTP {err.status}, {content}"[:ERROR_EXCERPT]


def upsert(
    connection: SalesforceConnection, *, sobject: str, external_id_field: str,
    external_id: str, body: dict[str, Any],
) -> UpsertResult:  # fmt: skip
    """PATCH /services/data/vXX.X/sobjects/<sobject>/<external_id_field>/<external_id>: creates
    the record or updates the one holding that external id, so a repeated push is harmless."""
    try:
        sf = connect(connection)
        path = f"{external_id_field}/{quote(external_id, safe='')}"
        response = getattr(sf, sobject).upsert(path, body, raw_response=True)
    except SecretUnreadable as err:
        return UpsertResult(False, error=str(err))
    except SalesforceAuthenticationFailed as err:
        # Wrong credentials stay wrong (not retried until someone fixes the connection); a
        # login server error (HTTP 5xx) may pass.
        retry = isinstance(err.code, int) and err.code >= 500
        text = f"Login refused: {err.code}: {err.auth_message}"
        return UpsertResult(False, error=text[:ERROR_EXCERPT], retry=retry)
    except SalesforceError as err:
        retry = err.status is None or err.status >= 500 or err.status == 401
        return UpsertResult(False, error=_error_text(err), retry=retry)
    except requests.RequestException as err:
        return UpsertResult(False, error=f"{type(err).__name__}: {err}"[:ERROR_EXCERPT], retry=True)
    # 201 with {"id", "success", "created": true}; an update answers 200 with the same body
    # (API 46.0 and later) or 204 with none.
    salesforce_id = ""
    if response.content:
        try:
            salesforce_id = str(response.json().get("id") or "")
        except ValueError:
            salesforce_id = ""
    return UpsertResult(True, salesforce_id=salesforce_id)
