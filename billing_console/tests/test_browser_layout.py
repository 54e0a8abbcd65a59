"""Every console page at a phone's, a tablet's and a desktop's width (Playwright + Debian's
Chromium), on the demo: the pages of the navigation and one detail page of each kind. None
scrolls sideways (tables scroll inside their own box or stack); the top menu fits on one line at
1280 px and folds into a "Menu" button under 768 px. A full-page screenshot per page and width
goes to $SCREENSHOT_DIR (default var/screenshots), named layout-<page>-<width>.png."""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command

from billing_console.roles import ALL_ROLES
from usage import demo as usage_demo

pytestmark = pytest.mark.browser

WIDTHS = (390, 768, 1440)
UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
# One detail page of each kind, found among the links of the navigation's pages.
DETAILS = {
    "customer": f"/customers/{UUID}/", "contract": f"/contracts/{UUID}/",
    "invoice": f"/invoices/{UUID}/", "product": f"/products/{UUID}/",
    "rate-card": f"/rate-cards/{UUID}/", "package": f"/packages/{UUID}/",
    "alert": f"/alerts/{UUID}/", "metric": f"/billable-metrics/{UUID}/",
}  # fmt: skip
# Pages reached by a button or a Settings card rather than the navigation.
EXTRA = {
    "package-create": "/packages/create", "contract-create": "/contracts/new",
    "tax-settings": "/tax/settings", "marketplace-metering": "/invoices/marketplace-metering/",
    "profile": "/settings/profile/",
}  # fmt: skip
NOT_CONSOLE = ("/docs/",)  # the API docs are Swagger UI's page, not the console's
# The elements sticking out on the right, outermost first: said when a page scrolls sideways.
WIDEST = """() => {
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    const right = el.getBoundingClientRect().right, parent = el.parentElement;
    if (right <= innerWidth + 1 || parent.getBoundingClientRect().right > innerWidth + 1) continue;
    const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
      (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : "");
    out.push(name + " to " + Math.round(right) + "px");
  }
  return out.slice(0, 6);
}"""


@pytest.fixture
def demo(transactional_db, monkeypatch):
    monkeypatch.setattr(usage_demo, "DAYS", 3)  # 3 days of usage rather than 30 (speed)
    for role in ALL_ROLES:  # made by a migration, gone once an earlier live-server test flushed
        Group.objects.get_or_create(name=role)
    call_command("load_demo", force=True)


def _folder() -> Path:
    folder = Path(os.environ.get("SCREENSHOT_DIR", Path(settings.VAR_DIR) / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _hrefs(page, selector: str = "a[href]") -> list[str]:
    return page.eval_on_selector_all(selector, "links => links.map(a => a.getAttribute('href'))")


def _pages(page) -> dict[str, str]:
    """name -> path: the navigation's pages (every group's), then one detail page of each kind."""
    page.goto("/")
    pages = {}
    for href in _hrefs(page, "nav.mainnav a[href]"):
        if href not in pages.values() and not href.startswith(NOT_CONSOLE):
            pages[href.strip("/").replace("/", "-") or "home"] = href
    found = [href for path in list(pages.values()) for href in _goto_links(page, path)]
    for kind, pattern in DETAILS.items():
        detail = next((href for href in found if re.fullmatch(pattern, href)), None)
        assert detail, f"no {kind} page linked from the navigation's pages"
        pages[f"{kind}-detail"] = detail
    for name, path in EXTRA.items():
        pages.setdefault(name, path)
    return pages


def _goto_links(page, path: str) -> list[str]:
    page.goto(path)
    return _hrefs(page)


def test_every_console_page_fits_a_phone_a_tablet_and_a_desktop(page, login, demo):
    login("demo", "demo")
    pages = _pages(page)
    assert {"customers", "contracts", "invoices", "rate-cards", "audit-log", "settings"} <= set(
        pages
    )
    folder, too_wide = _folder(), {}
    for name, path in pages.items():
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})
        page.goto(path, wait_until="networkidle")  # the customer overview comes by htmx
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            scroll = page.evaluate("document.documentElement.scrollWidth")
            if scroll > width:
                too_wide[f"{name} at {width}"] = (scroll, page.evaluate(WIDEST))
            page.screenshot(path=str(folder / f"layout-{name}-{width}.png"), full_page=True)
    assert not too_wide, "\n".join(f"{k}: {w}px, {', '.join(e)}" for k, (w, e) in too_wide.items())


def test_the_menu_is_one_line_at_1280_and_a_button_on_a_phone(page, login, demo):
    login("demo", "demo")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/invoices/")
    for width in (1280, 768):  # one line, the groups clear of the name and "Sign out"
        page.set_viewport_size({"width": width, "height": 800})
        assert page.locator(".topbar").bounding_box()["height"] <= 56
        groups, who = page.locator(".navgroups").bounding_box(), page.locator(".who").bounding_box()
        assert groups["x"] + groups["width"] <= who["x"]
    billing = page.locator("nav.mainnav summary", has_text="Billing")
    assert billing.get_attribute("aria-current") == "true"  # the current page's group
    billing.click()
    assert page.get_by_role("link", name="Invoices").get_attribute("aria-current") == "page"
    page.screenshot(path=str(_folder() / "layout-menu-open-1280.png"))
    page.keyboard.press("Escape")  # closes the group, back on its button
    assert not page.get_by_role("link", name="Invoices").is_visible()

    page.set_viewport_size({"width": 390, "height": 800})
    assert not page.get_by_role("link", name="Contracts").is_visible()
    page.get_by_text("Menu", exact=True).click()
    page.screenshot(path=str(_folder() / "layout-menu-open-390.png"))
    page.get_by_role("link", name="Contracts").click()
    page.wait_for_url("**/contracts/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
