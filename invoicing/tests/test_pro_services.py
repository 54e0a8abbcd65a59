"""Professional services invoiced by POST /v1/contracts/scheduleProServicesInvoice, to the cent:
each line quantity x unit price (or an amount), rounded once HALF_UP, on the SCHEDULED invoice
dated issued_at; never past the service's max_amount; never on a finalized invoice."""

from decimal import Decimal
from typing import Any

import pytest

from contracts.models import ProServiceInvoiceItem
from contracts.services import contract_create
from customers.services import customer_create
from invoicing.models import Invoice
from invoicing.services import contract_scheduled_invoices_sync, invoice_finalize
from pricing.services import product_create

PATH = "/v1/contracts/scheduleProServicesInvoice"
MARCH = "2026-03-15T00:00:00Z"


@pytest.fixture
def deal(db) -> dict[str, Any]:
    """Implementation: 40 hours at $175.50, up to $7,020.00; a $50.00 fee on March 15."""
    customer = customer_create(name="Acme", ingest_aliases=["acme"])
    hours = product_create(name="Implementation hours", type="PRO_SERVICE")
    fee = product_create(name="Travel fee", type="FIXED")
    contract = contract_create(customer=customer, data={
        "starting_at": "2026-01-01T00:00:00Z",
        "professional_services": [
            {"product_id": str(hours.public_id), "description": "Implementation",
             "quantity": 40, "unit_price": 17550, "max_amount": 702000}],
        "scheduled_charges": [{"product_id": str(fee.public_id), "name": "Travel fee",
                               "schedule": {"schedule_items": [{"timestamp": MARCH, "amount": 5000}]}}],
    })  # fmt: skip
    service = contract.professional_services.get()
    return {
        "customer_id": str(customer.public_id),
        "contract_id": str(contract.public_id),
        "service": str(service.public_id),
        "contract": contract,
    }


def _schedule(api, deal, *lines: dict[str, Any], issued_at: str = MARCH):
    body = {
        "customer_id": deal["customer_id"],
        "contract_id": deal["contract_id"],
        "issued_at": issued_at,
        "line_items": [{"professional_service_id": deal["service"], **line} for line in lines],
    }
    return api.post(PATH, body, format="json")


def test_pro_services_invoice_to_the_cent(api, deal):
    response = _schedule(
        api,
        deal,
        {"quantity": 12.5},  # 12.5 h x 17550 = 219375 cents
        {"amount": 33333.5},  # an amount alone: 33333.5 cents, rounded HALF_UP to 33334
        {"quantity": 2, "unit_price": 9999.25},  # the line's own price: 19998.5 -> 19999
    )
    assert response.status_code == 200, response.content
    [invoice] = response.json()["data"]
    assert invoice["type"] == "SCHEDULED" and invoice["issued_at"] == MARCH
    lines = [(li["name"], li["quantity"], li["unit_price"], li["total"]) for li in invoice["line_items"]]  # fmt: skip
    assert lines == [
        ("Travel fee", 1, 5000, 5000),  # the same day's scheduled charge shares the invoice
        ("Implementation", 12.5, 17550, 219375),
        ("Implementation", 1, 33333.5, 33334),
        ("Implementation", 2, 9999.25, 19999),
    ]
    assert invoice["total"] == 277708  # $50.00 + $2,193.75 + $333.34 + $199.99 = $2,777.08
    assert {li.get("professional_service_id") for li in invoice["line_items"][1:]} == {
        deal["service"]
    }
    # A later refresh rebuilds the same invoice from the items: nothing lost, nothing doubled.
    [again] = [
        i for i in contract_scheduled_invoices_sync(contract=deal["contract"])
        if i.period_start.isoformat().startswith("2026-03-15")
    ]  # fmt: skip
    assert str(again.public_id) == invoice["id"] and again.total == Decimal(277708)


def test_invoicing_past_the_max_amount_is_a_400_naming_the_field(api, deal):
    assert _schedule(api, deal, {"quantity": 39}).status_code == 200  # 684450 of 702000
    # 1.5 more hours would make 684450 + 26325 = 710775: refused, naming the line's quantity.
    response = _schedule(api, deal, {"quantity": 1.5}, issued_at="2026-04-01T00:00:00Z")
    assert response.status_code == 400
    message = response.json()["message"]
    assert message.startswith("line_items[0].quantity: "), message
    assert message.endswith(
        "would invoice Implementation $7,107.75 in all, over its max_amount of $7,020.00"
        " ($6,844.50 already invoiced)."
    ), message
    # Two lines of one call count together: 684450 + 10000 + 7551 = 702001, the second is over.
    response = _schedule(
        api, deal, {"amount": 10000}, {"amount": 7551}, issued_at="2026-04-01T00:00:00Z"
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith("line_items[1].amount: ")
    assert ProServiceInvoiceItem.objects.count() == 1  # nothing written by a refused call
    # Up to the max exactly is allowed.
    assert _schedule(api, deal, {"amount": 17550}).status_code == 200


def test_a_finalized_invoice_at_issued_at_is_a_conflict(api, deal):
    assert _schedule(api, deal, {"quantity": 1}).status_code == 200
    invoice_finalize(invoice=Invoice.objects.get(type="SCHEDULED", period_start__day=15))
    response = _schedule(api, deal, {"quantity": 1})
    assert response.status_code == 409
    assert response.json()["message"].startswith("issued_at: the scheduled invoice of")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ({"unit_price": 100}, "line_items[0].quantity: is required with unit_price."),
        ({"amount": 100, "quantity": 1}, "line_items[0].amount: is sent instead of quantity"),
        ({}, "line_items[0].amount: is required"),
        ({"professional_service_id": "00000000-0000-0000-0000-000000000000", "amount": 1},
         "line_items[0].professional_service_id: no professional service"),
        ({"amount": 1, "amendment_id": "00000000-0000-0000-0000-000000000000"},
         "line_items[0].amendment_id: professional service"),
        ({"amount": -1}, "line_items[0].amount: must be at least 0."),
    ],
)  # fmt: skip
def test_a_line_that_cannot_be_billed_is_a_400_naming_it(api, deal, line, message):
    response = _schedule(api, deal, line)
    assert response.status_code == 400
    assert response.json()["message"].startswith(message), response.json()
    assert not ProServiceInvoiceItem.objects.exists()


def test_a_pro_service_needs_a_pro_service_product(api, deal):
    fixed = product_create(name="Fixed", type="FIXED")
    body = {
        "customer_id": deal["customer_id"],
        "contract_id": deal["contract_id"],
        "add_professional_services": [
            {"product_id": str(fixed.public_id), "quantity": 1, "unit_price": 1, "max_amount": 1}
        ],
    }
    response = api.post("/v2/contracts/edit", body, format="json")
    assert response.status_code == 400
    assert response.json()["message"] == (
        "add_professional_services[0].product_id: must be a PRO_SERVICE product (this one is FIXED)."
    )
