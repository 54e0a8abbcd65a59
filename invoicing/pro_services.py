"""POST /v1/contracts/scheduleProServicesInvoice: bill part of a contract's professional
services on the SCHEDULED invoice dated `issued_at`.

Each line becomes a ProServiceInvoiceItem (append-only) and the contract's scheduled invoices
are brought up to date through `issued_at`, so the lines land on the invoice of that moment
(shared with any scheduled charge of the same timestamp, like every SCHEDULED invoice). A line
bills `amount`, or `quantity` x `unit_price` (the term's unit price unless the line gives one).

An `issued_at` at or after the contract's end is refused (400 naming it): Metronome's docs
and the SDK say nothing of invoicing services after the end, and a contract that has ended
bills nothing after it (an end moved before lines already issued leaves them, as invoiced).

A service is never invoiced past its max_amount: the rounded totals of its items, earlier ones
and this call's, must not exceed it, checked with the service rows locked so two concurrent
calls cannot both pass. A voided invoice's lines are billed again by the invoice that replaces
it, so they keep counting. The endpoint has no idempotency key (Metronome's has none): a call
repeated after a lost answer bills again, within the max.
"""

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction

from billing_console.api import ApplicationError
from billing_console.lib.money import round_line
from billing_console.lib.money_text import format_money
from billing_console.wire import Reader
from billing_console.wire_fields import refuse_unsupported
from contracts.models import Contract, ProfessionalService, ProServiceInvoiceItem
from contracts.terms.finalized_moments import before_end
from contracts.wire.fields.services_terms import PRO_SERVICES_INVOICE
from contracts.wire.read import uuid_from_wire
from invoicing.models import Invoice, InvoiceStatus, InvoiceType
from invoicing.services import contract_credit_type, contract_scheduled_invoices_sync, line_places

# Amounts as people read them ("$7,107.75"), not in the stored unit the body is in (cents).
OVER_MAX = (
    "would invoice {name} {total} in all, over its max_amount of {max} ({billed} already invoiced)."
)
FINALIZED = (
    "the scheduled invoice of {at} is already finalized: issue these lines at another moment."
)


class OverMaxAmount(ApplicationError):
    """A 400 like any other on the API; the console words it with the amounts in money."""

    def __init__(
        self, message: str, *, service: ProfessionalService, total: Decimal, billed: Decimal
    ):
        super().__init__(message)
        self.service, self.total, self.billed = service, total, billed


NOT_ON_CONTRACT = "no professional service {id} on this contract."
WRONG_AMENDMENT = "professional service {id} was not added by amendment {amendment}."


@transaction.atomic
def pro_services_invoice_schedule(*, contract: Contract, data: dict[str, Any]) -> list[Invoice]:
    """Bill the body's line_items; returns the invoice that carries them."""
    refuse_unsupported(data, PRO_SERVICES_INVOICE)
    reader = Reader(data)
    contract = Contract.objects.select_for_update().get(pk=contract.pk)  # serialize with refreshes
    if contract.archived_at is not None:
        raise ApplicationError("contract_id: the contract is archived.")
    issued_at: datetime = reader.datetime("issued_at", required=True)  # type: ignore[assignment]
    before_end(reader, issued_at, contract.ending_before, "issued_at")  # it bills nothing after
    lines = reader.children("line_items", required=True)
    if not lines:
        raise reader.fail("line_items", "needs at least one line.")
    invoice = (
        Invoice.objects.filter(
            contract=contract, type=InvoiceType.SCHEDULED, period_start=issued_at
        )
        .exclude(status=InvoiceStatus.VOID)
        .first()
    )
    if invoice is not None and not invoice.is_draft:
        raise ApplicationError(
            f"issued_at: {FINALIZED.format(at=issued_at.isoformat())}", "conflict"
        )
    services = {
        str(s.public_id): s
        for s in ProfessionalService.objects.select_for_update()
        .filter(contract=contract)
        .select_related("product")
    }
    items = [_item(line, contract, services, issued_at) for line in lines]
    _within_max(contract, lines, items)
    for item in items:
        item.save()
    synced = contract_scheduled_invoices_sync(
        contract=contract, through=issued_at + timedelta(microseconds=1)
    )
    return [i for i in synced if i.period_start == issued_at]


def _within_max(
    contract: Contract, lines: list[Reader], items: list[ProServiceInvoiceItem]
) -> None:
    """Each service's rounded totals, earlier ones and these, stay within its max_amount (the
    service rows are locked by the caller); the first line over it is refused."""
    credit_type = contract_credit_type(contract)
    places = line_places(credit_type)
    billed = pro_services_billed([item.service for item in items], places)
    for line, item in zip(lines, items, strict=True):
        service, total = item.service, round_line(item.amount, places)
        if billed[service.pk] + total > service.max_amount:
            field = "amount" if line.has("amount") else "quantity"
            message = OVER_MAX.format(
                name=service.description or service.product.name,
                total=format_money(billed[service.pk] + total, credit_type),
                max=format_money(service.max_amount, credit_type),
                billed=format_money(billed[service.pk], credit_type),
            )
            raise OverMaxAmount(
                f"{line.path}.{field}: {message}",
                service=service,
                total=billed[service.pk] + total,
                billed=billed[service.pk],
            )
        billed[service.pk] += total


def pro_services_billed(services: list[ProfessionalService], places: int) -> dict[int, Decimal]:
    """What each service (by pk) has been invoiced so far: the rounded totals of its lines,
    `places` being the credit type's (invoicing.services.line_places)."""
    billed: dict[int, Decimal] = defaultdict(Decimal)
    for item in ProServiceInvoiceItem.objects.filter(service__in=services):
        billed[item.service_id] += round_line(item.amount, places)
    return billed


def _item(
    line: Reader, contract: Contract, services: dict[str, ProfessionalService], at: datetime
) -> ProServiceInvoiceItem:
    key = "professional_service_id"
    public_id = uuid_from_wire(line, key, line.str(key, required=True, max_length=64))
    service = services.get(public_id)
    if service is None:
        raise line.fail(key, NOT_ON_CONTRACT.format(id=public_id))
    if line.has("amendment_id"):
        _check_amendment(line, contract, service)
    quantity, unit_price, amount = _priced(line, service)
    return ProServiceInvoiceItem(
        service=service,
        timestamp=at,
        quantity=quantity,
        unit_price=unit_price,
        amount=amount,
        metadata=line.str("metadata", max_length=2000),
        netsuite_billing_start=line.datetime("netsuite_invoice_billing_start"),
        netsuite_billing_end=line.datetime("netsuite_invoice_billing_end"),
    )


def _priced(line: Reader, service: ProfessionalService) -> tuple[Decimal, Decimal, Decimal]:
    """(quantity, unit_price, amount): the amount alone (quantity 1), or quantity x the line's
    unit price or else the term's."""
    zero = Decimal(0)
    amount = line.decimal("amount", minimum=zero)
    quantity = line.decimal("quantity", minimum=zero)
    unit_price = line.decimal("unit_price", minimum=zero)
    if amount is not None:
        if quantity is not None or unit_price is not None:
            raise line.fail("amount", "is sent instead of quantity and unit_price, not with them.")
        return Decimal(1), amount, amount
    if quantity is None:
        if unit_price is not None:
            raise line.fail("quantity", "is required with unit_price.")
        raise line.fail("amount", "is required (or quantity, with or without unit_price).")
    price = unit_price if unit_price is not None else service.unit_price
    return quantity, price, quantity * price


def _check_amendment(line: Reader, contract: Contract, service: ProfessionalService) -> None:
    """amendment_id names the edit (its id, as /v2/contracts/edit returned it) that added the
    service; it may be left out, since the service's id alone names it."""
    amendment = uuid_from_wire(line, "amendment_id", line.str("amendment_id", max_length=64))
    added_by = [
        str(edit.public_id)
        for edit in contract.edits.all()
        if str(service.public_id) in edit.changes.get("add_professional_services", [])
    ]
    if amendment not in added_by:
        raise line.fail(
            "amendment_id", WRONG_AMENDMENT.format(id=service.public_id, amendment=amendment)
        )
