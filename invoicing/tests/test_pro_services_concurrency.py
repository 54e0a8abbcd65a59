"""Concurrent scheduleProServicesInvoice calls never invoice a service past its max_amount: the
service rows are locked while the max is checked (PostgreSQL only: SQLite serializes writers,
so there is no race)."""

import threading

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from contracts.models import ProServiceInvoiceItem
from contracts.services import contract_create
from customers.services import customer_create
from pricing.services import product_create

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs concurrent writers (PostgreSQL)"
    ),
]

REQUESTS = 4


def test_racing_invoices_stay_within_the_max_amount(api_token):
    customer = customer_create(name="Acme", ingest_aliases=["acme"])
    hours = product_create(name="Hours", type="PRO_SERVICE")
    contract = contract_create(customer=customer, data={
        "starting_at": "2026-01-01T00:00:00Z",
        "professional_services": [{"product_id": str(hours.public_id), "quantity": 40,
                                   "unit_price": 17550, "max_amount": 702000}],
    })  # fmt: skip
    service = contract.professional_services.get()
    barrier = threading.Barrier(REQUESTS)
    statuses: list[int] = []

    def post(day: int) -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token}")
        client.raise_request_exception = False  # a 500 is counted, not raised in the thread
        body = {"customer_id": str(customer.public_id), "contract_id": str(contract.public_id),
                "issued_at": f"2026-03-0{day}T00:00:00Z",
                "line_items": [{"professional_service_id": str(service.public_id),
                                "quantity": 20}]}  # fmt: skip
        try:
            barrier.wait(timeout=10)
            path = "/v1/contracts/scheduleProServicesInvoice"
            statuses.append(client.post(path, body, format="json").status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=(day,)) for day in range(1, REQUESTS + 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # 20 hours is 351000 cents: two calls fit in 702000, the others are refused.
    assert sorted(statuses) == [200, 200, 400, 400]
    assert ProServiceInvoiceItem.objects.count() == 2
