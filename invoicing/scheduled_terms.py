"""The SCHEDULED invoice lines of a contract's discounts and professional services.

A discount item is a negative line on the SCHEDULED invoice dated at its timestamp: it reduces
whatever else is billed at that moment (a scheduled charge, a commit purchase, an in-advance
subscription). When nothing else is billed then, the invoice carries the discount alone and
its total is negative, as Metronome issues it: the discount is never moved to another invoice,
so what the customer is credited does not depend on what else happens to be scheduled. A
negative invoice is finalized like any other; collecting it is the billing provider's concern.

An item dated at a SCHEDULED invoice already finalized is not billed (a finalized invoice never
changes), as for scheduled charges: a discount added by an edit is dated after the last one.

A professional service's invoice items (scheduleProServicesInvoice, invoicing/pro_services.py)
are positive lines on the SCHEDULED invoice dated at their issued_at.

Each line is rounded once, HALF_UP, to the credit type's places (whole cents for USD): a
discount of 1250.5 cents is -1251, the mirror of a charge of 1250.5 (1251).
"""

from datetime import datetime

from billing_console.lib.money import round_line
from billing_console.lib.wire_values import iso
from contracts.models import Contract, DiscountItem, ProServiceInvoiceItem
from invoicing.rating.lines import DraftLine


def _discount_line(item: DiscountItem, places: int) -> DraftLine:
    discount = item.discount
    return DraftLine(
        type="SCHEDULED",
        name=discount.name or discount.product.name,
        product=discount.product,
        starting_at=item.timestamp,
        ending_before=item.timestamp,
        quantity=item.quantity,
        unit_price=-item.unit_price,
        total_unrounded=-item.amount,
        total=round_line(-item.amount, places),
        explanation={
            "discount_id": str(discount.public_id),
            "discount_custom_fields": discount.custom_fields,
        },
    )


def _pro_service_line(item: ProServiceInvoiceItem, places: int) -> DraftLine:
    service = item.service
    explanation = {
        "professional_service_id": str(service.public_id),
        "professional_service_custom_fields": service.custom_fields,
    }
    if item.metadata:
        explanation["metadata"] = item.metadata
    for key, moment in (
        ("netsuite_invoice_billing_start", item.netsuite_billing_start),
        ("netsuite_invoice_billing_end", item.netsuite_billing_end),
    ):
        if moment is not None:
            explanation[key] = iso(moment)
    return DraftLine(
        type="SCHEDULED",
        name=service.description or service.product.name,
        product=service.product,
        starting_at=item.timestamp,
        ending_before=item.timestamp,
        quantity=item.quantity,
        unit_price=item.unit_price,
        total_unrounded=item.amount,
        total=round_line(item.amount, places),
        explanation=explanation,
    )


def services_terms_lines(
    contract: Contract, through: datetime | None, places: int
) -> list[tuple[datetime, DraftLine]]:
    """(timestamp, line) of the contract's professional service invoice items, then of its
    discount items, dated before `through` (all when None)."""
    services = ProServiceInvoiceItem.objects.filter(service__contract=contract).select_related(
        "service__product"
    )
    discounts = DiscountItem.objects.filter(discount__contract=contract).select_related(
        "discount__product"
    )
    if through is not None:
        services, discounts = (
            services.filter(timestamp__lt=through),
            discounts.filter(timestamp__lt=through),
        )
    return [(i.timestamp, _pro_service_line(i, places)) for i in services] + [
        (i.timestamp, _discount_line(i, places)) for i in discounts
    ]
