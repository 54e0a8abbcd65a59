"""Local fakes of the Azure and GCP marketplace metering APIs (with Entra ID's tenant discovery
and token endpoint, GCP's Procurement entitlements, and a check of GCP's self-signed
service-account JWTs): an HTTPS
http.server on 127.0.0.1 in a thread that checks what the documentation requires of each
request, records it, and answers as the provider does, deduplicating per hour like it."""

import functools
import json
import os
import re
import ssl
import tempfile
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_address
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from google.auth import jwt

AZURE_RESOURCE = "20e940b3-4c77-4b0b-9a53-9e16a1b010a7"
GCP_SCOPE = "https://www.googleapis.com/auth/servicecontrol"
GCP_PROCUREMENT_SCOPE = "https://www.googleapis.com/auth/cloud-platform"


@dataclass
class Fake:
    url: str = ""
    requests: list[tuple[str, dict[str, str], Any]] = field(default_factory=list)
    accepted: dict[tuple, str] = field(default_factory=dict)  # provider's dedupe key -> id
    fail_next: list[int] = field(default_factory=list)  # statuses to answer before working
    refuse: set[str] = field(default_factory=set)  # dimensions answered with an error
    gcp_keys: dict[str, str] = field(default_factory=dict)  # service account key id -> public PEM
    gcp_client_email: str = ""
    gcp_provider_id: str = "example-partner"  # the Procurement API's provider (Partner) id
    gcp_entitlements: dict[str, dict] = field(default_factory=dict)  # entitlement id -> resource

    def calls(self, prefix: str) -> list[tuple[str, dict[str, str], Any]]:
        return [r for r in self.requests if r[0].startswith(prefix)]


def _azure_openid_configuration(url: str, tenant: str) -> tuple[int, dict]:
    """Entra ID's tenant discovery document (the fields msal reads)."""
    return 200, {
        "issuer": f"{url}/{tenant}/v2.0",
        "authorization_endpoint": f"{url}/{tenant}/oauth2/v2.0/authorize",
        "token_endpoint": f"{url}/{tenant}/oauth2/v2.0/token",
    }


def _azure_token(form: dict[str, list[str]]) -> tuple[int, dict]:
    if form.get("grant_type") != ["client_credentials"]:
        return 400, {"error": "unsupported_grant_type"}
    if form.get("scope", [""])[0].split() != [f"{AZURE_RESOURCE}/.default"]:
        return 400, {"error": "invalid_scope", "error_description": "AADSTS70011: bad scope."}
    if form.get("client_secret") != ["azure-secret"]:
        return 401, {"error": "invalid_client",
                     "error_description": "AADSTS7000215: Invalid client secret provided."}  # fmt: skip
    return 200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                 "access_token": "azure-token"}  # fmt: skip


def _azure_batch(fake: Fake, headers: dict[str, str], body: dict) -> tuple[int, dict]:
    if headers.get("authorization") != "Bearer azure-token" or not headers.get("x-ms-requestid"):
        return 401, {"message": "unauthorized"}
    events = body["request"]
    assert 1 <= len(events) <= 25
    result = []
    for event in events:
        assert set(event) == {"resourceId", "quantity", "dimension", "effectiveStartTime", "planId"}
        key = (event["resourceId"], event["dimension"], event["effectiveStartTime"][:13])
        item = {**event, "messageTime": "2026-01-10T12:01:00Z"}
        if event["dimension"] in fake.refuse:
            item.update(status="InvalidDimension", error={"message": "Dimension not in plan."})
        elif key in fake.accepted:
            accepted = {"usageEventId": fake.accepted[key], "status": "Accepted"}
            item.update(status="Duplicate", error={
                "code": "Conflict", "message": "This usage event already exist.",
                "additionalInfo": {"acceptedMessage": accepted},
            })  # fmt: skip
        else:
            fake.accepted[key] = f"azure-{len(fake.accepted) + 1}"
            item.update(status="Accepted", usageEventId=fake.accepted[key])
        result.append(item)
    return 200, {"count": len(result), "result": result}


def _gcp_authorized(fake: Fake, authorization: str, scope: str = GCP_SCOPE) -> bool:
    """A self-signed service-account JWT (AIP-4111): signed by a key the fake knows, issued
    by its service account, with the API's scope."""
    token = authorization.removeprefix("Bearer ")
    try:
        claims = jwt.decode(token, certs=fake.gcp_keys)
    except ValueError:
        return False
    return (
        claims["iss"] == claims["sub"] == fake.gcp_client_email
        and scope in claims.get("scope", "").split()
    )


def _gcp_report(fake: Fake, headers: dict[str, str], body: dict) -> tuple[int, dict]:
    if not _gcp_authorized(fake, headers.get("authorization", "")):
        return 401, {"error": {"code": 401, "message": "unauthenticated"}}
    assert set(body) == {"operations"}  # the service name is in the path
    errors = []
    for op in body["operations"]:
        reporting_ids = {e["usageReportingId"] for e in fake.gcp_entitlements.values()}
        assert op["consumerId"].startswith("project:") or op["consumerId"] in reporting_ids
        assert op["startTime"].endswith("Z") and op["endTime"].endswith("Z")
        value = op["metricValueSets"][0]["metricValues"][0]["int64Value"]
        assert isinstance(value, str) and value.isdigit()
        metric = op["metricValueSets"][0]["metricName"]
        if metric.split("/")[-1] in fake.refuse:
            errors.append({"operationId": op["operationId"],
                           "status": {"code": 3, "message": f"Unknown metric {metric}."}})  # fmt: skip
        else:
            fake.accepted.setdefault((op["operationId"],), op["operationId"])
    return 200, {"reportErrors": errors, "serviceConfigId": "2026-01-01r0"}


def _gcp_entitlement(fake: Fake, headers: dict[str, str], path: str) -> tuple[int, dict]:
    """Partner Procurement providers.entitlements.get: the entitlement resource."""
    if not _gcp_authorized(fake, headers.get("authorization", ""), GCP_PROCUREMENT_SCOPE):
        return 401, {"error": {"code": 401, "message": "unauthenticated"}}
    _, provider, _, entitlement = urllib.parse.urlsplit(path).path.split("/")[2:]
    found = fake.gcp_entitlements.get(entitlement)
    if provider != fake.gcp_provider_id or found is None:
        return 404, {"error": {"code": 404, "message": "Entitlement not found."}}
    return 200, {"name": f"providers/{provider}/entitlements/{entitlement}",
                 "provider": provider, **found}  # fmt: skip


@functools.cache
def _localhost_certificate() -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1: (certificate file, key file)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake marketplaces")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ip_address("127.0.0.1"))]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    folder = tempfile.mkdtemp(prefix="fake-marketplaces-")
    cert_file, key_file = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
    with open(cert_file, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_file, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))  # fmt: skip
    return cert_file, key_file


def ca_bundle() -> str:
    """The file the clients must trust to reach the fake (REQUESTS_CA_BUNDLE)."""
    return _localhost_certificate()[0]


@contextmanager
def fake_marketplaces() -> Iterator[Fake]:
    fake = Fake()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            headers = {k.lower(): v for k, v in self.headers.items()}  # case-blind
            path = self.path
            if "json" in headers.get("content-type", ""):
                body: Any = json.loads(raw)
            else:
                body = urllib.parse.parse_qs(raw.decode())
            fake.requests.append((path, headers, body))
            gcp_path = urllib.parse.urlsplit(path).path  # the client adds ?$alt=json...
            if fake.fail_next and not path.endswith("token"):
                status, answer = fake.fail_next.pop(0), {"message": "try later"}
            elif path.endswith("/oauth2/v2.0/token"):
                status, answer = _azure_token(body)
            elif path.startswith("/api/batchUsageEvent?api-version=2018-08-31"):
                status, answer = _azure_batch(fake, headers, body)
            elif gcp_path.startswith("/v1/services/") and gcp_path.endswith(":report"):
                status, answer = _gcp_report(fake, headers, body)
            else:
                status, answer = 404, {"message": "no such path"}
            self._answer(status, answer)

        def do_GET(self) -> None:
            fake.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}, None))
            tenant, _, rest = self.path.lstrip("/").partition("/")
            if rest == "v2.0/.well-known/openid-configuration":
                self._answer(*_azure_openid_configuration(fake.url, tenant))
            elif re.fullmatch(r"/v1/providers/[^/]+/entitlements/[^/?]+(\?.*)?", self.path):
                headers = {k.lower(): v for k, v in self.headers.items()}
                self._answer(*_gcp_entitlement(fake, headers, self.path))
            else:
                self._answer(404, {"message": "no such path"})

        def _answer(self, status: int, answer: dict) -> None:
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # HTTPS, as azure-identity and msal accept nothing else: the client side trusts the
    # fake's certificate through REQUESTS_CA_BUNDLE (set by the tests' fixture).
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*_localhost_certificate())
    server.socket = context.wrap_socket(server.socket, server_side=True)
    fake.url = f"https://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
