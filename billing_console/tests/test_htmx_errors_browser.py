"""Inline forms that cannot save, in a real browser (Playwright + Debian's Chromium): signed out
in another tab, the commit form says so beside itself with a sign-in link, keeps what was typed,
and saves once signed in again there; a role taken away, a server error and a lost connection
are each said beside the form, nothing written. Screenshots at 1440 and 390 px go to
$SCREENSHOT_DIR (default var/screenshots) to be looked at."""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group

from billing_console.roles import READ_ONLY
from contracts.edits import contract_edit
from contracts.models import Commit
from contracts.tests.factories import console_world

pytestmark = pytest.mark.browser

TYPED = {"name": "Annual commit", "amount": "1,200", "starting_at": "2026-01-01",
         "ending_before": "2027-01-01", "priority": "2"}  # fmt: skip


def _shots(locator, name: str) -> None:
    folder = Path(os.environ.get("SCREENSHOT_DIR", Path(settings.VAR_DIR) / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    page = locator.page
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        locator.scroll_into_view_if_needed()
        locator.screenshot(path=str(folder / f"{name}-{width}.png"))
    page.set_viewport_size({"width": 1440, "height": 900})


@pytest.fixture
def world(db):
    return console_world()


def _fill_commit(form, world) -> None:
    form.locator("select[name=kind]").select_option("PREPAID")
    form.locator("select[name=product]").select_option(str(world.fixed.public_id))
    for name, value in TYPED.items():
        form.locator(f"input[name={name}]").fill(value)


def _typed(form) -> dict:
    return {name: form.locator(f"input[name={name}]").input_value() for name in TYPED}


def test_signed_out_elsewhere_the_form_keeps_its_input_and_saves_after_signing_in(
    page, login, dave, world
):
    login("dave")
    url = f"/contracts/{world.contract.public_id}/"
    page.goto(url)
    form = page.locator("#commit-form")
    _fill_commit(form, world)

    # Signed out in a second tab, then the first tab's form is sent.
    other = page.context.new_page()
    other.goto(url)
    other.click("header button:has-text('Sign out')")
    other.wait_for_url("**/login/")
    other.close()
    form.get_by_role("button", name="Add").click()

    notice = form.locator(".request-notice")
    notice.wait_for()
    assert notice.get_attribute("role") == "alert"
    assert notice.inner_text().startswith("You were signed out — sign in again")
    link = notice.get_by_role("link", name="sign in again")
    assert link.get_attribute("target") == "_blank"
    assert link.get_attribute("href") == f"/login/?next={url.replace('/', '%2F')}"
    assert _typed(form) == TYPED  # kept as typed, the card not replaced by a sign-in page
    assert page.locator("#commit-form input[name=password]").count() == 0
    assert not Commit.objects.exists()
    _shots(page.locator("section.card", has=form), "htmx-signed-out")

    # Signed in again in the tab the link opens (which rotates the CSRF token): back on this
    # page's tab, the same form saves.
    with page.expect_popup() as popup:
        link.click()
    tab = popup.value
    tab.fill("input[name=username]", "dave")
    tab.fill("input[name=password]", "password")
    tab.click("button[type=submit]")
    tab.wait_for_url(f"**{url}")
    tab.close()
    form.get_by_role("button", name="Add").click()
    page.locator("#messages >> text=Contract updated.").wait_for()
    assert Commit.objects.get().name == "Annual commit"


def test_not_allowed_server_error_and_no_connection_are_said_beside_the_form(
    page, login, dave, world
):
    contract_edit(contract=world.contract, actor="setup", data={"add_commits": [{
        "type": "PREPAID", "product_id": str(world.fixed.public_id), "name": "Annual",
        "access_schedule": {"schedule_items": [{"amount": 10000, "starting_at": "2026-01-01T00:00:00Z",
                                                 "ending_before": "2027-01-01T00:00:00Z"}]}}]})  # fmt: skip
    commit = Commit.objects.get()
    login("dave")
    page.goto(f"/contracts/{world.contract.public_id}/")
    page.click(f"#commit-{commit.public_id} summary:has-text('Edit commit')")
    form = page.locator(f"#commit-edit-{commit.public_id}")
    form.locator("input[name=name]").fill("Annual 2026")
    notice = form.locator(".request-notice")

    # A server error: nothing changed, say so.
    edit_url = re.compile(rf".*/commits/{commit.public_id}/edit$")
    page.route(edit_url, lambda route: route.fulfill(status=500, body="Internal server error."))
    form.get_by_role("button", name="Save").click()
    notice.wait_for()
    assert notice.inner_text() == (
        "The server could not save this — nothing was changed; try again."
    )
    _shots(page.locator(f"#commit-{commit.public_id}"), "htmx-server-error")

    # The connection lost.
    page.unroute(edit_url)
    page.route(edit_url, lambda route: route.abort("internetdisconnected"))
    form.get_by_role("button", name="Save").click()
    page.wait_for_function(
        "el => el.textContent.startsWith('The server could not be reached')",
        arg=notice.element_handle(),
    )
    assert form.locator(".request-notice").count() == 1  # replaced, not piled up
    page.unroute(edit_url)

    # The role taken away while the page was open: the real server's 403.
    dave.groups.set([Group.objects.get_or_create(name=READ_ONLY)[0]])
    form.get_by_role("button", name="Save").click()
    page.wait_for_function(
        "el => el.textContent.startsWith('You are not allowed')", arg=notice.element_handle()
    )
    assert notice.inner_text() == (
        "You are not allowed to do this (your role: read-only): nothing was changed. "
        "Ask an admin for a role that can."
    )
    assert form.locator("input[name=name]").input_value() == "Annual 2026"
    commit.refresh_from_db()
    assert commit.name == "Annual"
    _shots(page.locator(f"#commit-{commit.public_id}"), "htmx-not-allowed")
