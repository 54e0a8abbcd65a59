"""The console's embed card (same service as the API; colours and expiry honoured) and the
allowed framing origins of Settings → Embeds (validated, stored, applied to frame-ancestors)."""

import re

import pytest
import time_machine

from billing_console.api import ApplicationError
from billing_console.models import EmbedFrameOrigin
from embeds.origins import frame_ancestors, frame_origin_add, origin_normalize
from embeds.tests.worlds import two_customers


@pytest.mark.parametrize(
    ("text", "origin"),
    [
        ("https://app.example.com", "https://app.example.com"),
        ("https://App.Example.com:443/", "https://app.example.com"),
        ("https://app.example.com:8443", "https://app.example.com:8443"),
        ("http://127.0.0.1:8123", "http://127.0.0.1:8123"),
        ("http://localhost:3000", "http://localhost:3000"),
    ],
)
def test_origin_normalize(text, origin):
    assert origin_normalize(text) == origin


@pytest.mark.parametrize(
    "text",
    ["app.example.com", "http://app.example.com", "https://app.example.com/billing",
     "https://*.example.com", "https://a.com https://b.com", "'self'", "javascript:alert(1)",
     "https://user:pw@app.example.com", "https://app.example.com:99999", "https://app.example.com?x=1", ""],
)  # fmt: skip
def test_origin_normalize_refuses(text):
    with pytest.raises(ApplicationError) as err:
        origin_normalize(text)
    assert err.value.message.startswith("origin:")


def _url(page: str) -> str:
    return re.search(r'id="embed-url"[^>]*value="([^"]+)"', page).group(1)


def test_embed_card_makes_a_working_link_with_colours_and_expiry(client, fiona, settings):
    settings.EMBED_FRAME_ANCESTORS = []
    world = two_customers()
    customer = world.a.customer
    client.force_login(fiona)
    card = client.get(f"/customers/{customer.public_id}/embed-link", HTTP_HX_REQUEST="true")
    assert card.status_code == 200 and 'id="embed-card"' in card.content.decode()

    with time_machine.travel("2026-03-01T12:00:00Z", tick=False):
        made = client.post(
            f"/customers/{customer.public_id}/embed-link",
            {"dashboard": "invoices", "lifetime": "86400", "color_Action": "00aa55"},
            HTTP_HX_REQUEST="true",
        )
        assert made.status_code == 200
        html = made.content.decode()
        assert "&lt;iframe src=&quot;http://testserver/embed/" in html or "&lt;iframe src=\"http://testserver/embed/" in html  # fmt: skip
        assert "Mar 2, 2026, 12:00 UTC" in html  # works until, in the user's zone
        path = _url(html).replace("http://testserver", "")
        dashboard = client.get(path)
        assert dashboard.status_code == 200
        assert world.a_invoice.number in dashboard.content.decode()
        assert "--action: #00aa55" in dashboard.content.decode()
        assert "X-Frame-Options" not in dashboard.headers
        assert dashboard["Content-Security-Policy"] == "frame-ancestors 'none'"
    with time_machine.travel("2026-03-02T11:59:00Z", tick=False):
        assert client.get(path).status_code == 200
    with time_machine.travel("2026-03-02T12:01:00Z", tick=False):
        assert client.get(path).status_code == 403  # the chosen day is over


def test_embed_card_refuses_bad_colours_and_read_only(client, fiona, bob):
    customer = two_customers().a.customer
    client.force_login(fiona)
    bad = client.post(
        f"/customers/{customer.public_id}/embed-link",
        {"dashboard": "usage", "lifetime": "3600", "color_White": "red"},
        HTTP_HX_REQUEST="true",
    )
    assert bad.status_code == 422 and "A hex colour" in bad.content.decode()
    odd = client.post(
        f"/customers/{customer.public_id}/embed-link",
        {"dashboard": "usage", "lifetime": "999999999"},
        HTTP_HX_REQUEST="true",
    )
    assert odd.status_code == 422
    client.force_login(bob)
    assert "cannot make embed links" in client.get(f"/customers/{customer.public_id}/embed-link").content.decode()  # fmt: skip
    refused = client.post(
        f"/customers/{customer.public_id}/embed-link", {"dashboard": "usage", "lifetime": "3600"}
    )
    assert refused.status_code == 403


def test_settings_origins_are_stored_and_framed(client, alice, fiona, settings):
    settings.EMBED_FRAME_ANCESTORS = ["'self'"]
    client.force_login(fiona)
    assert client.get("/settings/embeds/").status_code == 403  # admins only
    client.force_login(alice)
    assert client.get("/settings/embeds/").status_code == 200
    bad = client.post("/settings/embeds/add", {"origin": "https://x.com/path"}, HTTP_HX_REQUEST="true")  # fmt: skip
    assert bad.status_code == 422 and "must be an origin" in bad.content.decode()
    ok = client.post("/settings/embeds/add", {"origin": "https://App.example.com:443"})
    assert ok.status_code == 302
    assert list(EmbedFrameOrigin.objects.values_list("origin", flat=True)) == ["https://app.example.com"]  # fmt: skip
    again = client.post("/settings/embeds/add", {"origin": "https://app.example.com"}, HTTP_HX_REQUEST="true")  # fmt: skip
    assert again.status_code == 422 and "already allowed" in again.content.decode()
    assert frame_ancestors() == ["'self'", "https://app.example.com"]

    origin = EmbedFrameOrigin.objects.get()
    removed = client.post(f"/settings/embeds/{origin.public_id}/remove", HTTP_HX_REQUEST="true")
    assert removed.status_code == 200 and not EmbedFrameOrigin.objects.exists()
    assert frame_ancestors() == ["'self'"]


def test_env_origins_come_first_without_duplicates(db, settings):
    settings.EMBED_FRAME_ANCESTORS = ["https://app.example.com"]
    frame_origin_add(origin="https://app.example.com", created_by=None)
    frame_origin_add(origin="https://portal.example.com", created_by=None)
    assert frame_ancestors() == ["https://app.example.com", "https://portal.example.com"]
