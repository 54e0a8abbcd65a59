"""Anrok through its seller API (https://api.anrok.com, `Authorization: Bearer {apiKey}`).

A finalized invoice is recorded with `POST /v1/seller/transactions/createOrUpdate`, which
computes the tax and saves the transaction for filing (Anrok's invoice lifecycle: finalized
invoices are recorded; createEphemeral is for previews, which save nothing). Its `id` is our
invoice id with a prefix, so a retry updates the same transaction rather than adding one. A
voided invoice voids it: `POST /v1/seller/transactions/id:{id}/void`.

Amounts: Anrok takes and answers the currency's smallest unit (cents), as we store them.
"""

from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django.conf import settings

from tax.providers import LineResult, TaxProviderError, TaxRequest, TaxResult
from tax.providers.http import post_json

BASE_URL = "https://api.anrok.com"
ID_PREFIX = "billing-console:"
NO_ADDRESS = "the customer has no tax address (Customer → Tax address): Anrok needs one."


def transaction_id(invoice_public_id: str) -> str:
    return f"{ID_PREFIX}{invoice_public_id}"


class AnrokTax:
    name = "anrok"

    def __init__(self, api_key: str) -> None:
        self.api_key = api_key

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        base = (getattr(settings, "TAX_ANROK_BASE_URL", "") or BASE_URL).rstrip("/")
        return post_json(
            f"{base}{path}",
            body,
            headers={"Authorization": f"Bearer {self.api_key}"},
            name="Anrok",
        )

    def request_body(self, request: TaxRequest) -> dict[str, Any]:
        if request.address is None:
            raise TaxProviderError(NO_ADDRESS)
        a = request.address
        address = {"country": a.country.lower(), "line1": a.line1, "line2": a.line2,
                   "city": a.city, "region": a.region, "postalCode": a.postal_code}  # fmt: skip
        return {
            "id": transaction_id(request.invoice_public_id),
            "currencyCode": request.currency.lower(),
            "accountingTime": request.issued_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "accountingTimeZone": "UTC",
            "customerId": request.customer_code,
            "customerName": request.customer_name,
            "customerAddress": {k: v for k, v in address.items() if v},
            "lineItems": [
                {
                    "id": line.ref,
                    "productExternalId": line.item_code,
                    "amount": line.amount,
                    "isTaxIncludedInAmount": False,
                }
                for line in request.lines
            ],
        }

    def calculate(self, request: TaxRequest) -> TaxResult:
        answer = self._post("/v1/seller/transactions/createOrUpdate", self.request_body(request))
        refs = {line.ref for line in request.lines}
        lines = tuple(
            LineResult(
                ref=line["id"],
                taxable=Decimal(str(line.get("preTaxAmount") or 0)),
                tax=Decimal(int(line.get("taxAmountToCollect") or 0)),
                jurisdictions=[
                    {
                        "name": juris.get("name", ""),
                        "tax_name": tax.get("taxName", ""),
                        "rate": str(tax.get("taxRate", "")),
                        "tax": str(tax.get("taxAmount", "")),
                    }
                    for juris in line.get("jurises") or []
                    for tax in juris.get("taxes") or []
                ],
            )
            for line in answer.get("lineItems") or []
            if line.get("id") in refs
        )
        pre_tax = answer.get("preTaxAmount")
        return TaxResult(
            transaction_id=transaction_id(request.invoice_public_id),
            total_tax=Decimal(int(answer.get("taxAmountToCollect") or 0)),
            total_taxable=Decimal(str(pre_tax)) if pre_tax is not None else None,
            lines=lines,
            committed=True,  # createOrUpdate saves it for filing
        )

    def void(self, *, transaction_id: str, company_code: str = "") -> None:
        self._post(f"/v1/seller/transactions/id:{quote(transaction_id, safe=':')}/void", {})
