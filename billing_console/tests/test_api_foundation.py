"""Auth, error bodies, pagination and the schema, through the DRF test client."""

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from billing_console.models import ApiToken
from billing_console.services import api_token_create, api_token_revoke


def test_no_token_is_401_with_message(db):
    response = APIClient().get("/v1/customers")
    assert response.status_code == 401
    assert response.json() == {"message": "Authentication credentials were not provided."}
    assert response["WWW-Authenticate"] == "Bearer"


def test_revoked_token_is_401(db):
    token, raw = api_token_create(name="old")
    api_token_revoke(token=token)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/v1/customers").status_code == 401


def test_last_use_is_recorded_at_most_every_five_minutes(db):
    from datetime import UTC, datetime, timedelta

    import time_machine

    token, raw = api_token_create(name="svc")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    for offset, recorded in ((0, 0), (4, 0), (6, 6)):
        with time_machine.travel(start + timedelta(minutes=offset), tick=False):
            assert client.get("/v1/customers").status_code == 200
        token.refresh_from_db()
        assert token.last_used_at == start + timedelta(minutes=recorded)


def test_malformed_header_is_401(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token abc")
    assert client.get("/v1/customers").status_code == 401


def test_only_the_hash_is_stored(db):
    token, raw = api_token_create(name="svc")
    assert raw.startswith("bc_") and raw not in token.token_hash
    assert not ApiToken.objects.filter(token_hash=raw).exists()


def test_invalid_json_is_400(api):
    response = api.post("/v1/customers", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in response.json()["message"]


@pytest.mark.parametrize("limit", ["0", "101", "x"])
def test_bad_limit_is_400_naming_limit(api, limit):
    response = api.get(f"/v1/customers?limit={limit}")
    assert response.status_code == 400
    assert response.json()["message"].startswith("limit:")


def test_bad_cursor_is_400(api):
    response = api.get("/v1/customers?next_page=%%%")
    assert response.status_code == 400
    assert response.json()["message"].startswith("next_page:")


def test_unknown_api_path_is_json_404(api):
    response = api.get("/v1/nothing-here")
    assert response.status_code == 404
    assert "message" in response.json()


def test_openapi_schema_lists_customer_paths(client, db):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/v1/customers" in paths and "/v1/customFields/setValues" in paths
    assert client.get("/docs/").status_code == 200


def test_create_api_token_command_prints_token_once(db, capsys):
    call_command("create_api_token", "--name", "ingest")
    raw = capsys.readouterr().out.strip()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/v1/customers").status_code == 200
    assert ApiToken.objects.get().name == "ingest"


def test_create_api_token_command_read_only(db, capsys):
    call_command("create_api_token", "--name", "dashboards", "--read-only")
    captured = capsys.readouterr()
    assert "read-only" in captured.err
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {captured.out.strip()}")
    assert client.get("/v1/customers").status_code == 200
    assert client.post("/v1/customers", {"name": "X"}, format="json").status_code == 403
    assert ApiToken.objects.get().read_only is True
