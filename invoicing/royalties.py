"""Reseller royalties on an invoice, as the SDK's Invoice carries them: each line the reseller
type of the royalty its product falls under when it starts (`reseller_type`), and the invoice
the royalty itself (`reseller_royalty`) when all its royalty lines fall under one.

Reporting only: the lines and totals are what the customer is billed, with or without a
royalty. A line two royalties cover at once (of different reseller types) names neither.
"""

from typing import Any

from django.utils.dateparse import parse_datetime

from contracts.models import ResellerRoyalty
from contracts.terms.reseller_royalties import royalty_applies, royalty_on_invoice
from invoicing.models import Invoice
from pricing.models import Product


def with_reseller_royalty(invoice: Invoice, data: dict[str, Any]) -> dict[str, Any]:
    """`data` (the invoice on the wire) with its royalties: one query, and one more for the
    products' tags when the contract has royalties."""
    royalties = _royalties(invoice)
    if not royalties:
        return data
    items = [item for item in data["line_items"] if item.get("product_id")]
    untagged = {item["product_id"] for item in items if not item.get("product_tags")}
    tags = dict(Product.objects.filter(public_id__in=untagged).values_list("public_id", "tags"))
    tags_of = {str(public_id): value or [] for public_id, value in tags.items()}
    used: dict[int, ResellerRoyalty] = {}
    for item in items:
        at = parse_datetime(item["starting_at"]) if item.get("starting_at") else None
        product_tags = item.get("product_tags") or tags_of.get(item["product_id"], [])
        found = [
            royalty
            for royalty in royalties
            if royalty_applies(
                royalty, item["product_id"], product_tags, at or invoice.period_start
            )
        ]
        if len(found) == 1:
            item["reseller_type"] = found[0].reseller_type
            used[found[0].pk] = found[0]
    if len(used) == 1:
        data["reseller_royalty"] = royalty_on_invoice(next(iter(used.values())))
    return data


def _royalties(invoice: Invoice) -> list[ResellerRoyalty]:
    """The contract's royalties: prefetched by a list (invoicing.selectors.invoice_list), so a
    page of invoices reads them once, else read here."""
    if Invoice.contract.is_cached(invoice):
        held = getattr(invoice.contract, "_prefetched_objects_cache", {})
        if "reseller_royalties" in held:
            return list(held["reseller_royalties"])
    return list(ResellerRoyalty.objects.filter(contract_id=invoice.contract_id))
