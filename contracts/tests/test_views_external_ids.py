"""The contract page shows its Salesforce and NetSuite ids and total contract value (in dollars);
the create form and the page's external ids form set the ids (contracts/console/external_ids.py)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from billing_console.templatetags.money import format_money
from contracts.models import Contract
from contracts.terms.external_ids import contract_external_ids_set
from contracts.tests.factories import field_error
from invoicing.tests.factories import priced_world

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def world(db):
    return priced_world(contract_extra={
        "salesforce_opportunity_id": "0065e00000AbCdE", "netsuite_sales_order_id": "SO-1",
        "total_contract_value": 1_250_000})  # fmt: skip


def _url(name: str, world) -> str:
    return reverse(f"contracts:{name}", args=[world.contract.public_id])


def test_page_shows_the_ids_and_the_value_in_dollars(client, bob, world):
    client.force_login(bob)
    page = client.get(_url("contract-detail", world)).content.decode()
    assert 'Salesforce opportunity <span class="mono">0065e00000AbCdE</span>' in page
    assert 'NetSuite sales order <span class="mono">SO-1</span>' in page
    # 1,250,000 cents as the console shows money ("$12,500.00")
    shown = format_money(Decimal(1_250_000), world.rate_card.fiat_credit_type)
    assert "12,500.00" in shown and f"Total contract value {shown}" in page
    assert 'id="external-ids-form"' not in page  # read-only: no edit form


def test_the_page_form_sets_and_clears_the_ids(client, dave, bob, world):
    client.force_login(dave)
    url = _url("contract-external-ids", world)
    response = client.post(url, {"salesforce_opportunity_id": "x" * 256}, **HTMX)
    assert response.status_code == 422
    error = field_error(response.content.decode(), "salesforce_opportunity_id")
    assert error and "at most 255 characters" in error
    world.contract.refresh_from_db()
    assert world.contract.salesforce_opportunity_id == "0065e00000AbCdE"  # unchanged

    response = client.post(url, {"salesforce_opportunity_id": " 006NEW ", "netsuite_sales_order_id": ""}, **HTMX)  # fmt: skip
    assert response.status_code == 200 and response["HX-Redirect"] == _url("contract-detail", world)
    world.contract.refresh_from_db()
    assert (world.contract.salesforce_opportunity_id, world.contract.netsuite_sales_order_id) == (
        "006NEW", "",
    )  # fmt: skip
    client.force_login(bob)
    assert client.post(url, {"salesforce_opportunity_id": "006X"}).status_code == 403


def test_create_form_sets_the_ids(client, dave, world):
    client.force_login(dave)
    data = {
        "customer": str(world.customer.public_id), "start": "this_month", "duration": "12",
        "source": f"rate_card:{world.rate_card.public_id}",
        "salesforce_opportunity_id": "006NEW", "netsuite_sales_order_id": "SO-7",
    }  # fmt: skip
    with time_machine.travel(datetime(2026, 3, 10, tzinfo=UTC), tick=False):
        page = client.get(reverse("contracts:contract-create")).content.decode()
        assert 'name="salesforce_opportunity_id"' in page
        response = client.post(reverse("contracts:contract-create"), data, **HTMX)
    assert response.status_code == 200, response.content
    contract = Contract.objects.exclude(pk=world.contract.pk).get()
    assert (contract.salesforce_opportunity_id, contract.netsuite_sales_order_id) == ("006NEW", "SO-7")  # fmt: skip


def test_the_service_checks_what_the_api_checks(world):
    from billing_console.api import ApplicationError

    with pytest.raises(ApplicationError, match="netsuite_sales_order_id: must be at most 255"):
        contract_external_ids_set(
            contract=world.contract, salesforce_opportunity_id="", netsuite_sales_order_id="x" * 256
        )
