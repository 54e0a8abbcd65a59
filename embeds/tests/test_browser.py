"""An embed URL in a Chromium iframe on another origin (a second local HTTP server): customer A's
invoices render with the color overrides; a tampered URL shows the 403 page; console pages and
origins not listed in EMBED_FRAME_ANCESTORS cannot frame anything."""

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from rest_framework.test import APIClient

from embeds.tests.worlds import two_customers

pytestmark = pytest.mark.browser


class HostPage:
    """The embedding application: another origin serving one HTML page with iframes."""

    def __init__(self) -> None:
        self.html = ""
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = host.html.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def frames(self, **sources: str) -> None:
        self.html = "<!doctype html><title>Our app</title><h1>Billing</h1>" + "".join(
            f'<iframe name="{name}" id="{name}" src="{src}" width="900" height="500"></iframe>'
            for name, src in sources.items()
        )


@pytest.fixture
def host() -> Iterator[HostPage]:
    page = HostPage()
    yield page
    page.server.shutdown()
    page.server.server_close()


def _embed_url(api_token: str, customer, **extra) -> str:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token}")
    response = api.post(
        "/v1/dashboards/getEmbeddableUrl",
        {"customer_id": str(customer.public_id), "dashboard": "invoices", **extra},
        format="json",
    )
    return response.json()["data"]["url"]  # absolute: http://testserver/embed/<token>/


def test_customer_a_dashboard_in_a_cross_origin_iframe(
    page, live_server, host, settings, api_token
):
    settings.EMBED_FRAME_ANCESTORS = [host.origin]
    world = two_customers()
    path = _embed_url(
        api_token, world.a.customer, color_overrides=[{"name": "Action", "value": "#00aa55"}]
    ).split("testserver", 1)[1]
    embed = f"{live_server.url}{path}"
    token = path.split("/")[2]
    tampered = f"{live_server.url}/embed/{token[:-3]}xyz/"
    host.frames(dashboard=embed, tampered=tampered, console=f"{live_server.url}/login/")
    assert not host.origin.startswith(live_server.url)  # another origin (scheme, host, port)

    page.goto(f"{host.origin}/")
    frame = page.frame_locator("#dashboard")
    table = frame.locator("#invoices")
    table.wait_for()
    text = table.inner_text()
    assert world.a_invoice.number in text and "$0.50" in text
    assert world.b_invoice.number not in text and "$1.65" not in text
    link = frame.get_by_role("link", name=world.a_invoice.number)
    assert link.evaluate("e => getComputedStyle(e).color") == "rgb(0, 170, 85)"  # Action color

    link.click()  # invoice detail, still inside the frame and scoped to customer A
    frame.locator("#invoice-total").wait_for()
    assert frame.locator("#invoice-total").inner_text() == "$0.50"
    assert "Calls" in frame.locator("#invoice-lines").inner_text()

    assert "invalid or has expired" in page.frame_locator("#tampered").locator("body").inner_text()

    # The console's own pages keep X-Frame-Options: DENY: Chromium refuses to show them.
    console = page.frame(name="console")
    assert console is not None
    assert console.url.startswith("chrome-error://")  # blocked, not rendered
    assert page.frame(name="dashboard").url.startswith(live_server.url)


def test_an_origin_not_listed_cannot_frame_the_dashboard(
    page, live_server, host, settings, api_token
):
    settings.EMBED_FRAME_ANCESTORS = ["https://app.example.com"]
    world = two_customers()
    path = _embed_url(api_token, world.a.customer).split("testserver", 1)[1]
    host.frames(dashboard=f"{live_server.url}{path}")
    page.goto(f"{host.origin}/")  # waits for the frames' load events
    frame = _blocked_frame(page, "dashboard")
    assert frame is not None
    assert frame.url.startswith("chrome-error://")  # frame-ancestors refused this origin
    assert world.a_invoice.number not in frame.content()


def _blocked_frame(page, name: str):
    """The frame once Chromium has replaced a refused document with its error page (for a
    moment after the load event the frame may be between the two documents)."""
    for _ in range(50):
        frame = page.frame(name=name)
        if frame is not None and frame.url.startswith("chrome-error://"):
            return frame
        page.wait_for_timeout(100)
    return page.frame(name=name)
