"""Concurrent creates with one uniqueness_key: one row, every other request a 409, never a 500
from the unique constraint (PostgreSQL only: SQLite serializes writers, so there is no race)."""

import threading

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from alerts.models import Alert
from contracts.models import Commit, Contract
from invoicing.tests.factories import priced_world
from pricing.models import Package

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs concurrent writers (PostgreSQL)"
    ),
]

REQUESTS = 8
START, END = "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"


def _race(token: str, path: str, body: dict) -> list[int]:
    """POST `body` to `path` from REQUESTS threads at once; their statuses, sorted."""
    barrier = threading.Barrier(REQUESTS)
    statuses: list[int] = []

    def post() -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        client.raise_request_exception = False  # a 500 is counted, not raised in the thread
        try:
            barrier.wait(timeout=10)
            statuses.append(client.post(path, body, format="json").status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(REQUESTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(statuses)


def test_racing_contract_creates_with_one_uniqueness_key(api_token):
    world = priced_world()
    body = {"customer_id": str(world.customer.public_id), "starting_at": START,
            "uniqueness_key": "race-1"}  # fmt: skip
    assert _race(api_token, "/v1/contracts/create", body) == [200] + [409] * (REQUESTS - 1)
    assert Contract.objects.filter(uniqueness_key="race-1").count() == 1


def test_racing_commit_alert_and_package_creates_with_one_uniqueness_key(api_token):
    world = priced_world()
    commit = {"customer_id": str(world.customer.public_id), "type": "PREPAID", "priority": 1,
              "product_id": str(world.product.public_id), "uniqueness_key": "race-c",
              "access_schedule": {"schedule_items": [
                  {"amount": 100, "starting_at": START, "ending_before": END}]}}  # fmt: skip
    alert = {"alert_type": "spend_threshold_reached", "name": "Spend", "threshold": 10,
             "uniqueness_key": "race-a"}  # fmt: skip
    package = {"name": "Starter", "rate_card_id": str(world.rate_card.public_id),
               "uniqueness_key": "race-p"}  # fmt: skip
    for path, body, rows in [
        ("/v1/contracts/customerCommits/create", commit, Commit.objects.filter(uniqueness_key="race-c")),
        ("/v1/alerts/create", alert, Alert.objects.filter(uniqueness_key="race-a")),
        ("/v1/packages/create", package, Package.objects.filter(uniqueness_key="race-p")),
    ]:  # fmt: skip
        assert _race(api_token, path, body) == [200] + [409] * (REQUESTS - 1), path
        assert rows.count() == 1
