"""Avalara AvaTax through its REST v2 API (HTTP Basic auth with the stored username and
password, upsertAvalaraCredentials).

An invoice is one SalesInvoice transaction whose `code` is our invoice id, created with
`POST /api/v2/transactions/createOrAdjust`: AvaTax creates it the first time and adjusts the
same transaction when the code exists, so a retried computation never records a second one
(a plain `transactions/create` with a code that exists is refused, or makes a new version,
depending on the account). `commit` follows commit_transactions. A voided invoice voids it:
`POST /api/v2/companies/{companyCode}/transactions/{code}/void` with code DocVoided.

Amounts: AvaTax takes and answers major units (dollars); ours are minor units (cents).
"""

import platform
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django.conf import settings
from requests.auth import HTTPBasicAuth

from billing_console.lib.money import from_minor_units, to_minor_units
from customers.avalara import AvalaraAccount
from tax.providers import LineResult, TaxProviderError, TaxRequest, TaxResult
from tax.providers.http import post_json

BASE_URLS = {
    "SANDBOX": "https://sandbox-rest.avatax.com",
    "PRODUCTION": "https://rest.avatax.com",
}
# AvaTax asks every caller to name itself: "{app}; {version}; {library}; {version}; {machine}".
CLIENT_HEADER = f"billing-console; 1.0; python-requests; 2; {platform.node() or 'server'}"
NO_ADDRESS = "the customer has no tax address (Customer → Tax address): AvaTax needs one."


def _base_url(environment: str) -> str:
    overrides = getattr(settings, "TAX_AVALARA_BASE_URLS", None) or {}
    return (overrides.get(environment) or BASE_URLS[environment]).rstrip("/")


def default_company_code() -> str:
    """Metronome uses the account's default company; its code is DEFAULT unless renamed."""
    return getattr(settings, "AVALARA_COMPANY_CODE", "") or "DEFAULT"


class AvalaraTax:
    name = "avalara"

    def __init__(self, account: AvalaraAccount) -> None:
        self.account = account

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        return post_json(
            f"{_base_url(self.account.environment)}{path}",
            body,
            headers={"X-Avalara-Client": CLIENT_HEADER, "Accept": "application/json"},
            auth=HTTPBasicAuth(self.account.username, self.account.password),
            name="Avalara",
        )

    def request_body(self, request: TaxRequest) -> dict[str, Any]:
        if request.address is None:
            raise TaxProviderError(NO_ADDRESS)
        a = request.address
        ship_to = {"line1": a.line1, "line2": a.line2 or None, "city": a.city,
                   "region": a.region or None, "postalCode": a.postal_code, "country": a.country}  # fmt: skip
        lines = []
        for number, line in enumerate(request.lines, start=1):
            item: dict[str, Any] = {
                "number": str(number),
                # A JSON number, as AvaTax documents it. A float only for encoding: at most 15
                # significant digits, so its repr is exactly the Decimal's digits.
                "amount": float(from_minor_units(line.amount, request.currency)),
                "description": line.description[:2048],
                "ref1": line.ref,
            }
            if line.item_code:
                item["itemCode"] = line.item_code[:50]
            lines.append(item)
        model = {
            "type": "SalesInvoice",
            "code": request.invoice_public_id,
            "companyCode": default_company_code(),
            "date": request.issued_at.date().isoformat(),
            "customerCode": request.customer_code,
            "currencyCode": request.currency,
            "commit": request.commit,
            "addresses": {"shipTo": {k: v for k, v in ship_to.items() if v is not None}},
            "lines": lines,
        }
        return {"createTransactionModel": model}

    def calculate(self, request: TaxRequest) -> TaxResult:
        answer = self._post("/api/v2/transactions/createOrAdjust", self.request_body(request))
        refs = {str(n): line.ref for n, line in enumerate(request.lines, start=1)}
        currency = request.currency

        def minor(value: Any) -> Decimal:
            return Decimal(to_minor_units(Decimal(str(value or 0)), currency))

        lines = tuple(
            LineResult(
                ref=refs[str(line["lineNumber"])],
                taxable=minor(line.get("taxableAmount")),
                tax=minor(line.get("tax")),
                jurisdictions=[
                    {
                        "name": d.get("jurisName", ""),
                        "tax_name": d.get("taxName", ""),
                        "rate": str(d.get("rate", "")),
                        "tax": str(d.get("tax", "")),
                    }
                    for d in line.get("details") or []
                ],
            )
            for line in answer.get("lines") or []
            if str(line.get("lineNumber")) in refs
        )
        return TaxResult(
            transaction_id=str(answer.get("code") or request.invoice_public_id),
            total_tax=minor(answer.get("totalTax")),
            total_taxable=minor(answer.get("totalTaxable")),
            lines=lines,
            committed=answer.get("status") == "Committed",
            company_code=default_company_code(),
        )

    def void(self, *, transaction_id: str, company_code: str = "") -> None:
        company = quote(company_code or default_company_code(), safe="")
        path = f"/api/v2/companies/{company}/transactions/{quote(transaction_id, safe='')}/void"
        self._post(path, {"code": "DocVoided"})
