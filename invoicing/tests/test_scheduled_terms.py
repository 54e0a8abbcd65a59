"""Discounts on SCHEDULED invoices, to the cent: each item a negative line on the invoice at its
timestamp, rounded once HALF_UP; alone at its timestamp, an invoice with a negative total; a
recurring schedule expanded and divided as its amount_distribution says."""

from decimal import Decimal
from typing import Any

import pytest

from billing_console.api import ApplicationError
from contracts.services import contract_create
from customers.services import customer_create
from invoicing.services import contract_scheduled_invoices_sync
from invoicing.wire import invoice_to_wire
from pricing.services import product_create


def _contract(discounts: list[dict[str, Any]], **terms: Any):
    """A contract (USD cents, no rate card) with these discounts, on a FIXED product."""
    customer = customer_create(name="Acme", ingest_aliases=["acme"])
    fixed = str(product_create(name="Platform", type="FIXED").public_id)
    body = {
        "starting_at": "2026-01-01T00:00:00Z",
        "discounts": [{"product_id": fixed, **d} for d in discounts],
        **{k: [{"product_id": fixed, **t} for t in v] for k, v in terms.items()},
    }
    return contract_create(customer=customer, data=body)


def _invoices(contract) -> dict[str, Any]:
    return {
        f"{i.period_start:%Y-%m-%d}": i for i in contract_scheduled_invoices_sync(contract=contract)
    }


@pytest.mark.django_db
def test_a_discount_takes_its_amount_off_the_scheduled_invoice():
    contract = _contract(
        [{"name": "Launch discount", "schedule": {"schedule_items": [
            # 3 x $25.005 = $75.015: 7501.5 cents, one line rounded HALF_UP to -7502
            {"timestamp": "2026-02-01T00:00:00Z", "unit_price": 2500.5, "quantity": 3},
            {"timestamp": "2026-04-01T00:00:00Z", "amount": 1250},  # nothing else that day
        ]}}],
        scheduled_charges=[{"name": "Setup fee", "schedule": {"schedule_items": [
            {"timestamp": "2026-02-01T00:00:00Z", "amount": 150000}]}}],
    )  # fmt: skip
    invoices = _invoices(contract)
    feb, apr = invoices["2026-02-01"], invoices["2026-04-01"]
    lines = [(line.name, line.quantity, line.unit_price, line.total) for line in feb.lines.all()]
    assert lines == [
        ("Setup fee", 1, 150000, Decimal(150000)),
        ("Launch discount", 3, Decimal("-2500.5"), Decimal(-7502)),
    ]
    assert feb.total == feb.subtotal == Decimal(142498)  # $1,500.00 - $75.02 = $1,424.98
    # Alone at its timestamp: its own scheduled invoice, with a negative total.
    assert [line.total for line in apr.lines.all()] == [Decimal(-1250)]
    assert apr.total == Decimal(-1250)  # -$12.50
    discount = contract.discounts.get()
    [_fee, line] = invoice_to_wire(feb)["line_items"]
    assert line["discount_id"] == str(discount.public_id) and line["total"] == -7502
    assert line["type"] == "scheduled" and "scheduled_charge_id" not in line


@pytest.mark.django_db
def test_a_recurring_discount_divides_its_amount_to_the_cent():
    contract = _contract([
        # 10001 cents over the month-ends Jan 31, Feb 28, Mar 31, Apr 30: whole cents, the one
        # left over to the first
        {"name": "Rounded", "schedule": {"recurring_schedule": {
            "starting_at": "2026-01-31T00:00:00Z", "ending_before": "2026-05-01T00:00:00Z",
            "frequency": "MONTHLY", "amount_distribution": "DIVIDED_ROUNDED", "amount": 10001}}},
        # 1000 cents over Jan 1, Feb 1, Mar 1: 333.33... each, each line rounded to -333
        {"name": "Divided", "schedule": {"recurring_schedule": {
            "starting_at": "2026-01-01T00:00:00Z", "ending_before": "2026-04-01T00:00:00Z",
            "frequency": "MONTHLY", "amount_distribution": "DIVIDED", "amount": 1000}}},
        # 2 x 250 cents on Jan 1 and Jul 1
        {"name": "Each", "schedule": {"recurring_schedule": {
            "starting_at": "2026-01-01T00:00:00Z", "ending_before": "2027-01-01T00:00:00Z",
            "frequency": "SEMI_ANNUAL", "amount_distribution": "EACH",
            "unit_price": 250, "quantity": 2}}},
    ])  # fmt: skip
    totals = {day: invoice.total for day, invoice in _invoices(contract).items()}
    assert totals == {
        "2026-01-01": Decimal(-833),  # -333 (Divided) - 500 (Each)
        "2026-01-31": Decimal(-2501),
        "2026-02-01": Decimal(-333),
        "2026-02-28": Decimal(-2500),
        "2026-03-01": Decimal(-333),
        "2026-03-31": Decimal(-2500),
        "2026-04-30": Decimal(-2500),
        "2026-07-01": Decimal(-500),
    }
    each = contract.discounts.get(name="Each").items.all()
    assert [(i.quantity, i.unit_price, i.amount) for i in each] == [(2, 250, 500)] * 2
    divided = contract.discounts.get(name="Divided").items.first()
    assert divided.amount == Decimal("333.333333333333")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ({"schedule_items": [{"timestamp": "2026-02-01T00:00:00Z", "amount": -500}]},
         "discounts[0].schedule.schedule_items[0].amount: a discount's amount is the size"),
        ({"recurring_schedule": {"starting_at": "2026-01-01T00:00:00Z",
                                 "ending_before": "2026-03-01T00:00:00Z", "frequency": "MONTHLY",
                                 "amount_distribution": "EACH", "unit_price": -5, "quantity": 1}},
         "discounts[0].schedule.recurring_schedule.unit_price: a discount's amount is the size"),
        ({"schedule_items": []},
         "discounts[0].schedule.schedule_items: needs at least one item"),
        ({"schedule_items": [{"timestamp": "2026-02-01T00:00:00Z", "unit_price": 10**15,
                              "quantity": 10**15}]},
         "discounts[0].schedule.schedule_items: gives an amount out of range."),
        ({"recurring_schedule": {"starting_at": "2026-01-01T00:00:00Z",
                                 "ending_before": "2026-03-01T00:00:00Z", "frequency": "MONTHLY",
                                 "amount_distribution": "EACH", "amount": 5, "quantity": 1}},
         "discounts[0].schedule.recurring_schedule.amount: is sent instead of unit_price"),
    ],
)  # fmt: skip
def test_a_discount_schedule_that_cannot_be_billed_is_refused(schedule, message):
    with pytest.raises(ApplicationError) as error:
        _contract([{"schedule": schedule}])
    assert error.value.message.startswith(message), error.value.message
