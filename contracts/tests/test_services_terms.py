"""Discounts and professional services through the official metronome-sdk: created with a
contract, added by a v2 edit, read back by v1 get and list and v2 get as sent (a recurring
schedule as the items it expands to), and professional services invoiced with
schedule_pro_services_invoice. Each test checks every field the no-silent-drop lists
(contracts/wire/fields/services_terms.py) name it for."""

from types import SimpleNamespace
from typing import Any

import pytest

from billing_console.custom_fields import custom_field_key_add
from billing_console.tests.read_back import ReadBack, assert_shows
from contracts.tests.round_trip_terms import WINDOW, read_contract, world
from contracts.wire.fields import CONTRACT_CREATE, CONTRACT_EDIT
from contracts.wire.fields.services_terms import (
    CREATE_TRIP,
    EDIT_TRIP,
    INVOICE_TRIP,
    PRO_SERVICES_INVOICE,
)
from pricing.services import product_create

RECURRING = {
    "starting_at": "2026-02-01T00:00:00Z", "ending_before": "2026-05-01T00:00:00Z",
    "frequency": "MONTHLY", "amount_distribution": "DIVIDED_ROUNDED", "unit_price": 500,
    "quantity": 2,
}  # fmt: skip
QUARTERLY = {
    "starting_at": "2026-02-01T00:00:00Z", "ending_before": "2026-08-01T00:00:00Z",
    "frequency": "QUARTERLY", "amount_distribution": "EACH", "amount": 700,
}  # fmt: skip
# What they read back as: 1000 cents in whole cents over Feb 1, Mar 1 and Apr 1; 700 cents on
# Feb 1 and May 1.
EXPANDED = {
    "Loyalty": [
        {"timestamp": f"2026-0{month}-01T00:00:00Z", "amount": amount, "quantity": 1,
         "unit_price": amount}
        for month, amount in ((2, 334), (3, 333), (4, 333))
    ],
    "Quarterly": [
        {"timestamp": f"2026-0{month}-01T00:00:00Z", "amount": 700, "quantity": 1,
         "unit_price": 700}
        for month in (2, 5)
    ],
}  # fmt: skip


@pytest.fixture
def w(transactional_db) -> SimpleNamespace:
    ids = world()
    for entity in ("discount", "professional_service"):
        custom_field_key_add(entity=entity, key="deal", enforce_uniqueness=False)
    ids.hours = str(product_create(name="Implementation hours", type="PRO_SERVICE").public_id)
    return ids


def terms(w) -> dict[str, Any]:
    return {
        "discounts": [
            {"product_id": w.fee, "name": "Launch discount", "custom_fields": {"deal": "D-9"},
             "netsuite_sales_order_id": "SO-9",
             "schedule": {"schedule_items": [
                 {"timestamp": "2026-02-01T00:00:00Z", "unit_price": 2500, "quantity": 3},
                 {"timestamp": "2026-03-01T00:00:00Z", "amount": 1250}]}},
            {"product_id": w.fee, "name": "Loyalty", "schedule": {"recurring_schedule": RECURRING}},
            {"product_id": w.fee, "name": "Quarterly",
             "schedule": {"recurring_schedule": QUARTERLY}},
        ],
        "professional_services": [
            {"product_id": w.hours, "description": "Implementation", "quantity": 40,
             "unit_price": 17550, "max_amount": 702000, "custom_fields": {"deal": "D-9"},
             "netsuite_sales_order_id": "SO-10"},
        ],
    }  # fmt: skip


def _read_back(got: dict[str, Any], sent: dict[str, Any], prefix: str) -> ReadBack:
    rb = ReadBack()
    point, *recurring = sent["discounts"]
    rb.items([point], got["discounts"], f"{prefix}discounts[]")
    for item in recurring:
        [read] = [d for d in got["discounts"] if d["name"] == item["name"]]
        rb.check({k: v for k, v in item.items() if k != "schedule"}, read, f"{prefix}discounts[]")
        # A recurring schedule reads back as the items it expands to.
        rb.check(EXPANDED[item["name"]], read["schedule"]["schedule_items"], "expanded")
        path = f"{prefix}discounts[].schedule.recurring_schedule"
        rb.seen |= {path, *(f"{path}.{key}" for key in item["schedule"]["recurring_schedule"])}
    key = "professional_services"
    rb.items(sent[key], got[key], f"{prefix}{key}[]", key="description")
    return rb


@pytest.mark.sdk
def test_create_reads_back_discounts_and_pro_services_as_sent(sdk, w):
    sent = terms(w)
    contract_id = sdk.v1.contracts.create(
        customer_id=w.customer, rate_card_id=w.card, **WINDOW, **sent
    ).data.id
    rb = _read_back(read_contract(sdk, w, contract_id), sent, "")
    assert_shows(rb.seen, CREATE_TRIP, CONTRACT_CREATE)
    # v1 get and list carry them too, in their current terms.
    v1 = sdk.v1.contracts.retrieve(customer_id=w.customer, contract_id=contract_id).data
    [listed] = sdk.v1.contracts.list(customer_id=w.customer).data
    for contract in (v1, listed):
        current = contract.current.to_dict(mode="json")
        _read_back(current, sent, "")
        assert current["discounts"][0]["product"]["name"] == "Fee"


@pytest.mark.sdk
def test_edit_adds_discounts_and_pro_services_as_create_does(sdk, w):
    contract_id = sdk.v1.contracts.create(
        customer_id=w.customer, rate_card_id=w.card, **WINDOW
    ).data.id
    sent = terms(w)
    edit = sdk.v2.contracts.edit(
        customer_id=w.customer, contract_id=contract_id,
        add_discounts=sent["discounts"], add_professional_services=sent["professional_services"],
    ).data.id  # fmt: skip
    rb = _read_back(read_contract(sdk, w, contract_id), sent, "add_")
    assert_shows(rb.seen, EDIT_TRIP, CONTRACT_EDIT)
    # The edit history names them as the SDK's edit response does (add_pro_services).
    [recorded] = sdk.v2.contracts.get_edit_history(
        customer_id=w.customer, contract_id=contract_id
    ).data
    assert recorded.id == edit
    assert [d.name for d in recorded.add_discounts] == ["Launch discount", "Loyalty", "Quarterly"]
    assert [s.description for s in recorded.add_pro_services] == ["Implementation"]


@pytest.mark.sdk
def test_pro_services_invoice_through_the_sdk(sdk, w):
    contract_id = sdk.v1.contracts.create(
        customer_id=w.customer, rate_card_id=w.card, **WINDOW
    ).data.id
    edit = sdk.v2.contracts.edit(
        customer_id=w.customer, contract_id=contract_id,
        add_professional_services=terms(w)["professional_services"],
    ).data.id  # fmt: skip
    [service] = read_contract(sdk, w, contract_id)["professional_services"]
    line = {
        "professional_service_id": service["id"], "amendment_id": edit, "quantity": 2.5,
        "unit_price": 16000, "metadata": "PO 4471, week 9",
        "netsuite_invoice_billing_start": "2026-02-23T00:00:00Z",
        "netsuite_invoice_billing_end": "2026-03-02T00:00:00Z",
    }  # fmt: skip
    sent = {"customer_id": w.customer, "contract_id": contract_id,
            "issued_at": "2026-03-02T00:00:00Z", "line_items": [line]}  # fmt: skip
    [invoice] = sdk.v1.contracts.schedule_pro_services_invoice(**sent).data
    rb = ReadBack()
    got = invoice.to_dict(mode="json")
    rb.check(w.customer, got["customer_id"], "customer_id")
    rb.check(contract_id, got["contract_id"], "contract_id")
    rb.check(sent["issued_at"], got["issued_at"], "issued_at")
    [got_line] = got["line_items"]
    shown = {k: v for k, v in line.items() if k != "amendment_id"}
    rb.check(shown, got_line, "line_items[]")
    rb.seen |= {"line_items", "line_items[].amendment_id"}  # accepted as the edit that added it
    assert got_line["total"] == 40000 and got["total"] == 40000  # 2.5 x $160.00 = $400.00
    assert assert_shows(rb.seen, INVOICE_TRIP, PRO_SERVICES_INVOICE) is None
    # The customer's invoices list it, as any scheduled invoice.
    again = sdk.v1.customers.invoices.retrieve(customer_id=w.customer, invoice_id=invoice.id)
    assert again.data.line_items[0].professional_service_id == service["id"]


@pytest.mark.django_db
def test_custom_fields_are_set_on_discounts_and_pro_services_by_entity(api):
    ids = world()
    hours = str(product_create(name="Hours", type="PRO_SERVICE").public_id)
    for entity in ("discount", "professional_service"):
        body = {"entity": entity, "key": "po", "enforce_uniqueness": False}
        assert api.post("/v1/customFields/addKey", body, format="json").status_code == 200
    created = api.post("/v1/contracts/create", {
        "customer_id": ids.customer, "starting_at": "2026-01-01T00:00:00Z",
        "discounts": [{"product_id": ids.fee, "schedule": {"schedule_items": [
            {"timestamp": "2026-02-01T00:00:00Z", "amount": 100}]}}],
        "professional_services": [{"product_id": hours, "quantity": 1, "unit_price": 1,
                                   "max_amount": 1, "custom_fields": {"po": "P-1"}}],
    }, format="json")  # fmt: skip
    assert created.status_code == 200, created.content
    refs = {"customer_id": ids.customer, "contract_id": created.json()["data"]["id"]}
    got = api.post("/v2/contracts/get", refs, format="json").json()["data"]
    [discount], [service] = got["discounts"], got["professional_services"]
    assert service["custom_fields"] == {"po": "P-1"}
    body = {"entity": "discount", "entity_id": discount["id"], "custom_fields": {"po": "P-2"}}
    assert api.post("/v1/customFields/setValues", body, format="json").status_code == 200
    got = api.post("/v2/contracts/get", refs, format="json").json()["data"]
    assert got["discounts"][0]["custom_fields"] == {"po": "P-2"}
    # A key not added for the entity is refused, naming it.
    bad = {**refs, "add_discounts": [{"product_id": ids.fee, "custom_fields": {"nope": "x"},
           "schedule": {"schedule_items": [{"timestamp": "2026-03-01T00:00:00Z", "amount": 1}]}}]}  # fmt: skip
    response = api.post("/v2/contracts/edit", bad, format="json")
    assert response.status_code == 400
    assert "'nope' is not defined for entity 'discount'" in response.json()["message"]
