"""One POST to an address checked by webhooks/targets.py, never to a fresh DNS answer.

The request URL names the checked IP; the Host header keeps the endpoint's host name, and for
HTTPS the name is still sent as SNI and verified against the certificate. Redirects are not
followed, and proxies and .netrc from the environment are ignored (a proxy would resolve the
name itself). Only the first bytes of the response body are read.
"""

import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import HTTPError, NewConnectionError

from webhooks.targets import Target

BODY_READ_BYTES = 2048  # of the response body, at most; the rest is never read
# Addresses tried in turn while a connection cannot be opened (nothing was sent yet).
MAX_ADDRESSES = 3
# Certificate verification: True (the certifi bundle) or a CA bundle path. The session ignores
# the environment, so the CA bundle variables requests itself would read are honoured here.
TLS_VERIFY: bool | str = (
    os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
)


@dataclass(frozen=True)
class Reply:
    status_code: int
    body: str  # the first BODY_READ_BYTES of the body, decoded as UTF-8 (invalid bytes replaced)


class _PinnedAdapter(HTTPAdapter):
    """Connections go to the URL's host (an IP); TLS sends and verifies `server_hostname`."""

    def __init__(self, server_hostname: str) -> None:
        self.server_hostname = server_hostname
        super().__init__(max_retries=0)

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: bool | str, cert: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(
            request, verify, cert
        )
        if host_params["scheme"] == "https":
            pool_kwargs["server_hostname"] = self.server_hostname
            pool_kwargs["assert_hostname"] = self.server_hostname
        return host_params, pool_kwargs


def _pinned_url(url: str, target: Target, address: str) -> str:
    parts = urlsplit(url)
    userinfo = parts.netloc.rpartition("@")[0]  # kept: requests turns it into Basic auth
    host = f"[{address}]" if ":" in address else address
    netloc = f"{userinfo}@{host}:{target.port}" if userinfo else f"{host}:{target.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


def _not_connected(err: requests.ConnectionError) -> bool:
    """True when no connection was opened, so nothing was sent and another address may be tried."""
    if isinstance(err, requests.ConnectTimeout):
        return True
    reason = getattr(err.args[0], "reason", None) if err.args else None
    return isinstance(reason, NewConnectionError)


def post(
    target: Target, url: str, *, body: bytes, headers: dict[str, str], timeout: tuple[int, int]
) -> Reply:
    """POST `body` to `url` at one of `target.addresses`; requests' exceptions propagate."""
    with requests.Session() as session:
        session.trust_env = False
        adapter = _PinnedAdapter(target.hostname)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        addresses = target.addresses[:MAX_ADDRESSES]
        for index, address in enumerate(addresses):
            try:
                response = session.post(
                    _pinned_url(url, target, address),
                    data=body,
                    headers={**headers, "Host": target.host_header},
                    timeout=timeout,
                    allow_redirects=False,
                    stream=True,
                    verify=TLS_VERIFY,
                )
            except requests.ConnectionError as err:
                if index + 1 < len(addresses) and _not_connected(err):
                    continue
                raise
            with response:
                try:
                    excerpt = response.raw.read(BODY_READ_BYTES, decode_content=True) or b""
                except (HTTPError, OSError):  # it answered; a body cut short is still an answer
                    excerpt = b""
            return Reply(response.status_code, excerpt.decode("utf-8", errors="replace"))
    raise AssertionError("a Target has at least one address")
