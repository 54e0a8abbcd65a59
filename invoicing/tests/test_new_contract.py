"""A new contract's invoices exist as soon as it is saved (invoicing.new_contract): through the
official SDK, the API and the console; a failure to compute them never fails the create."""

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from contracts.models import Contract
from customers.services import customer_create
from invoicing.models import Invoice
from invoicing.tests.factories import priced_world

NOW = datetime(2026, 12, 4, 10, 30, tzinfo=UTC)
DEC = datetime(2026, 12, 1, tzinfo=UTC)
JAN27 = datetime(2027, 1, 1, tzinfo=UTC)


def _body(world, start: datetime) -> dict:
    return {
        "customer_id": str(world.customer.public_id),
        "rate_card_id": str(world.rate_card.public_id),
        "starting_at": start.isoformat().replace("+00:00", "Z"),
        "usage_statement_schedule": {"frequency": "MONTHLY"},
        "scheduled_charges": [{
            "product_id": str(world.product.public_id), "name": "Onboarding",
            "schedule": {"schedule_items": [{"timestamp": start.isoformat().replace("+00:00", "Z"),
                                             "unit_price": 50000, "quantity": 1}]},
        }],
    }  # fmt: skip


def _invoices(contract_id: str) -> list[tuple[str, datetime, datetime, str]]:
    return list(
        Invoice.objects.filter(contract__public_id=contract_id)
        .order_by("type", "period_start")
        .values_list("type", "period_start", "period_end", "status")
    )


@pytest.fixture
def world(db):
    world = priced_world(price=250)
    world.customer = customer_create(name="Newco", ingest_aliases=["newco"])
    return world


@pytest.mark.sdk
def test_a_contract_created_through_the_sdk_has_its_drafts_at_once(sdk, world):
    now = timezone.now()
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    contract_id = sdk.v1.contracts.create(**_body(world, start)).data.id
    invoices = _invoices(contract_id)  # read before anything else ran: no refresh, no list
    assert [(kind, begins, status) for kind, begins, _end, status in invoices] == [
        ("SCHEDULED", start, "DRAFT"),
        ("USAGE", start, "DRAFT"),
    ]
    listed = sdk.v1.customers.invoices.list(customer_id=str(world.customer.public_id))
    assert len(list(listed)) == 2


def test_a_contract_created_through_the_api_has_its_drafts_at_once(
    api, world, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        response = api.post("/v1/contracts/create", _body(world, DEC), format="json")
    assert response.status_code == 200
    assert _invoices(response.json()["data"]["id"]) == [
        ("SCHEDULED", DEC, DEC, "DRAFT"),
        ("USAGE", DEC, JAN27, "DRAFT"),
    ]
    scheduled = Invoice.objects.get(
        contract__public_id=response.json()["data"]["id"], type="SCHEDULED"
    )
    assert scheduled.total == 50000  # $500.00 onboarding, in cents


def test_a_contract_created_in_the_console_shows_its_drafts_at_once(
    client, dave, world, django_capture_on_commit_callbacks
):
    client.force_login(dave)
    data = {"customer": str(world.customer.public_id), "source": f"rate_card:{world.rate_card.public_id}",
            "start": "this_month", "duration": "12"}  # fmt: skip
    with time_machine.travel(NOW, tick=False):
        with django_capture_on_commit_callbacks(execute=True):  # the create's request commits
            response = client.post(
                reverse("contracts:contract-create"), data, HTTP_HX_REQUEST="true"
            )
        assert response.status_code == 200
        contract = Contract.objects.get(customer=world.customer)
        page = client.get(response["HX-Redirect"]).content.decode()
    assert _invoices(str(contract.public_id)) == [("USAGE", DEC, JAN27, "DRAFT")]
    assert "No invoices yet" not in page
    assert reverse("invoicing:invoice-detail", args=[contract.invoices.get().public_id]) in page


def test_a_failure_to_compute_is_recorded_and_the_create_stands(
    api, world, django_capture_on_commit_callbacks
):
    boom = RuntimeError("rate card unreadable")
    with (
        mock.patch("invoicing.new_contract.contract_invoices_refresh", side_effect=boom),
        time_machine.travel(NOW, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = api.post("/v1/contracts/create", _body(world, DEC), format="json")
    assert response.status_code == 200
    contract_id = response.json()["data"]["id"]
    assert Contract.objects.filter(public_id=contract_id).exists()
    draft = Invoice.objects.get(contract__public_id=contract_id, type="USAGE")
    assert (draft.status, draft.period_start) == ("DRAFT", DEC)
    assert draft.error == "internal error (RuntimeError); details are in the server log."


def test_a_contract_starting_later_has_no_invoices_yet(
    api, world, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/v1/contracts/create", _body(world, JAN27 + timedelta(days=31)), format="json"
        )
    assert response.status_code == 200
    assert _invoices(response.json()["data"]["id"]) == []
