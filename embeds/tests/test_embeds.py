"""Embeddable dashboards: the URL from the official SDK, signed and expiring, scoped to one
customer; colors validated strictly and applied; framing allowed only where configured."""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

import metronome
import pytest
import time_machine
from django.core import signing

from billing_console.embedding import SALT, EmbedGrant, embed_token_read, embed_token_sign
from embeds.tests.worlds import two_customers

pytestmark = pytest.mark.django_db


def _path(url: str) -> str:
    return urlparse(url).path


def _url(client_or_api, customer, dashboard: str = "invoices", **extra) -> str:
    response = client_or_api.post(
        "/v1/dashboards/getEmbeddableUrl",
        {"customer_id": str(customer.public_id), "dashboard": dashboard, **extra},
        format="json",
    )
    assert response.status_code == 200, response.json()
    return response.json()["data"]["url"]


@pytest.mark.sdk
def test_the_sdk_gets_a_signed_url_for_one_customer(sdk, live_server):
    world = two_customers()
    url = sdk.v1.dashboards.get_embeddable_url(
        customer_id=str(world.a.customer.public_id),
        dashboard="invoices",
        color_overrides=[{"name": "Primary_medium", "value": "#FF0000"}],
        dashboard_options=[{"key": "invoice_status_filter", "value": "FINALIZED"}],
        bm_group_key_overrides=[{"group_key_name": "region", "display_name": "Region"}],
    ).data.url
    assert url.startswith(f"{live_server.url}/embed/")
    grant = embed_token_read(_path(url).split("/")[2])
    assert grant == EmbedGrant(
        customer_id=str(world.a.customer.public_id),
        dashboard="invoices",
        options={"invoice_status_filter": "FINALIZED"},
        colors={"Primary_medium": "#ff0000"},
        group_keys=[{"group_key_name": "region", "display_name": "Region"}],
    )
    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.dashboards.get_embeddable_url(
            customer_id=str(world.a.customer.public_id),
            dashboard="invoices",
            color_overrides=[{"name": "Action", "value": "red; } body { display: none"}],
        )
    assert err.value.body["message"] == "color_overrides[0].value: must be a hex color such as #1a2b3c."  # fmt: skip
    with pytest.raises(metronome.NotFoundError):
        sdk.v1.dashboards.get_embeddable_url(
            customer_id="4db51251-61de-4bfe-b9ce-495e244f3491", dashboard="usage"
        )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"color_overrides": [{"name": "Action", "value": "#12345"}]},
         "color_overrides[0].value: must be a hex color"),
        ({"color_overrides": [{"name": "Action", "value": "url(https://evil.test/x)"}]},
         "color_overrides[0].value: must be a hex color"),
        ({"color_overrides": [{"name": "Background", "value": "#123456"}]},
         "color_overrides[0].name: must be one of Gray_dark"),
        ({"dashboard_options": [{"key": "invoice_status_filter", "value": "PAID"}]},
         "dashboard_options[0].value: for invoice_status_filter must be one of"),
        ({"dashboard_options": [{"key": "contract_id", "value": "4db51251-61de-4bfe-b9ce-495e244f3491"}]},
         "dashboard_options[0].value: is not a contract of this customer."),
        ({"dashboard": "billing"}, "dashboard: must be one of invoices, usage, credits"),
    ],
)  # fmt: skip
def test_invalid_options_and_colors_are_refused_with_400(api, extra, message):
    world = two_customers()
    body = {"customer_id": str(world.a.customer.public_id), "dashboard": "invoices", **extra}
    response = api.post("/v1/dashboards/getEmbeddableUrl", body, format="json")
    assert response.status_code == 400
    assert response.json()["message"].startswith(message)


def test_invoices_dashboard_shows_only_the_tokens_customer(api, client, settings):
    settings.EMBED_FRAME_ANCESTORS = ["https://app.example.com"]
    world = two_customers()
    path = _path(_url(api, world.a.customer, color_overrides=[{"name": "Action", "value": "#00aa55"}]))  # fmt: skip
    page = client.get(path)
    assert page.status_code == 200
    html = page.content.decode()
    assert world.a_invoice.number in html and "$0.50" in html
    assert world.b_invoice.number not in html and "$1.65" not in html
    assert "--action: #00aa55;" in html
    assert page["Content-Security-Policy"] == "frame-ancestors https://app.example.com"
    assert "X-Frame-Options" not in page
    assert page["Referrer-Policy"] == "no-referrer"

    detail = client.get(f"{path}invoices/{world.a_invoice.public_id}/")
    assert detail.status_code == 200
    assert "Calls" in detail.content.decode() and "$0.50" in detail.content.decode()
    # Customer B's invoice id under A's token: not found (the token scopes every id).
    other = client.get(f"{path}invoices/{world.b_invoice.public_id}/")
    assert other.status_code == 404
    assert "$1.65" not in other.content.decode()

    # Every other page still refuses to be framed.
    assert client.get("/login/")["X-Frame-Options"] == "DENY"


def test_a_tampered_or_expired_token_is_403(api, client):
    world = two_customers()
    path = _path(_url(api, world.a.customer))
    token = path.split("/")[2]
    value, _timestamp, signature = token.rsplit(":", 2)
    forged = embed_token_sign(EmbedGrant(str(world.b_customer.public_id), "invoices"))
    cases = [
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # signature altered
        f"{value}x:{token.rsplit(':', 2)[1]}:{signature}",  # payload altered
        signing.TimestampSigner(salt="another.salt").sign_object(
            {"c": str(world.b_customer.public_id), "d": "invoices"}, compress=True
        ),  # signed for another purpose
        "not-a-token",
    ]
    for bad in cases:
        response = client.get(f"/embed/{bad}/")
        assert response.status_code == 403, bad
        assert "invalid or has expired" in response.content.decode()
        assert world.b_invoice.number not in response.content.decode()
    assert client.get(f"/embed/{forged}/").status_code == 200  # only our key signs tokens
    with time_machine.travel(datetime.now(tz=UTC) + timedelta(seconds=3601)):
        assert client.get(path).status_code == 403
    assert SALT == "billing_console.embed.v1"


def test_usage_dashboard_shows_current_spend_with_group_display_names(api, client):
    world = two_customers()
    with time_machine.travel(datetime(2026, 2, 10, 12, tzinfo=UTC), tick=False):
        path = _path(_url(api, world.a.customer, "usage"))
        html = client.get(path).content.decode()
    # February so far: 20 calls x 5 cents = USD 1.00, all covered by the launch credit.
    assert "Acme platform" in html
    assert "Calls" in html and "$1.00" in html
    assert "Launch credit" in html and "-$1.00" in html
    assert "Due so far" in html and "$0.00" in html
    assert "Globex" not in html


def test_credits_dashboard_shows_balances_schedules_and_drawdown(api, client):
    world = two_customers()
    with time_machine.travel(datetime(2026, 2, 10, 12, tzinfo=UTC), tick=False):
        path = _path(_url(api, world.a.customer, "credits"))
        html = client.get(path).content.decode()
        # A credits token opens no invoice pages, not even the customer's own.
        assert client.get(f"{path}invoices/{world.a_invoice.public_id}/").status_code == 404
    assert "Launch credit" in html
    assert "$9.00" in html  # 1,000 cents less the 100 drawn in February
    assert "Feb 1, 2026" in html and "Jun 1, 2027" in html  # access schedule and expiry
    assert "Segment Start" in html and "$10.00" in html
    assert "Usage Deduction" in html and "-$1.00" in html
    assert "Globex secret credit" not in html and "$77.77" not in html


def test_group_keys_show_their_display_names():
    from embeds.views import _group_display

    grant = EmbedGrant(
        "c", "usage",
        group_keys=[{"group_key_name": "region", "display_name": "Region",
                     "value_display_names": {"eu": "Europe"}}],
    )  # fmt: skip
    assert _group_display(grant, {"region": "eu", "model": "large"}) == [
        ("model", "large"),
        ("Region", "Europe"),
    ]


@pytest.mark.parametrize(
    "grant",
    [
        {"colors": {"Not_a_color": "#ffffff"}},  # was a 500 (KeyError), with its DEBUG page
        {"colors": {"Action": "red; } body { display: none"}},
        {"options": {"no_such_option": "true"}},
        {"options": {"contract_id": "not-a-uuid"}},
        {"group_keys": ["region"]},
        {"customer_id": "not-a-uuid"},
    ],
)
def test_a_token_signed_with_our_key_but_malformed_is_400(client, settings, grant):
    # Only a leaked (or, before var/secret_key, the public DEBUG) key signs such a token.
    settings.DEBUG = True
    world = two_customers()
    fields = {"customer_id": str(world.a.customer.public_id), "dashboard": "usage", **grant}
    response = client.get(f"/embed/{embed_token_sign(EmbedGrant(**fields))}/")
    assert response.status_code == 400
    assert b"malformed" in response.content and b"Traceback" not in response.content
    assert "frame-ancestors" in response["Content-Security-Policy"]


def test_a_signed_payload_not_shaped_like_a_grant_is_403(client):
    for payload in ({"c": "x", "d": "usage", "o": "not-a-dict"}, {"d": "usage"}):
        token = signing.TimestampSigner(salt=SALT).sign_object(payload, compress=True)
        assert client.get(f"/embed/{token}/").status_code == 403


def test_credits_dashboard_shows_a_custom_unit_commit_in_its_unit(api, client):
    from contracts.edits import contract_edit
    from pricing.services import credit_type_create, product_create

    world = two_customers()
    credits = credit_type_create(name="GPU credits")
    fixed = product_create(name="GPU pack", type="FIXED")
    contract_edit(contract=world.a.contract, data={"add_commits": [{
        "type": "PREPAID", "name": "GPU pack", "priority": 2, "product_id": str(fixed.public_id),
        "access_schedule": {"credit_type_id": str(credits.public_id), "schedule_items": [{
            "amount": 250, "starting_at": "2026-02-01T00:00:00Z",
            "ending_before": "2027-06-01T00:00:00Z"}]},
    }]})  # fmt: skip
    with time_machine.travel(datetime(2026, 2, 10, 12, tzinfo=UTC), tick=False):
        path = _path(_url(api, world.a.customer, "commits_and_credits"))
        html = client.get(path).content.decode()
    assert "250.00 GPU credits" in html and "$2.50" not in html
