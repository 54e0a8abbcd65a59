"""External-system ids and the total contract value (contracts/terms/external_ids.py): a
recurring item's NetSuite id passes down to the commits it issues, the invoice carries the
contract's ids and its lines the NetSuite id of the commit they draw, v1 reads them back as
initial and current, a null in update_commits clears one, and bad values are a 400 naming the
path with nothing written. The round trips (test_wire_round_trip*.py) read every field back."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from billing_console.lib.periods import Period
from contracts.models import Commit, Contract
from contracts.tests.round_trip_terms import WINDOW, world
from contracts.wire.write import commit_to_wire
from invoicing.services import invoice_compute_usage
from invoicing.tests.factories import priced_world, send_calls
from invoicing.wire import invoice_to_wire
from pricing.services import product_create

START = datetime(2026, 11, 2, tzinfo=UTC)
NOW = START + timedelta(days=33)
IDS = {"salesforce_opportunity_id": "0065e00000AbCdE", "netsuite_sales_order_id": "SO-1"}


def _monthly_credit(**more) -> dict:
    product = product_create(name="Monthly credit", type="FIXED")
    return {
        "product_id": str(product.public_id), "priority": 1, "name": "Monthly 300",
        "starting_at": START.isoformat(), "access_amount": {"unit_price": 300, "quantity": 1},
        "commit_duration": {"value": 1}, "recurrence_frequency": "MONTHLY", **more,
    }  # fmt: skip


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_a_recurring_items_netsuite_id_passes_down_and_the_invoice_shows_the_ids():
    world_ = priced_world(contract_extra={
        "starting_at": START.isoformat(), **IDS, "total_contract_value": 360_000,
        "recurring_credits": [_monthly_credit(netsuite_sales_order_id="SO-9")]})  # fmt: skip
    credits = list(Commit.objects.filter(contract=world_.contract))
    assert len(credits) == 2  # the two periods begun
    assert {c.netsuite_sales_order_id for c in credits} == {"SO-9"}
    assert {commit_to_wire(c)["netsuite_sales_order_id"] for c in credits} == {"SO-9"}

    send_calls(80, START + timedelta(days=3))  # 400 of usage, 300 drawn from the credit
    invoice = invoice_compute_usage(
        contract=world_.contract, period=Period(START, datetime(2026, 12, 2, tzinfo=UTC))
    )
    wire = invoice_to_wire(invoice)
    assert (wire["salesforce_opportunity_id"], wire["netsuite_sales_order_id"]) == (
        "0065e00000AbCdE", "SO-1",
    )  # fmt: skip
    drawn = [line for line in wire["line_items"] if "commit_id" in line]
    assert drawn and {line["commit_netsuite_sales_order_id"] for line in drawn} == {"SO-9"}
    assert all("commit_netsuite_sales_order_id" not in line for line in wire["line_items"]
               if "commit_id" not in line)  # fmt: skip


@pytest.mark.sdk
def test_v1_reads_the_ids_back_as_initial_and_current(sdk, transactional_db):
    w = world()
    sent = {**IDS, "total_contract_value": 1_250_000.5}
    contract_id = sdk.v1.contracts.create(
        customer_id=w.customer, rate_card_id=w.card, **WINDOW, **sent
    ).data.id
    got = sdk.v1.contracts.retrieve(customer_id=w.customer, contract_id=contract_id).data
    for terms in (got.initial, got.current):
        assert (terms.salesforce_opportunity_id, terms.netsuite_sales_order_id) == (
            "0065e00000AbCdE", "SO-1",
        )  # fmt: skip
        assert terms.total_contract_value == 1_250_000.5
    (listed,) = sdk.v2.contracts.list(customer_id=w.customer).data
    assert (listed.salesforce_opportunity_id, listed.total_contract_value) == (
        "0065e00000AbCdE", 1_250_000.5,
    )  # fmt: skip


@pytest.fixture
def priced(db):
    w = priced_world()
    w.fixed = product_create(name="Commit", type="FIXED")
    return w


def _commit(w, **more) -> dict:
    return {
        "type": "PREPAID", "product_id": str(w.fixed.public_id), "priority": 1, **more,
        "access_schedule": {"schedule_items": [{"amount": 100, "starting_at": "2026-01-01T00:00:00Z",
                                                "ending_before": "2026-02-01T00:00:00Z"}]},
    }  # fmt: skip


def test_a_null_netsuite_id_in_update_commits_clears_it(api, priced):
    ids = {"customer_id": str(priced.customer.public_id),
           "contract_id": str(priced.contract.public_id)}  # fmt: skip
    edit = api.post("/v2/contracts/edit", {
        **ids, "add_commits": [_commit(priced, netsuite_sales_order_id="SO-5")]}, format="json")  # fmt: skip
    assert edit.status_code == 200, edit.content
    commit = Commit.objects.get(contract=priced.contract)
    assert commit.netsuite_sales_order_id == "SO-5"
    update = {"commit_id": str(commit.public_id), "netsuite_sales_order_id": None}
    edit = api.post("/v2/contracts/edit", {**ids, "update_commits": [update]}, format="json")
    assert edit.status_code == 200, edit.content
    commit.refresh_from_db()
    assert commit.netsuite_sales_order_id == ""
    got = api.post("/v2/contracts/get", ids, format="json").json()["data"]
    assert "netsuite_sales_order_id" not in got["commits"][0]


TOO_LONG = "x" * 256


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/v1/contracts/create", {"salesforce_opportunity_id": TOO_LONG},
         "salesforce_opportunity_id: must be at most 255 characters."),
        ("/v1/contracts/create", {"netsuite_sales_order_id": 7},
         "netsuite_sales_order_id: must be a string."),
        ("/v1/contracts/create", {"total_contract_value": -1},
         "total_contract_value: must be at least 0."),
        ("/v1/contracts/create", {"scheduled_charges": [{"netsuite_sales_order_id": TOO_LONG}]},
         "scheduled_charges[0].netsuite_sales_order_id: must be at most 255 characters."),
        ("/v1/contracts/customerCredits/create", {"salesforce_opportunity_id": ["006"]},
         "salesforce_opportunity_id: must be a string."),
    ],
)  # fmt: skip
def test_a_bad_id_or_value_is_a_400_naming_it_and_writes_nothing(api, priced, path, body, message):
    body = {"customer_id": str(priced.customer.public_id), "starting_at": "2026-01-01T00:00:00Z",
            "rate_card_id": str(priced.rate_card.public_id), **body}  # fmt: skip
    if "customerCredits" in path:
        body.update(_commit(priced), priority=1)
        body.pop("type")
    if "scheduled_charges" in body:
        charge = body["scheduled_charges"][0]
        charge.update(product_id=str(priced.fixed.public_id), schedule={"schedule_items": [
            {"timestamp": "2026-01-01T00:00:00Z", "amount": 100}]})  # fmt: skip
    before = (Contract.objects.count(), Commit.objects.count())
    response = api.post(path, body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["message"] == message
    assert (Contract.objects.count(), Commit.objects.count()) == before
