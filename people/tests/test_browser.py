"""Settings → People in a real browser (Playwright + Chromium), with sign-in throttling on: a
locked-out colleague, unlocked by an admin; an invitation whose link sets a password; a role
change and a deactivation. Screenshots at 1440 and 390 px; no sideways scrolling on a phone."""

import re

import pytest
from django.contrib.auth.models import User

from billing_console.roles import DEAL_DESK
from billing_console.tests.screenshots import element_shots

pytestmark = pytest.mark.browser


def _fits(page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    assert page.evaluate("document.documentElement.scrollWidth") <= width, width
    page.set_viewport_size({"width": 1440, "height": 900})


def _try(page, username: str, password: str) -> None:
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_an_admin_manages_people(page, _browser, live_server, login, alice, fiona, settings):
    settings.AXES_ENABLED = True  # the live server shares these settings
    settings.SITE_URL = live_server.url
    for _ in range(5):
        _try(page, "fiona", "wrong")
    _try(page, "fiona", "password")  # the right password, too late
    lockout = page.locator("#lockout")
    assert "Too many failed sign-ins" in lockout.inner_text()
    assert re.search(r"Try again after \w{3} \d+, \d{4}, \d\d:\d\d UTC", lockout.inner_text())
    element_shots(page, "people-lockout", ".login")
    _fits(page, 390)

    login("alice")  # through the sign-in page, counted by django-axes
    page.click("nav.mainnav summary:has-text('Settings')")
    page.click("nav.mainnav >> text=People")
    page.wait_for_url("**/settings/people/")
    locks = page.locator("#locks-table")
    assert "fiona" in locks.inner_text() and "127.0.0.1" in locks.inner_text()
    assert page.locator("#failures-table tbody tr").count() == 6

    # invite: the link is shown to copy
    page.fill("#id_name", "Jane Doe")
    page.fill("#id_email", "jane@example.com")
    page.select_option("#id_role", "finance")
    page.click("button:has-text('Add and make link')")
    page.locator("#set-password-link").wait_for()
    url = page.input_value("#link-url")
    assert url.startswith(f"{live_server.url}/set-password/")
    row = page.locator("#people-table tr", has_text="Jane Doe")
    assert "invited" in row.inner_text()
    element_shots(page, "people-page", "main")
    _fits(page, 390)

    # role change and deactivation of fiona, the confirmation asked in the page's dialog
    fiona_row = page.locator(f"#person-{fiona.pk}")
    fiona_row.locator("select").select_option(DEAL_DESK)
    fiona_row.get_by_role("button", name="Save").click()
    page.wait_for_url("**/settings/people/")
    assert "Finance → Deal desk" in page.locator("#messages").inner_text()
    page.locator(f"#person-{fiona.pk}").get_by_role("button", name="Deactivate").click()
    dialog = page.get_by_role("dialog")
    with page.expect_navigation():
        dialog.get_by_role("button", name="Deactivate").click()
    assert not User.objects.get(pk=fiona.pk).is_active
    assert "deactivated" in page.locator(f"#person-{fiona.pk}").inner_text()

    # unlock is still offered for the (now deactivated) name; unlock it
    page.locator("#locks-table").get_by_role("button", name="Unlock").click()
    page.wait_for_url("**/settings/people/")
    assert page.locator("#locks-table").count() == 0
    element_shots(page, "people-page-after", "main")
    _fits(page, 390)

    # Jane opens her link in a browser of her own, chooses a password, and is signed in
    jane = _browser.new_context(base_url=live_server.url).new_page()
    jane.goto(url)
    jane.fill("input[name=new_password1]", "a-long-passphrase-9")
    jane.fill("input[name=new_password2]", "a-long-passphrase-9")
    element_shots(jane, "people-set-password", ".login")
    jane.click("button[type=submit]")
    jane.wait_for_url(lambda u: "/set-password/" not in u)
    assert "Jane Doe" in jane.locator(".who-name").inner_text()
    jane.context.close()
