"""Settings (API tokens, background work), the demo loader and the heartbeat task."""

from datetime import UTC, datetime

import time_machine
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from billing_console.models import ApiToken, WorkerHeartbeat
from billing_console.tasks import worker_heartbeat
from customers.models import Customer

HX = {"HTTP_HX_REQUEST": "true"}


def test_admin_creates_token_shown_once_and_revokes_it(client, alice):
    client.force_login(alice)
    response = client.post(reverse("api-token-create"), {"name": "ingest"}, **HX)
    assert response.status_code == 200
    raw = response.content.decode().split('id="new-token">')[1].split("<")[0]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/v1/customers").status_code == 200
    assert raw.encode() not in client.get(reverse("settings")).content
    token = ApiToken.objects.get()
    client.post(reverse("api-token-revoke", args=[token.public_id]), **HX)
    assert api.get("/v1/customers").status_code == 401


def test_admin_creates_a_read_only_token(client, alice):
    client.force_login(alice)
    response = client.post(reverse("api-token-create"), {"name": "bi", "read_only": "on"}, **HX)
    assert response.status_code == 200
    html = response.content.decode()
    raw = html.split('id="new-token">')[1].split("<")[0]
    assert '<span class="badge">read-only</span>' in html
    token = ApiToken.objects.get()
    assert (token.name, token.read_only, token.created_by) == ("bi", True, alice)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/v1/customers").status_code == 200
    assert api.post("/v1/customers", {"name": "X"}, format="json").status_code == 403
    assert not Customer.objects.exists()


def test_tokens_are_full_access_unless_asked(client, alice):
    client.force_login(alice)
    response = client.post(reverse("api-token-create"), {"name": "ingest"})  # no htmx: full page
    assert response.status_code == 200 and 'name="read_only"' in response.content.decode()
    assert ApiToken.objects.get().read_only is False


def test_token_without_name_is_422(client, alice):
    client.force_login(alice)
    response = client.post(reverse("api-token-create"), {"name": ""}, **HX)
    assert response.status_code == 422 and b"This field is required" in response.content


def test_settings_are_admin_only(client, fiona, bob):
    for user in (fiona, bob):
        client.force_login(user)
        assert client.get(reverse("settings")).status_code == 403
        assert client.post(reverse("api-token-create"), {"name": "x"}).status_code == 403
    assert not ApiToken.objects.exists()


def test_settings_show_worker_heartbeat(client, alice):
    client.force_login(alice)
    assert b"not seen" in client.get(reverse("settings")).content
    worker_heartbeat()
    assert WorkerHeartbeat.objects.get().hostname
    assert b"running" in client.get(reverse("settings")).content


def test_load_demo_is_idempotent_and_logs_in(client, db, settings):
    settings.DEBUG = True  # load_demo refuses DEBUG off (billing_console/tests/test_load_demo.py)
    from contracts.models import Contract
    from invoicing.models import Invoice
    from usage.models import UsageEvent

    # Both runs at one moment: a later run adds the demo's usage since the last one, so an hour
    # crossed between them would add events (test_load_demo.py tells the later run apart).
    with time_machine.travel(datetime.now(UTC), tick=False):
        call_command("load_demo")
        first = (UsageEvent.objects.count(), Contract.objects.count(), Invoice.objects.count())
        call_command("load_demo")
        again = (UsageEvent.objects.count(), Contract.objects.count(), Invoice.objects.count())
    assert again == first
    # Ten contracts: one per customer, the pilot that Wayne Vision's contract renewed, and the
    # plan customer's plan-backed contract (plans/demo.py).
    assert first[0] > 5000 and first[1] == 10
    assert Invoice.objects.filter(status="FINALIZED", total__gt=0).exists()
    # Each current contract's current month (the renewed pilot ended before it).
    assert Invoice.objects.filter(status="DRAFT").count() == 8
    assert Customer.objects.count() == 9  # 8 + the plan customer
    assert client.login(username="demo", password="demo")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Bearer bc_demo_token_for_local_use_only")
    assert len(api.get("/v1/customers?limit=100").json()["data"]) == 9
