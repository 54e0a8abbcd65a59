"""The console's embed generator end to end: finance makes a link on the customer page, the
copied <iframe> snippet goes on a page of another origin (a second local HTTP server); it is
refused until an admin allows that origin in Settings → Embeds, then renders there. The card
and the embeds hold at narrow widths (no horizontal scroll)."""

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from billing_console.tests.screenshots import element_shots
from embeds.tests.test_browser import HostPage
from embeds.tests.worlds import two_customers

pytestmark = pytest.mark.browser

NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"
# How many lines an element's text takes (distinct tops of its text boxes).
TEXT_LINES = """e => { const r = document.createRange(); r.selectNodeContents(e);
  return new Set([...r.getClientRects()].filter(x => x.width > 0).map(x => Math.round(x.top))).size; }"""


@pytest.fixture
def other_site() -> Iterator[HostPage]:
    site = HostPage()
    yield site
    site.server.shutdown()
    site.server.server_close()


def _shot(page, name: str) -> None:
    folder = Path(os.environ.get("SCREENSHOT_DIR", Path(django_settings.VAR_DIR) / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def _blocked(page, name: str) -> bool:
    for _ in range(50):
        frame = page.frame(name=name)
        if frame is not None and frame.url.startswith("chrome-error://"):
            return True
        page.wait_for_timeout(100)
    return False


def test_generated_iframe_renders_on_another_origin_once_allowed(
    page, live_server, login, other_site, settings, alice
):
    settings.EMBED_FRAME_ANCESTORS = []  # nothing from the environment: Settings decides
    world = two_customers()
    login("alice")

    page.goto(f"/customers/{world.a.customer.public_id}/")
    card = page.locator("#embed-card")
    card.locator("form").wait_for()
    card.get_by_label("Dashboard").select_option("invoices")
    card.get_by_label("Link expires after").select_option(label="1 day")
    card.locator("summary", has_text="Colours").click()
    card.get_by_label("Links", exact=True).fill("#00aa55")
    card.get_by_role("button", name="Make link").click()
    snippet = page.locator("#embed-snippet")
    snippet.wait_for()
    html = snippet.input_value()
    assert html.startswith(f'<iframe src="{live_server.url}/embed/') and html.endswith("</iframe>")
    page.get_by_role("button", name="Copy snippet").click()
    # The button says so once the clipboard answers (asynchronously): wait for it.
    page.get_by_role("button", name=re.compile(r"^(Copied|Press Ctrl\+C)$")).wait_for()
    element_shots(page, "embed-card", "#embed-card")
    page.set_viewport_size({"width": 390, "height": 900})
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    page.set_viewport_size({"width": 1440, "height": 900})

    # The snippet, pasted on a page of another origin: refused while the origin is not allowed.
    other_site.html = f"<!doctype html><title>Our app</title><h1>Billing</h1>{html.replace('<iframe ', '<iframe name=dash ')}"  # fmt: skip
    site = page.context.new_page()
    site.goto(f"{other_site.origin}/")
    assert _blocked(site, "dash")
    site.close()

    # An admin allows it in Settings → Embeds.
    page.goto("/settings/embeds/")
    page.get_by_label("Origin").fill(other_site.origin)
    page.get_by_role("button", name="Allow origin").click()
    page.locator("#frame-origins", has_text=other_site.origin).wait_for()

    site = page.context.new_page()
    site.goto(f"{other_site.origin}/")
    frame = site.frame_locator("iframe[name=dash]")
    table = frame.locator("#invoices")
    table.wait_for()
    assert world.a_invoice.number in table.inner_text()
    link = frame.get_by_role("link", name=world.a_invoice.number)
    assert link.evaluate("e => getComputedStyle(e).color") == "rgb(0, 170, 85)"
    _shot(site, "embed-on-other-origin-1440")

    # The embed itself at 360 px: amounts on one line, no sideways scroll.
    url = html.split('src="', 1)[1].split('"', 1)[0]
    narrow = page.context.new_page()
    narrow.set_viewport_size({"width": 360, "height": 800})
    for name, path in (("invoices", url), ("invoice", None)):
        if path is None:
            narrow.get_by_role("link", name=world.a_invoice.number).click()
            narrow.locator("#invoice-total").wait_for()
        else:
            narrow.goto(path)
        assert narrow.evaluate(NO_SIDEWAYS_SCROLL), name
        for cell in narrow.locator(".num").all():
            if cell.is_visible() and cell.inner_text().strip():
                assert cell.evaluate(TEXT_LINES) == 1, (name, cell.inner_text())  # not wrapped
        _shot(narrow, f"embed-{name}-360")
    narrow.set_viewport_size({"width": 320, "height": 800})
    assert narrow.evaluate(NO_SIDEWAYS_SCROLL)
