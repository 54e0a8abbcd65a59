"""Read-only API tokens: every POST route classified (walked from the URL conf), reads served,
every write refused with a 403 before the view runs, and nothing changed."""

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient
from rest_framework.views import APIView

from billing_console.models import ApiToken
from billing_console.services import api_token_create
from billing_console.tests.test_authorization_matrix import PUBLIC, _sample
from billing_console.token_scopes import READ_POSTS, WRITE_POSTS, read_only_may_call
from customers.models import Customer
from invoicing.tests.factories import priced_world
from usage.models import UsageEvent

WRITE_METHODS = ("put", "patch", "delete")


def _api_routes(patterns=None, prefix: str = "", namespace: str = "") -> Iterator[tuple]:
    """(route, url name, APIView class) for every DRF view in the URL conf."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _api_routes(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            cls = getattr(entry.callback, "cls", None)
            if isinstance(cls, type) and issubclass(cls, APIView):
                yield prefix + str(entry.pattern), f"{namespace}{entry.name or ''}", cls


def _post_routes() -> set[str]:
    return {route for route, _name, cls in _api_routes() if hasattr(cls, "post")}


def test_every_post_route_is_classified_once():
    posts = _post_routes()
    assert len(posts) > 80 and "v1/contracts/list" in posts
    unclassified = sorted(posts - READ_POSTS - WRITE_POSTS)
    assert unclassified == [], "add each to READ_POSTS or WRITE_POSTS in token_scopes.py"
    assert READ_POSTS & WRITE_POSTS == set()
    assert sorted((READ_POSTS | WRITE_POSTS) - posts) == [], "no longer a POST route"


@pytest.mark.parametrize(
    ("method", "route", "allowed"),
    [
        ("GET", "v1/customers", True),
        ("HEAD", "v1/customers", True),
        ("OPTIONS", "v1/ingest", True),
        ("POST", "v1/customers", False),
        ("POST", "v1/contracts/list", True),
        ("POST", "v1/customers/<str:customer_id>/previewEvents", True),
        ("POST", "v1/ingest", False),
        ("PUT", "v1/billable-metrics/<str:billable_metric_id>", False),
        ("DELETE", "v1/customers/<str:customer_id>/billing-config/<str:provider_type>", False),
        ("POST", None, False),
        ("GET", None, True),
    ],
)
def test_read_only_may_call(method, route, allowed):
    assert read_only_may_call(method, route) is allowed


def _row_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


@pytest.fixture
def read_only_raw(db) -> str:
    return api_token_create(name="dashboards", read_only=True)[1]


@pytest.mark.django_db
def test_a_read_only_token_is_refused_every_write_of_the_api(read_only_raw):
    """Every POST classified as a write, and every PUT/PATCH/DELETE, walked from the URL conf:
    a 403 with a Metronome error body, and not one row of any table changed."""
    client = Client(HTTP_AUTHORIZATION=f"Bearer {read_only_raw}")
    before = _row_counts()
    failures, tried = [], 0
    for route, name, cls in _api_routes():
        if name in PUBLIC:
            continue
        methods = [m for m in WRITE_METHODS if hasattr(cls, m)]
        if hasattr(cls, "post") and route not in READ_POSTS:
            methods.append("post")
        for method in methods:
            path = _sample(route)
            response = getattr(client, method)(path, data="{}", content_type="application/json")
            body, tried = response.json(), tried + 1
            if response.status_code != 403 or not body["message"].startswith(
                f"This API token is read-only: {method.upper()} {path} changes data."
            ):
                failures.append(f"{method.upper()} {path}: {response.status_code} {body}")
    assert failures == [] and tried == len(WRITE_POSTS) + 2  # + PUT metric, DELETE config
    assert _row_counts() == before
    assert ApiToken.objects.get().last_used_at is None  # a refused call records nothing


@pytest.mark.django_db
def test_a_read_only_token_reaches_every_read_of_the_api(read_only_raw):
    """Every GET and every read POST gets past authentication (its own 200, 400 or 404)."""
    client = Client(HTTP_AUTHORIZATION=f"Bearer {read_only_raw}")
    failures, tried = [], 0
    for route, name, cls in _api_routes():
        if name in PUBLIC:
            continue
        path = _sample(route)
        if hasattr(cls, "get"):
            tried += 1
            if client.get(path).status_code in (401, 403):
                failures.append(f"GET {path}")
        if route in READ_POSTS:
            tried += 1
            response = client.post(path, data="{}", content_type="application/json")
            if response.status_code in (401, 403):
                failures.append(f"POST {path}: {response.status_code} {response.json()}")
    assert failures == [] and tried > len(READ_POSTS)


@pytest.fixture
def world(db):
    return priced_world()


def _client(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_a_read_only_token_reads_as_a_full_one_does(world, read_only_raw):
    customer_id = str(world.customer.public_id)
    full = _client(api_token_create(name="full")[1])
    reader = _client(read_only_raw)
    calls = [
        ("get", "/v1/customers", None),
        ("get", f"/v1/customers/{customer_id}/invoices", None),
        ("post", "/v1/contracts/list", {"customer_id": customer_id}),
        ("post", "/v2/contracts/get",
         {"customer_id": customer_id, "contract_id": str(world.contract.public_id)}),
        ("post", "/v1/contracts/customerBalances/list", {"customer_id": customer_id}),
        ("post", "/v1/events/search", {"transactionIds": ["t1"]}),
        ("post", "/v1/usage", {"starting_on": "2026-01-01T00:00:00Z",
                               "ending_before": "2026-02-01T00:00:00Z", "window_size": "day"}),
    ]  # fmt: skip
    # one frozen moment: statements computed as of now answer alike to both tokens
    with time_machine.travel(datetime(2026, 2, 10, 12, tzinfo=UTC), tick=False):
        for method, path, body in calls:
            expected = getattr(full, method)(path, body, format="json")
            response = getattr(reader, method)(path, body, format="json")
            assert (response.status_code, response.json()) == (200, expected.json()), path


def test_a_read_only_token_changes_nothing_a_full_token_could(world, read_only_raw):
    customer = world.customer
    reader = _client(read_only_raw)
    writes = [
        (f"/v1/customers/{customer.public_id}/setName", {"name": "Renamed"}),
        ("/v1/customers", {"name": "Globex"}),
        ("/v1/ingest", [{"transaction_id": "t1", "customer_id": "acme", "event_type": "call",
                         "timestamp": "2026-01-05T00:00:00Z"}]),
        ("/v1/contracts/archive", {"customer_id": str(customer.public_id),
                                   "contract_id": str(world.contract.public_id),
                                   "void_invoices": False}),
    ]  # fmt: skip
    for path, body in writes:
        response = reader.post(path, body, format="json")
        assert response.status_code == 403, path
        assert response.json() == {
            "message": f"This API token is read-only: POST {path} changes data. "
            "Use a full-access token."
        }
    customer.refresh_from_db()
    world.contract.refresh_from_db()
    assert customer.name == "Acme" and not Customer.objects.filter(name="Globex").exists()
    assert not UsageEvent.objects.exists() and world.contract.archived_at is None
    full = _client(api_token_create(name="full")[1])
    path, body = writes[0]
    assert full.post(path, body, format="json").status_code == 200
