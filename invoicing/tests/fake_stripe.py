"""A local fake of the Stripe API for tests: the real `stripe` library talks HTTP to it.

It records every request (method, path, form params, Idempotency-Key) and answers with
plausible Stripe objects: invoices that add up their items, finalize, pay (or decline the
card a chosen number of times), void; customers with a default payment method; idempotent
replays of a key it has seen, as Stripe does. Stripe Tax is modelled as a flat 8.25%.

Checkout Sessions: created, retrieved, expired through the API; their `url` is a minimal hosted
page served here, whose Pay button completes the session, POSTs the signed
`checkout.session.completed` event to `webhook_url` (as Stripe does) and redirects to the
session's success_url.
"""

import hashlib
import hmac
import html
import json
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlparse

from billing_console.tests.fake_http import QuietHandler, serve

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
    checkout_sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    webhook_url: str = ""  # where the hosted page's Pay delivers checkout.session.completed
    webhook_secret: str = ""
    deliveries: list[tuple[str, int]] = field(default_factory=list)  # (event type, HTTP status)
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
        if parts[:3] == ["v1", "checkout", "sessions"]:
            return self._checkout(method, parts[3:], params)
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
        if params.get("paid_out_of_band") == "true":
            invoice["status"] = "paid"
            invoice["paid_out_of_band"] = True
            return 200, invoice
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

    # --- Checkout Sessions ---------------------------------------------------------------

    def _checkout(self, method: str, rest: list[str], params: dict[str, str]) -> tuple[int, dict]:
        if method == "POST" and not rest:
            return self._checkout_create(params)
        session = self.checkout_sessions.get(rest[0]) if rest else None
        if session is None:
            return _missing("checkout.session", rest[0] if rest else "")
        if method == "GET" and len(rest) == 1:
            return 200, session
        if method == "POST" and rest[1:] == ["expire"]:
            if session["status"] != "open":
                return 400, {"error": {"type": "invalid_request_error", "message": "Only open sessions can be expired."}}  # fmt: skip
            session["status"] = "expired"
            return 200, session
        return 404, {"error": {"type": "invalid_request_error", "message": "No route"}}

    def _checkout_create(self, params: dict[str, str]) -> tuple[int, dict]:
        required = ("mode", "success_url", "line_items[0][price_data][currency]",
                    "line_items[0][price_data][unit_amount]", "line_items[0][quantity]")  # fmt: skip
        missing = [name for name in required if not params.get(name)]
        if missing:
            return 400, {"error": {"type": "invalid_request_error", "message": f"Missing required param: {missing[0]}."}}  # fmt: skip
        session_id = self._id("cs_test")
        amount = int(params["line_items[0][price_data][unit_amount]"]) * int(params["line_items[0][quantity]"])  # fmt: skip
        session = {
            "id": session_id, "object": "checkout.session", "mode": params["mode"],
            "status": "open", "payment_status": "unpaid", "amount_total": amount,
            "currency": params["line_items[0][price_data][currency]"],
            "customer": params.get("customer"), "client_reference_id": params.get("client_reference_id"),
            "metadata": {k[9:-1]: v for k, v in params.items() if k.startswith("metadata[")},
            "success_url": params["success_url"], "cancel_url": params.get("cancel_url"),
            "url": f"{self.url}/checkout/{session_id}", "payment_intent": None,
            "expires_at": int(time.time()) + 24 * 3600,
        }  # fmt: skip
        self.checkout_sessions[session_id] = session
        return 200, session

    def checkout_complete(self, session_id: str, *, payment_status: str = "paid") -> dict[str, Any]:
        """The customer paid: the session completes; returns the event Stripe would send."""
        session = self.checkout_sessions[session_id]
        session["status"] = "complete"
        session["payment_status"] = payment_status
        session["payment_intent"] = self._id("pi")
        return {
            "id": self._id("evt"), "object": "event", "type": "checkout.session.completed",
            "api_version": "2026-10-28.endive", "created": int(time.time()), "livemode": False,
            "data": {"object": json.loads(json.dumps(session))},
        }  # fmt: skip

    def deliver(self, event: dict[str, Any]) -> int:
        """POST a webhook event to webhook_url, signed as Stripe signs it."""
        body = json.dumps(event).encode()
        stamp = int(time.time())
        digest = hmac.new(self.webhook_secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()  # fmt: skip
        request = urllib.request.Request(self.webhook_url, data=body, method="POST", headers={
            "Content-Type": "application/json", "Stripe-Signature": f"t={stamp},v1={digest}",
        })  # fmt: skip
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (local)
            status = response.status
        self.deliveries.append((event["type"], status))
        return status

    def page(self, method: str, path: str) -> tuple[int, dict[str, str], bytes] | None:
        """Stripe's hosted checkout page, minimal: the amount and a Pay button."""
        parts = path.strip("/").split("/")
        if parts[0] != "checkout" or len(parts) < 2 or parts[1] not in self.checkout_sessions:
            return None
        session = self.checkout_sessions[parts[1]]
        if method == "POST" and parts[2:] == ["pay"]:
            with self._lock:
                event = self.checkout_complete(session["id"])
            self.deliver(event)
            target = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"])
            return 303, {"Location": target}, b""
        amount = Decimal(session["amount_total"]).scaleb(-2)
        body = (
            "<!doctype html><title>Stripe Checkout (fake)</title><h1>Pay "
            f"{html.escape(session['currency'].upper())} {amount}</h1>"
            f'<form method="post" action="/checkout/{session["id"]}/pay">'
            '<button id="stripe-pay">Pay</button></form>'
        )
        return 200, {"Content-Type": "text/html; charset=utf-8"}, body.encode()

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
    class Handler(QuietHandler):
        def _respond(self) -> None:
            url = urlparse(self.path)
            page = fake.page(self.command, url.path)
            if page is not None:
                status, headers, content = page
                self.send_response(status)
                for name, value in {**headers, "Content-Length": str(len(content))}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(content)
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else url.query
            params = dict(parse_qsl(body, keep_blank_values=True))
            status, payload = fake.serve(self.command, url.path, params, self.headers)
            self.reply_json(status, payload, Request_Id="req_fake")

        do_GET = do_POST = do_DELETE = _respond

    return serve(Handler, fake)
