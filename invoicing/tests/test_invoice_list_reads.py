"""The invoices list reads stored drafts: no pricing inside the request, and one query per page
(plus a constant number of prefetches) whatever the number of invoices on it. Drafts are kept
current by the writes instead: an edit of a contract refreshes its drafts as it commits, an
ingest in the background (invoicing.refresh_triggers)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contracts.edits import contract_edit
from contracts.services import contract_create
from customers.services import customer_create
from invoicing import refresh_batch
from invoicing.models import Invoice
from invoicing.refresh_batch import contracts_refresh
from invoicing.tests.factories import FEB, JAN, priced_world, send_calls

MONTHS_20 = datetime(2027, 8, 20, tzinfo=UTC)  # 20 monthly statements from January 2026


def _customers():
    """One customer with 1 invoice, one with 20, each invoice with a line."""
    world = priced_world(price=5)
    send_calls(3, JAN + timedelta(days=2))
    contracts_refresh([world.contract.pk], now=MONTHS_20)
    other = customer_create(name="Beta", ingest_aliases=["beta"])
    single = contract_create(customer=other, data={
        "starting_at": "2027-08-01T00:00:00Z", "rate_card_id": str(world.rate_card.public_id),
        "usage_statement_schedule": {"frequency": "MONTHLY"},
    })  # fmt: skip
    send_calls(2, datetime(2027, 8, 3, tzinfo=UTC), alias="beta")
    contracts_refresh([single.pk], now=MONTHS_20)
    assert Invoice.objects.filter(customer=world.customer).count() == 20
    assert Invoice.objects.filter(customer=other).count() == 1
    return other, world.customer


@pytest.mark.django_db
def test_api_invoice_list_is_one_query_per_page_and_prices_nothing(
    api, monkeypatch, django_assert_max_num_queries
):
    one, twenty = _customers()
    monkeypatch.setattr(refresh_batch, "draft_usage_statement", None)  # any pricing would fail
    api.get(f"/v1/customers/{one.public_id}/invoices")  # the token's last use is noted once
    counts = {}
    for customer, expected in ((one, 1), (twenty, 20)):
        url = f"/v1/customers/{customer.public_id}/invoices?limit=25"
        with CaptureQueriesContext(connection) as queries:
            response = api.get(url)
        assert response.status_code == 200, response.content
        assert len(response.json()["data"]) == expected
        assert all(i["line_items"] for i in response.json()["data"])
        counts[expected] = len(queries)
    assert counts[1] == counts[20], counts
    for customer in (one, twenty):
        with django_assert_max_num_queries(counts[1]):
            api.get(f"/v1/customers/{customer.public_id}/invoices?limit=25")


@pytest.mark.django_db
def test_console_invoice_list_queries_do_not_grow_with_the_invoices(
    client, alice, django_assert_max_num_queries
):
    client.force_login(alice)
    one, twenty = _customers()
    url = reverse("invoicing:invoice-list")
    client.get(url)  # the first visit settles the session
    with CaptureQueriesContext(connection) as twenty_one:
        response = client.get(url)
    assert response.status_code == 200 and response.content.count(b"<tr") >= 21
    Invoice.objects.filter(customer=twenty).delete()  # left: one invoice
    with django_assert_max_num_queries(len(twenty_one)):
        response = client.get(url)
    assert response.content.count(str(one.public_id).encode()) >= 1
    with django_assert_max_num_queries(len(twenty_one)):
        assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_the_list_shows_the_stored_draft_and_an_edit_refreshes_it(
    api, django_capture_on_commit_callbacks
):
    world = priced_world(price=5)
    send_calls(4, JAN + timedelta(days=2))
    contracts_refresh([world.contract.pk], now=JAN + timedelta(days=5))
    url = f"/v1/customers/{world.customer.public_id}/invoices"
    send_calls(6, JAN + timedelta(days=3))  # not yet refreshed: the list shows what is stored
    assert [i["total"] for i in api.get(url).json()["data"]] == [20]
    with django_capture_on_commit_callbacks(execute=True):
        contract_edit(contract=world.contract, data={
            "contract_id": str(world.contract.public_id),
            "add_overrides": [{"starting_at": JAN.isoformat(), "type": "MULTIPLIER",
                               "multiplier": 0.5, "product_id": str(world.product.public_id)}],
        })  # fmt: skip
    drafts = Invoice.objects.filter(contract=world.contract, period_start=JAN)
    assert [i.total for i in drafts] == [25]  # 10 calls at 5, halved
    assert FEB > JAN
