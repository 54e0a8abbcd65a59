"""A local fake of AvaTax REST v2 and of Anrok's seller API for tests: the real `requests`
calls reach it over HTTP. It records each request (path, headers, JSON body) and answers in
the shapes the providers document, from recorded sample responses, with the tax computed at a
chosen rate. Repeated keys behave as documented: AvaTax's createOrAdjust and Anrok's
createOrUpdate replace the transaction of the same code/id (one transaction per invoice).
"""

import json
import threading
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from http.server import ThreadingHTTPServer
from typing import Any

from billing_console.tests.fake_http import QuietHandler, serve

CENT = Decimal("0.01")


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeTax:
    rate: Decimal = Decimal("0.08875")  # New York City combined sales tax
    url: str = ""
    requests: list[Seen] = field(default_factory=list)
    transactions: dict[str, dict[str, Any]] = field(default_factory=dict)  # by code / id
    refuse_next: list[tuple[int, Any]] = field(default_factory=list)  # (status, body)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, path: str, body: Any) -> tuple[int, Any]:
        if self.refuse_next:
            return self.refuse_next.pop(0)
        if path == "/api/v2/transactions/createOrAdjust":
            return 200, self._avalara(body["createTransactionModel"])
        if path.startswith("/api/v2/companies/") and path.endswith("/void"):
            code = path.split("/transactions/")[1].removesuffix("/void")
            if code not in self.transactions:
                return 404, {
                    "error": {"code": "EntityNotFoundError", "message": "Document not found."}
                }
            self.transactions[code]["status"] = "Cancelled"
            return 200, self.transactions[code]
        if path == "/v1/seller/transactions/createOrUpdate":
            return 200, self._anrok(body)
        if path.startswith("/v1/seller/transactions/id:") and path.endswith("/void"):
            key = path.removeprefix("/v1/seller/transactions/id:").removesuffix("/void")
            if key not in self.transactions:
                return 409, {"type": "transactionIdNotFound"}
            self.transactions[key]["voided"] = True
            return 200, {}
        return 404, {"error": {"code": "NotFound", "message": path}}

    def _avalara(self, model: dict[str, Any]) -> dict[str, Any]:
        """TransactionModel as AvaTax's CreateTransaction sample answers it (major units)."""
        lines = []
        for line in model["lines"]:
            amount = Decimal(str(line["amount"]))
            tax = (amount * self.rate).quantize(CENT, ROUND_HALF_UP)
            lines.append({
                "lineNumber": line["number"], "itemCode": line.get("itemCode", ""),
                "lineAmount": float(amount), "taxableAmount": float(amount), "tax": float(tax),
                "details": [{"jurisName": "NEW YORK", "taxName": "NY STATE TAX", "rate": 0.04,
                             "tax": float((amount * Decimal("0.04")).quantize(CENT, ROUND_HALF_UP))},
                            {"jurisName": "NEW YORK CITY", "taxName": "NY CITY TAX", "rate": 0.04875,
                             "tax": float(tax - (amount * Decimal("0.04")).quantize(CENT, ROUND_HALF_UP))}],
            })  # fmt: skip
        previous = self.transactions.get(model["code"])
        answer = {
            "id": previous["id"] if previous else 1000 + len(self.transactions),
            "code": model["code"], "companyId": 12345, "date": model["date"],
            "status": "Committed" if model.get("commit") else "Saved", "type": model["type"],
            "currencyCode": model["currencyCode"], "customerCode": model["customerCode"],
            "totalAmount": sum(x["lineAmount"] for x in lines),
            "totalTaxable": sum(x["taxableAmount"] for x in lines),
            "totalTax": float(sum(Decimal(str(x["tax"])) for x in lines)),
            "version": previous["version"] + 1 if previous else 1,
            "lines": lines,
        }  # fmt: skip
        self.transactions[model["code"]] = answer
        return answer

    def _anrok(self, body: dict[str, Any]) -> dict[str, Any]:
        """CreateOrUpdateTransactionSuccess as Anrok's sample answers it (minor units)."""
        items = []
        for item in body["lineItems"]:
            amount = Decimal(item["amount"])
            exact = amount * self.rate
            items.append({
                "id": item["id"], "taxAmountToCollect": int(exact.quantize(Decimal(1), ROUND_HALF_UP)),
                "preTaxAmount": str(amount),
                "jurises": [{"name": "New York City (local)", "notTaxedReason": None,
                             "taxes": [{"taxName": "Sales tax", "taxableAmount": str(amount),
                                        "taxAmount": str(exact), "taxRate": str(self.rate)}]}],
            })  # fmt: skip
        previous = self.transactions.get(body["id"])
        answer = {
            "version": previous["version"] + 1 if previous else 1,
            "taxAmountToCollect": sum(i["taxAmountToCollect"] for i in items),
            "lineItems": items,
            "preTaxAmount": str(sum(Decimal(i["preTaxAmount"]) for i in items)),
            "jurisSummaries": [{"name": "New York City (local)", "notTaxedReasons": None}],
        }
        self.transactions[body["id"]] = answer
        return answer


def start(fake: FakeTax) -> ThreadingHTTPServer:
    class Handler(QuietHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = json.loads(raw) if raw else None
            with fake._lock:
                fake.requests.append(Seen(self.path, dict(self.headers), body))
                status, answer = fake.handle(self.path, body)
            self.reply_json(status, answer)

    return serve(Handler, fake)
