"""A local fake of the Stripe API for tests: the real `stripe` library talks HTTP to it.

It records every request (method, path, form params, Idempotency-Key) and answers with
plausible Stripe objects: invoices that add up their items, finalize, pay (or decline the
card a chosen number of times), void; customers with a default payment method; idempotent
replays of a key it has seen, as Stripe does. Stripe Tax is modelled as a flat 8.25%.
"""

import json
import threading
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlparse

TAX_RATE = Decimal("0.0825")


@dataclass
class Recorded:
    method: str
    path: str
    params: dict[str, str]
    idempotency_key: str | None
    authorization: str


@dataclass
class FakeStripe:
    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    invoices: dict[str, dict[str, Any]] = field(default_factory=dict)
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    declines: int = 0  # the next N pay attempts fail with card_declined
    fail_next: dict[str, int] = field(default_factory=dict)  # path suffix -> N 500s
    _replays: dict[str, tuple[int, dict]] = field(default_factory=dict)
    _counter: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add_customer(self, customer_id: str, payment_method: str | None = "pm_card_visa") -> None:
        self.customers[customer_id] = {
            "id": customer_id, "object": "customer",
            "invoice_settings": {"default_payment_method": payment_method},
        }  # fmt: skip

    def calls(self) -> list[tuple[str, str]]:
        return [(r.method, r.path) for r in self.requests]

    def _id(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}_fake{self._counter}"

    # --- handlers -------------------------------------------------------------------------

    def handle(self, method: str, path: str, params: dict[str, str]) -> tuple[int, dict]:
        for suffix, count in list(self.fail_next.items()):
            if count and path.endswith(suffix):
                self.fail_next[suffix] = count - 1
                return 500, {"error": {"type": "api_error", "message": "Fake outage."}}
        parts = path.strip("/").split("/")
        if method == "POST" and parts == ["v1", "invoices"]:
            return self._invoice_create(params)
        if method == "POST" and parts == ["v1", "invoiceitems"]:
            return self._item_create(params)
        if method == "GET" and parts[:2] == ["v1", "customers"] and len(parts) == 3:
            customer = self.customers.get(parts[2])
            return (200, customer) if customer else _missing("customer", parts[2])
        if parts[:2] == ["v1", "invoices"] and len(parts) >= 3:
            invoice = self.invoices.get(parts[2])
            if invoice is None:
                return _missing("invoice", parts[2])
            action = parts[3] if len(parts) > 3 else ""
            if method == "GET" and not action:
                return 200, invoice
            if method == "POST" and action in ("finalize", "pay", "void"):
                return getattr(self, f"_{action}")(invoice, params)
        return 404, {"error": {"type": "invalid_request_error", "message": f"No route {path}"}}

    def _invoice_create(self, params: dict[str, str]) -> tuple[int, dict]:
        invoice_id = self._id("in")
        invoice = {
            "id": invoice_id, "object": "invoice", "status": "draft",
            "customer": params["customer"], "currency": params["currency"],
            "collection_method": params.get("collection_method", "charge_automatically"),
            "metadata": {k[9:-1]: v for k, v in params.items() if k.startswith("metadata[")},
            "automatic_tax": {"enabled": params.get("automatic_tax[enabled]") == "true"},
            "effective_at": int(params["effective_at"]) if "effective_at" in params else None,
            "subtotal": 0, "total": 0, "total_excluding_tax": 0, "amount_due": 0,
            "attempt_count": 0, "invoice_pdf": None, "payment_intent": None,
            "status_transitions": {"paid_at": None, "finalized_at": None},
        }  # fmt: skip
        self.invoices[invoice_id] = invoice
        return 200, invoice

    def _item_create(self, params: dict[str, str]) -> tuple[int, dict]:
        invoice = self.invoices[params["invoice"]]
        if invoice["status"] != "draft":
            return 400, {"error": {"type": "invalid_request_error", "message": "Invoice is not a draft."}}  # fmt: skip
        amount = int(params["amount"])
        invoice["subtotal"] += amount
        invoice["total_excluding_tax"] = invoice["subtotal"]
        invoice["total"] = invoice["subtotal"]
        return 200, {"id": self._id("ii"), "object": "invoiceitem", "amount": amount,
                     "invoice": invoice["id"], "description": params.get("description")}  # fmt: skip

    def _finalize(self, invoice: dict, params: dict[str, str]) -> tuple[int, dict]:
        if invoice["status"] != "draft":
            return 400, {"error": {"type": "invalid_request_error", "message": "Invoice is already finalized."}}  # fmt: skip
        tax = 0
        if invoice["automatic_tax"]["enabled"]:
            tax = int((Decimal(invoice["subtotal"]) * TAX_RATE).quantize(Decimal(1), ROUND_HALF_UP))
        invoice["total"] = invoice["subtotal"] + tax
        invoice["amount_due"] = invoice["total"]
        invoice["status"] = "paid" if invoice["total"] == 0 else "open"
        invoice["invoice_pdf"] = f"https://pay.stripe.test/invoice/{invoice['id']}/pdf"
        return 200, invoice

    def _pay(self, invoice: dict, params: dict[str, str]) -> tuple[int, dict]:
        if invoice["status"] == "paid":
            return 400, {"error": {"type": "invalid_request_error", "message": "Invoice is already paid."}}  # fmt: skip
        invoice["attempt_count"] += 1
        if self.declines:
            self.declines -= 1
            return 402, {"error": {"type": "card_error", "code": "card_declined",
                                   "decline_code": "insufficient_funds",
                                   "message": "Your card has insufficient funds."}}  # fmt: skip
        invoice["status"] = "paid"
        invoice["payment_intent"] = self._id("pi")
        invoice["amount_paid"] = invoice["total"]
        return 200, invoice

    def _void(self, invoice: dict, params: dict[str, str]) -> tuple[int, dict]:
        invoice["status"] = "void"
        return 200, invoice

    def serve(
        self, method: str, path: str, params: dict[str, str], headers: Any
    ) -> tuple[int, dict]:
        with self._lock:
            key = headers.get("Idempotency-Key")
            self.requests.append(
                Recorded(method, path, params, key, headers.get("Authorization", ""))
            )
            if key and key in self._replays:  # Stripe replays the first answer of a key
                return self._replays[key]
            status, body = self.handle(method, path, params)
            if key and status < 500:
                self._replays[key] = (status, json.loads(json.dumps(body)))
            return status, body


def _missing(kind: str, object_id: str) -> tuple[int, dict]:
    return 404, {"error": {"type": "invalid_request_error", "message": f"No such {kind}: '{object_id}'"}}  # fmt: skip


def start(fake: FakeStripe) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def _respond(self) -> None:
            url = urlparse(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else url.query
            params = dict(parse_qsl(body, keep_blank_values=True))
            status, payload = fake.serve(self.command, url.path, params, self.headers)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Request-Id", "req_fake")
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_DELETE = _respond

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
