"""Shared fixtures: named personas (healthchecks), an API token, the official SDK, a browser."""

import os
import shutil
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import Group, User
from rest_framework.test import APIClient

from billing_console.roles import ADMIN, DEAL_DESK, FINANCE, READ_ONLY
from billing_console.services import api_token_create

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def _user(username: str, role: str | None) -> User:
    user = User.objects.create_user(
        username=username, password="password", email=f"{username}@example.com"
    )
    if role:
        group, _ = Group.objects.get_or_create(name=role)
        user.groups.add(group)
    return user


@pytest.fixture
def alice(db) -> User:
    """An admin: owns the installation."""
    return _user("alice", ADMIN)


@pytest.fixture
def fiona(db) -> User:
    """Finance ops."""
    return _user("fiona", FINANCE)


@pytest.fixture
def dave(db) -> User:
    """Deal desk."""
    return _user("dave", DEAL_DESK)


@pytest.fixture
def bob(db) -> User:
    """A read-only teammate: can look, never change."""
    return _user("bob", READ_ONLY)


@pytest.fixture
def charlie(db) -> User:
    """An outsider: signed in, with no role at all."""
    return _user("charlie", None)


@pytest.fixture
def api_token(db) -> str:
    _token, raw = api_token_create(name="tests")
    return raw


@pytest.fixture
def api(api_token) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token}", HTTP_USER_AGENT="pytest-api")
    return client


@pytest.fixture
def sdk(live_server, api_token):
    """The official Metronome SDK pointed at our live server: only base_url and token change."""
    from metronome import Metronome

    client = Metronome(bearer_token=api_token, base_url=live_server.url, max_retries=0)
    yield client
    client.close()


@pytest.fixture(scope="session")
def _browser() -> Iterator:
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls made by
    # fixtures alongside it are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        yield browser
        browser.close()


@pytest.fixture
def page(_browser, live_server):
    context = _browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def login(page):
    def _login(username: str, password: str = "password"):
        page.goto("/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/login/" not in url)
        return page

    return _login


@pytest.fixture(autouse=True)
def _debounce_windows_closed() -> Iterator[None]:
    """Each test starts with the ingest follow-up windows empty (billing_console/lib/debounce.py):
    keys or a timer left by one test (a patched Timer never fires) would hold back the next."""
    yield
    from alerts.hooks import ingest_debounce as alerts_window
    from invoicing.receivers import ingest_debounce as thresholds_window

    alerts_window.clear()
    thresholds_window.clear()
