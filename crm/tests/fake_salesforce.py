"""A local fake Salesforce: the SOAP login, the OAuth client credentials token endpoint and the
REST upsert by external id, answering as Salesforce documents them, and recording every request
so tests can check what simple-salesforce sent. Faults are scripted: `fail_next(503, 503)`.

simple-salesforce always calls https://<domain>.salesforce.com; `routed_session()` is a requests
session that sends those calls to this server over plain HTTP on loopback, keeping the original
host in an `X-Original-Host` header.
"""

import json
import re
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import requests
from requests.adapters import HTTPAdapter

from billing_console.tests.fake_http import QuietHandler, serve

SESSION_ID = "00Dfake!AQ0AQFakeSessionToken"
UPSERT_PATH = re.compile(r"^/services/data/v(\d+\.\d)/sobjects/(\w+)/(\w+)/([^/]+)$")


@dataclass
class Request:
    method: str
    host: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class FakeSalesforce:
    username: str = "sync@acme.example"
    password: str = "hunter2"
    security_token: str = "TOKEN123"
    consumer_key: str = "3MVG9fake"
    consumer_secret: str = "s3cret"
    instance_host: str = "acme.my.salesforce.com"
    requests: list[Request] = field(default_factory=list)
    records: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    faults: list[int] = field(default_factory=list)
    url: str = ""
    _ids: int = 0

    def fail_next(self, *codes: int) -> None:
        self.faults.extend(codes)

    def upserts(self) -> list[Request]:
        return [r for r in self.requests if r.method == "PATCH"]

    def _new_id(self, sobject: str) -> str:
        self._ids += 1
        return f"a0{sobject[:1].upper()}{self._ids:015d}"[:18]

    def handle(self, req: Request) -> tuple[int, str, bytes]:
        self.requests.append(req)
        if req.method == "POST" and req.path.startswith("/services/Soap/u/"):
            return self._soap_login(req)
        if req.method == "POST" and req.path == "/services/oauth2/token":
            return self._token(req)
        match = UPSERT_PATH.match(req.path)
        if req.method == "PATCH" and match:
            return self._upsert(req, *match.groups())
        return _json(404, [{"errorCode": "NOT_FOUND", "message": "No such resource"}])

    def _soap_login(self, req: Request) -> tuple[int, str, bytes]:
        body = req.body.decode()
        user = re.search(r"<(?:\w+:)?username>(.*?)</(?:\w+:)?username>", body)
        password = re.search(r"<(?:\w+:)?password>(.*?)</(?:\w+:)?password>", body)
        expected = f"{self.password}{self.security_token}"
        if not user or user.group(1) != self.username or not password or password.group(1) != expected:  # fmt: skip
            fault = (
                '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv='
                '"http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.'
                'sforce.com"><soapenv:Body><soapenv:Fault><faultcode>INVALID_LOGIN</faultcode>'
                "<detail><sf:LoginFault><sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode>"
                "<sf:exceptionMessage>Invalid username, password, security token; or user "
                "locked out.</sf:exceptionMessage></sf:LoginFault></detail></soapenv:Fault>"
                "</soapenv:Body></soapenv:Envelope>"
            )
            return 500, "text/xml", fault.encode()
        ok = (
            '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://'
            'schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com"><soapenv:'
            "Body><loginResponse><result>"
            f"<serverUrl>https://{self.instance_host}/services/Soap/u/62.0/00Dfake</serverUrl>"
            f"<sessionId>{SESSION_ID}</sessionId></result></loginResponse></soapenv:Body>"
            "</soapenv:Envelope>"
        )
        return 200, "text/xml", ok.encode()

    def _token(self, req: Request) -> tuple[int, str, bytes]:
        form = {k: v[0] for k, v in parse_qs(req.body.decode()).items()}
        import base64

        auth = req.headers.get("Authorization", "")
        expected = base64.b64encode(f"{self.consumer_key}:{self.consumer_secret}".encode())
        if form.get("grant_type") != "client_credentials" or auth != f"Basic {expected.decode()}":
            return _json(400, {"error": "invalid_client", "error_description": "invalid client credentials"})  # fmt: skip
        return _json(200, {"access_token": SESSION_ID, "instance_url": f"https://{self.instance_host}",
                           "token_type": "Bearer"})  # fmt: skip

    def _upsert(self, req: Request, _version: str, sobject: str, field_name: str, value: str):
        if req.headers.get("Authorization") != f"Bearer {SESSION_ID}":
            return _json(401, [{"errorCode": "INVALID_SESSION_ID", "message": "Session expired or invalid"}])  # fmt: skip
        if self.faults:
            code = self.faults.pop(0)
            if code >= 500:
                return _json(code, [{"errorCode": "SERVER_UNAVAILABLE", "message": "Try again later"}])  # fmt: skip
            return _json(code, [{"errorCode": "INVALID_FIELD", "message": "No such column 'Region__c' on sobject", "fields": ["Region__c"]}])  # fmt: skip
        key = (sobject, field_name, unquote(value))
        body = req.json()
        if field_name in body:  # Salesforce refuses the external id in the body of an upsert
            return _json(400, [{"errorCode": "INVALID_FIELD", "message": f"{field_name} in body", "fields": [field_name]}])  # fmt: skip
        existing = self.records.get(key)
        if existing is None:
            record = {"Id": self._new_id(sobject), field_name: unquote(value), **body}
            self.records[key] = record
            return _json(201, {"id": record["Id"], "success": True, "errors": [], "created": True})  # fmt: skip
        existing.update(body)
        return _json(200, {"id": existing["Id"], "success": True, "errors": [], "created": False})  # fmt: skip


def _json(status: int, data: Any) -> tuple[int, str, bytes]:
    return status, "application/json", json.dumps(data).encode()


def start(fake: FakeSalesforce) -> ThreadingHTTPServer:
    class Handler(QuietHandler):
        def _respond(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            req = Request(
                method=self.command,
                host=self.headers.get("X-Original-Host", ""),
                path=urlsplit(self.path).path,
                headers={k: v for k, v in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
            )
            status, content_type, body = fake.handle(req)
            self.reply(status, body, content_type)

        do_GET = do_POST = do_PATCH = _respond

    return serve(Handler, fake)


class _RouteToFake(HTTPAdapter):
    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        parts = urlsplit(request.url or "")
        request.headers["X-Original-Host"] = parts.netloc
        request.url = f"{self.base}{parts.path}" + (f"?{parts.query}" if parts.query else "")
        return super().send(request, **kwargs)


def routed_session(fake: FakeSalesforce) -> requests.Session:
    session = requests.Session()
    session.mount("https://", _RouteToFake(fake.url))
    return session
