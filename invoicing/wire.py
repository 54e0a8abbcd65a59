"""Invoices on the wire, in the shape of the SDK's `Invoice` (metronome.types.v1.customers)."""

from decimal import Decimal
from typing import Any

from billing_console.lib.wire_values import iso, number
from invoicing.consolidation import hierarchy_invoice_to_wire
from invoicing.models import Invoice, LineItem, LineType
from invoicing.royalties import with_reseller_royalty

# Carried on the line's explanation by invoicing/scheduled_terms.py, shown as the SDK names them.
SCHEDULED_TERM_KEYS = (
    "discount_id", "discount_custom_fields", "professional_service_id",
    "professional_service_custom_fields", "metadata", "netsuite_invoice_billing_start",
    "netsuite_invoice_billing_end",
)  # fmt: skip


def credit_type_to_wire(credit_type: Any) -> dict[str, str]:
    return {"id": str(credit_type.public_id), "name": credit_type.name}


def line_to_wire(line: LineItem | Any, credit_type: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": line.name,
        "type": line.type.lower(),
        "total": number(line.total),
        "credit_type": credit_type,
        "product_id": str(line.product.public_id) if line.product else None,
        "product_type": line.product.type if line.product else None,
        "product_tags": line.product_tags or None,
        "quantity": number(line.quantity),
        "unit_price": number(line.unit_price),
        "pricing_group_values": line.pricing_group_values or None,
        "presentation_group_values": line.presentation_group_values or None,
        "starting_at": iso(line.starting_at),
        "ending_before": iso(line.ending_before),
        "scheduled_charge_id": str(line.scheduled_charge_public_id)
        if line.scheduled_charge_public_id
        else None,
    }
    for key in SCHEDULED_TERM_KEYS:  # a discount's or a professional service's line
        if key in line.explanation:
            data[key] = line.explanation[key]
    if getattr(line, "origin", None):  # a consolidated invoice's copy of a statement's line
        data["origin"] = line.origin
    if line.commit_public_id:
        data["commit_id"] = str(line.commit_public_id)
        data["commit_segment_id"] = (
            str(line.commit_segment_public_id) if line.commit_segment_public_id else None
        )
        data["commit_type"] = line.explanation.get("commit_type")
    if line.type in (LineType.APPLIED_COMMIT, LineType.APPLIED_CREDIT):
        data["applied_commit_or_credit"] = {
            "id": str(line.commit_public_id),
            "type": "CREDIT" if line.type == LineType.APPLIED_CREDIT else "PREPAID",
        }
    if line.tiers:
        data["sub_line_items"] = [
            {
                "name": line.name,
                "quantity": number(line.quantity),
                "subtotal": number(line.total),
                "custom_fields": {},
                "tiers": [
                    {
                        "starting_at": number(Decimal(t.get("starting_at", "0"))),
                        "quantity": number(Decimal(t.get("quantity", "0"))),
                        "price": number(Decimal(t.get("price", "0"))),
                        "subtotal": number(Decimal(t.get("amount", "0"))),
                    }
                    for t in line.tiers
                ],
            }
        ]
    return {k: v for k, v in data.items() if v is not None}


def invoice_to_wire(invoice: Invoice, draft: Any = None) -> dict[str, Any]:
    """The invoice as stored, or, with `draft` (a preview or breakdown: .lines, .total,
    .subtotal), the invoice carrying those computed lines instead."""
    credit_type = credit_type_to_wire(invoice.credit_type)
    lines = draft.lines if draft is not None else invoice.lines.all()
    data = {
        "id": str(invoice.public_id),
        "customer_id": str(invoice.customer.public_id),
        "contract_id": str(invoice.contract.public_id),
        "type": invoice.type,
        "status": invoice.status,
        "credit_type": credit_type,
        "total": number(draft.total if draft is not None else invoice.total),
        "subtotal": number(draft.subtotal if draft is not None else invoice.subtotal),
        "start_timestamp": iso(invoice.period_start),
        "end_timestamp": iso(invoice.period_end),
        "issued_at": iso(invoice.issued_at),
        "created_at": iso(invoice.created_at),
        "net_payment_terms_days": invoice.contract.net_payment_terms_days,
        "contract_custom_fields": invoice.contract.custom_fields,
        "customer_custom_fields": invoice.customer.custom_fields,
        "netsuite_sales_order_id": invoice.contract.netsuite_sales_order_id or None,
        "salesforce_opportunity_id": invoice.contract.salesforce_opportunity_id or None,
        "regenerated_from_invoice_id": str(invoice.regenerated_from.public_id)
        if invoice.regenerated_from
        else None,
        "line_items": _with_netsuite_ids(
            list(lines), [line_to_wire(line, credit_type) for line in lines]
        ),
        "external_invoice": external_invoice_to_wire(invoice),
        **hierarchy_invoice_to_wire(invoice),  # payer, constituent_invoices
    }
    return with_reseller_royalty(invoice, data)  # reseller_royalty, lines' reseller_type


def _with_netsuite_ids(lines: list[Any], items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """netsuite_item_id, commit_netsuite_item_id and commit_netsuite_sales_order_id on each
    line that has them (invoicing/netsuite.py): the SDK's LineItem carries them."""
    from invoicing.netsuite import line_netsuite_ids, line_ref

    for item, ids in zip(items, line_netsuite_ids([line_ref(line) for line in lines]), strict=True):
        item.update(ids)
    return items


def external_invoice_to_wire(invoice: Invoice) -> dict[str, Any] | None:
    """Where the invoice was sent for collection (Stripe, a marketplace), once it was."""
    external = getattr(invoice, "external", None) if invoice.pk else None
    if external is None:
        return None
    data = {
        "billing_provider_type": external.billing_provider,
        "external_status": external.external_status,
        "invoice_id": external.external_id or None,
        "billing_provider_error": external.error or None,
        "external_payment_id": external.external_payment_id or None,
        "invoiced_total": number(external.invoiced_total),
        "invoiced_sub_total": number(external.invoiced_sub_total),
        "issued_at_timestamp": iso(external.issued_at),
        "pdf_url": external.pdf_url or None,
    }
    # The tax app's computation (Avalara, Anrok, Stripe Tax read back) where there is one;
    # Metronome records a tax provider's total here, at the invoice level.
    tax = getattr(invoice, "tax", None)
    if tax is not None and tax.total_tax is not None:
        data["tax"] = {
            "total_tax_amount": number(tax.total_tax),
            "total_taxable_amount": number(tax.total_taxable),
            "transaction_id": tax.transaction_id or None,
        }
        data["tax"] = {k: v for k, v in data["tax"].items() if v is not None}
    elif external.tax_amount is not None:
        data["tax"] = {"total_tax_amount": number(external.tax_amount)}
    return data
