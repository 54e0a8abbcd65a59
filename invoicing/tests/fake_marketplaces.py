"""Local fakes of the Azure and GCP marketplace metering APIs (and their token endpoints): an
http.server on 127.0.0.1 in a thread that checks what the documentation requires of each
request, records it, and answers as the provider does, deduplicating per hour like it."""

import json
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

AZURE_RESOURCE = "20e940b3-4c77-4b0b-9a53-9e16a1b010a7"


@dataclass
class Fake:
    url: str = ""
    requests: list[tuple[str, dict[str, str], Any]] = field(default_factory=list)
    accepted: dict[tuple, str] = field(default_factory=dict)  # provider's dedupe key -> id
    fail_next: list[int] = field(default_factory=list)  # statuses to answer before working
    refuse: set[str] = field(default_factory=set)  # dimensions answered with an error

    def calls(self, prefix: str) -> list[tuple[str, dict[str, str], Any]]:
        return [r for r in self.requests if r[0].startswith(prefix)]


def _azure_token(form: dict[str, list[str]]) -> tuple[int, dict]:
    ok = (
        form.get("grant_type") == ["client_credentials"]
        and form.get("resource") == [AZURE_RESOURCE]
        and form.get("client_secret") == ["azure-secret"]
    )
    if not ok:
        return 401, {"error": "invalid_client"}
    return 200, {"access_token": "azure-token", "expires_in": "3599", "token_type": "Bearer"}


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


def _google_token(form: dict[str, list[str]]) -> tuple[int, dict]:
    if form.get("grant_type") != ["urn:ietf:params:oauth:grant-type:jwt-bearer"]:
        return 400, {"error": "unsupported_grant_type"}
    assert form.get("assertion", [""])[0].count(".") == 2  # a signed JWT
    return 200, {"access_token": "gcp-token", "expires_in": 3599, "token_type": "Bearer"}


def _gcp_report(fake: Fake, headers: dict[str, str], body: dict) -> tuple[int, dict]:
    if headers.get("authorization") != "Bearer gcp-token":
        return 401, {"error": {"code": 401, "message": "unauthenticated"}}
    errors = []
    for op in body["operations"]:
        assert op["consumerId"].startswith("project:")
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
            if fake.fail_next and not path.endswith("token"):
                status, answer = fake.fail_next.pop(0), {"message": "try later"}
            elif path.endswith("/oauth2/token"):
                status, answer = _azure_token(body)
            elif path.startswith("/api/batchUsageEvent?api-version=2018-08-31"):
                status, answer = _azure_batch(fake, headers, body)
            elif path == "/google/token":
                status, answer = _google_token(body)
            elif path.startswith("/v1/services/") and path.endswith(":report"):
                status, answer = _gcp_report(fake, headers, body)
            else:
                status, answer = 404, {"message": "no such path"}
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
