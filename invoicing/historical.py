"""Historical invoices (/v1/contracts/createHistoricalInvoices): usage invoices for past periods
of a contract (a billing migration), created FINALIZED with the usage lines as given, each
priced by the contract's rates through the rating core (invoicing.historical_rating).

A historical invoice bills one of the contract's usage statement periods (a contract has one
live usage invoice per period: invoicing.models.Invoice's constraint) and takes that statement's
place: a draft statement of the period is voided (its provisional draws reversed), a finalized
one is a 409. Any other period would leave statements overlapping it, billing usage twice.

Idempotent by the invoice itself: its key is a hash of what it bills (contract, credit type,
period, issue date and lines, as sent), kept on its lines. The same invoice sent again returns
the one already created; a different one for a period already invoiced is a 409. `preview`
computes the same invoices and rolls everything back: it stores nothing (the draft it would
replace stays), takes no invoice number, syncs nothing.
"""

import hashlib
import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from billing_console.api import ApplicationError
from billing_console.lib.periods import Period
from billing_console.lib.wire_values import iso
from billing_console.wire import Reader
from billing_console.wire_fields import honour, refuse, refuse_unsupported
from contracts import selectors as contract_selectors
from contracts.models import Contract
from contracts.wire.read import product_from_wire
from customers.selectors import customer_get
from invoicing.historical_rating import GivenLine, historical_line_rated
from invoicing.models import Invoice, InvoiceStatus, InvoiceType
from invoicing.services import (
    contract_credit_type,
    contract_statement_periods,
    invoice_void,
    line_items,
    line_places,
    next_numbers,
    set_totals,
)
from invoicing.signals import invoices_finalized
from invoicing.wire import invoice_to_wire

TEST = "invoicing.tests.test_historical::"
CREATED = TEST + "test_historical_invoices_created_twice_give_one_set_to_the_cent"
_LINE = "invoices[].usage_line_items[]."
_INVOICE_KEYS = (
    "contract_id", "credit_type_id", "customer_id", "exclusive_end_date",
    "inclusive_start_date", "issue_date",
)  # fmt: skip
_LINE_KEYS = (
    "exclusive_end_date", "inclusive_start_date", "product_id", "quantity",
    "pricing_group_values", "presentation_group_values",
)  # fmt: skip
HISTORICAL_INVOICES = (
    honour(CREATED, "invoices", "preview", "invoices[].usage_line_items")
    + honour(CREATED, *(f"invoices[].{k}" for k in _INVOICE_KEYS))
    + honour(CREATED, *(_LINE + k for k in _LINE_KEYS))
    + honour(
        CREATED,
        "invoices[].billable_status",
        refused_values={
            "unbillable": "is not supported yet: a finalized invoice goes to the contract's "
            "billing provider."
        },
    )
    + refuse("is not supported yet: give the line's quantity.", _LINE + "subtotals_with_quantity")
    + refuse(
        "is not supported yet: breakdowns are computed from stored usage.",
        "invoices[].breakdown_granularity",
    )
    + refuse("is not supported yet: set invoice custom fields after.", "invoices[].custom_fields")
)
PERIOD_TAKEN = (
    "{path}.inclusive_start_date: the contract already has a {status} usage invoice for the "
    "period starting {start} ({id})."
)
NOT_A_STATEMENT_PERIOD = (
    "must start and end with one of the contract's usage statement periods{hint}: a historical "
    "invoice takes that statement's place."
)
KEY = "historical_invoice_key"  # on each line's explanation: the invoice's idempotency key


def historical_invoice(invoice: Invoice) -> bool:
    """Made by createHistoricalInvoices: its lines bill given quantities, not stored usage."""
    return any(KEY in (line.explanation or {}) for line in invoice.lines.all())


class _Previewed(Exception):
    """Raised to roll a preview back, carrying what it computed."""

    def __init__(self, wire: list[dict[str, Any]]) -> None:
        self.wire = wire


def _key(item: Reader) -> str:
    canonical = json.dumps(item.data, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _period(reader: Reader, within: Period | None = None) -> Period:
    start = reader.datetime("inclusive_start_date", required=True)
    end = reader.datetime("exclusive_end_date", required=True)
    assert start is not None and end is not None
    if end <= start:
        raise reader.fail("exclusive_end_date", "must be after inclusive_start_date.")
    if within is not None and (start < within.start or end > within.end):
        raise reader.fail(
            "inclusive_start_date",
            f"the line's period must lie within the invoice's, {iso(within.start)} to "
            f"{iso(within.end)}.",
        )
    return Period(start, end)


def _contract(item: Reader) -> Contract:
    try:
        customer = customer_get(item.str("customer_id", required=True, max_length=64))
    except ApplicationError as error:
        raise ApplicationError(f"{item.path}.{error.message}", error.code) from None
    return contract_selectors.contract_get(
        customer=customer,
        contract_id=item.str("contract_id", required=True, max_length=64),
        field=f"{item.path}.contract_id",
    )


def _checked_period(item: Reader, contract: Contract, now: datetime) -> Period:
    period = _period(item)
    if period.end > now:
        raise item.fail("exclusive_end_date", "a historical invoice is for a past period.")
    end = contract.ending_before
    if period.start < contract.starting_at or (end is not None and period.end > end):
        raise item.fail("inclusive_start_date", "the period must lie within the contract's.")
    periods = contract_statement_periods(contract, period.end)
    if period not in periods:
        near = [p for p in periods if p.start <= period.start < p.end]
        hint = f" (this one is {iso(near[0].start)} to {iso(near[0].end)})" if near else ""
        raise item.fail("inclusive_start_date", NOT_A_STATEMENT_PERIOD.format(hint=hint))
    return period


def _lines(item: Reader, period: Period) -> list[GivenLine]:
    given = []
    for line in item.children("usage_line_items", required=True):
        product = product_from_wire(line, "product_id")
        assert product is not None
        given.append(
            GivenLine(
                path=line.path,
                product=product,
                period=_period(line, within=period),
                quantity=line.decimal("quantity", required=True, minimum=Decimal(0)),  # type: ignore[arg-type]
                pricing_group_values=line.str_map("pricing_group_values"),
                presentation_group_values=line.str_map("presentation_group_values"),
            )
        )
    if not given:
        raise item.fail("usage_line_items", "at least one line is required.")
    return given


def _existing(contract: Contract, period: Period, key: str, path: str) -> Invoice | None:
    found = (
        Invoice.objects.select_for_update()
        .filter(contract=contract, type=InvoiceType.USAGE, period_start=period.start)
        .exclude(status=InvoiceStatus.VOID)
        .first()
    )
    if found is None:
        return None
    if any(line.explanation.get(KEY) == key for line in found.lines.all()):
        return found  # the same invoice, sent again
    if found.is_draft:  # a statement (historical invoices are never drafts)
        invoice_void(invoice=found)  # replaced by the historical invoice; its draws reversed
        return None
    raise ApplicationError(
        PERIOD_TAKEN.format(
            path=path, status=found.status.lower(), start=iso(found.period_start),
            id=found.public_id,
        ),
        "conflict",
    )  # fmt: skip


def _create(item: Reader, now: datetime) -> tuple[Invoice, bool]:
    """The invoice `item` describes, and whether it was created now."""
    contract = _contract(item)
    Contract.objects.select_for_update().filter(pk=contract.pk).first()  # as recomputes do
    credit_type = contract_credit_type(contract)
    sent = item.str("credit_type_id", required=True, max_length=64)
    if sent != str(credit_type.public_id):
        raise item.fail("credit_type_id", f"must be the contract's credit type {credit_type.public_id}.")  # fmt: skip
    period = _checked_period(item, contract, now)
    issued_at = item.datetime("issue_date", required=True)
    given = _lines(item, period)
    key = _key(item)
    if (existing := _existing(contract, period, key, item.path)) is not None:
        return existing, False
    invoice = Invoice.objects.create(
        customer=contract.customer, contract=contract, credit_type=credit_type,
        type=InvoiceType.USAGE, period_start=period.start, period_end=period.end,
        issued_at=issued_at,
    )  # fmt: skip
    places = line_places(credit_type)
    lines = [historical_line_rated(contract, invoice, line, places) for line in given]
    for line in lines:
        line.explanation = {**line.explanation, KEY: key}
    for row in line_items(invoice, lines):
        row.save()
    set_totals(invoice, lines)
    invoice.status = InvoiceStatus.FINALIZED
    invoice.finalized_at = now
    [invoice.number] = next_numbers("INV", 1)
    invoice.customer_name = contract.customer.name
    invoice.save()
    return invoice, True


def historical_invoices_create(*, data: dict[str, Any]) -> list[dict[str, Any]]:
    """Create (or, with preview, compute) the body's invoices; returns them on the wire."""
    refuse_unsupported(data, HISTORICAL_INVOICES)
    reader = Reader(data)
    preview = reader.bool("preview")
    if preview is None:
        raise reader.fail("preview", "is required.")
    now = timezone.now()
    try:
        with transaction.atomic():
            made = [_create(item, now) for item in reader.children("invoices", required=True)]
            wire = [invoice_to_wire(invoice) for invoice, _new in made]
            if preview:
                raise _Previewed(wire)
            if created := [invoice for invoice, new in made if new]:
                invoices_finalized.send(Invoice, invoices=created)  # providers sync, on commit
    except _Previewed as previewed:
        return previewed.wire
    return wire
