"""Invoice reads."""

from datetime import datetime

from django.db.models import Prefetch, QuerySet

from billing_console.api import ApplicationError
from customers.models import Customer
from invoicing.models import Invoice, LineItem


def invoice_list(
    *,
    customer: Customer,
    contract_id: str | None = None,
    status: str | None = None,
    starting_on: datetime | None = None,
    ending_before: datetime | None = None,
    credit_type_id: str | None = None,
    newest_first: bool = False,
) -> QuerySet[Invoice]:
    qs = Invoice.objects.filter(customer=customer).select_related(
        "credit_type", "contract__parent__customer", "customer", "regenerated_from", "external",
        "tax",  # tax.InvoiceTax: external_invoice.tax on the wire
    )  # fmt: skip
    qs = qs.prefetch_related(
        # Products' versions: the lines' NetSuite item ids (invoicing.netsuite), once per page.
        Prefetch(
            "lines",
            queryset=LineItem.objects.select_related("product").prefetch_related(
                "product__versions"
            ),
        ),
        "contract__reseller_royalties",  # invoicing.royalties: once per page, not per invoice
    )
    if contract_id:
        qs = qs.filter(contract__public_id=contract_id)
    if status:
        qs = qs.filter(status=status)
    if starting_on:
        qs = qs.filter(period_end__gt=starting_on)
    if ending_before:
        qs = qs.filter(period_start__lt=ending_before)
    if credit_type_id:
        qs = qs.filter(credit_type__public_id=credit_type_id)
    return (
        qs.order_by("-period_start", "-pk") if newest_first else qs.order_by("period_start", "pk")
    )


def invoice_get(*, customer: Customer, invoice_id: str) -> Invoice:
    import uuid

    try:
        uuid.UUID(str(invoice_id))
    except ValueError:
        raise ApplicationError(
            f"invoice_id: no invoice with id {invoice_id}.", "not_found"
        ) from None
    invoice = invoice_list(customer=customer).filter(public_id=invoice_id).first()
    if invoice is None:
        raise ApplicationError(f"invoice_id: no invoice with id {invoice_id}.", "not_found")
    return invoice
