"""Error pages with DEBUG on (`make run`): no URL-pattern listing for anyone, no traceback or
environment for anyone but a console user signed in; the API always answers JSON."""

import logging

import pytest
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest
from django.test import Client
from django.urls import path

from billing_console import urls as project_urls

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def _boom(request: HttpRequest):
    raise RuntimeError("kaboom in a view")


def _missing(request: HttpRequest):
    raise Http404("no such thing")


def _suspicious(request: HttpRequest):
    raise SuspiciousOperation("odd input")


urlpatterns = [
    path("boom/", _boom),
    path("missing/", _missing),
    path("suspicious/", _suspicious),
    path("v1/boom", _boom),
    *project_urls.urlpatterns,
]
handler400 = project_urls.handler400
handler404 = project_urls.handler404
handler500 = project_urls.handler500

DEBUG_PAGE_MARKS = (b"Traceback", b"kaboom", b"DJANGO_SETTINGS_MODULE", b"URLconf", b"urlpatterns")


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


@pytest.fixture
def anonymous() -> Client:
    return Client(raise_request_exception=False)


def _no_debug_page(content: bytes) -> bool:
    return not any(mark in content for mark in DEBUG_PAGE_MARKS)


def test_unknown_url_is_the_plain_404_page_for_everyone(debug, anonymous, alice):
    response = anonymous.get("/no-such-page/")
    assert response.status_code == 404 and b"Nothing lives at this address" in response.content
    assert _no_debug_page(response.content)
    anonymous.force_login(alice)
    response = anonymous.get("/no-such-page/")
    assert response.status_code == 404 and _no_debug_page(response.content)


def test_http404_from_a_view_is_the_plain_404_page(debug, anonymous):
    response = anonymous.get("/missing/")
    assert response.status_code == 404 and b"Nothing lives at this address" in response.content
    assert _no_debug_page(response.content)


def test_unknown_api_path_is_json_404(debug, anonymous):
    response = anonymous.get("/v2/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"message": "No endpoint at /v2/nothing-here."}


def test_anonymous_visitor_gets_the_plain_500_page_and_it_is_logged(debug, anonymous, caplog):
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = anonymous.get("/boom/")
    assert response.status_code == 500 and b"Something went wrong" in response.content
    assert _no_debug_page(response.content)
    assert any(r.exc_info and "kaboom in a view" in str(r.exc_info[1]) for r in caplog.records)


def test_api_error_is_json_even_for_an_authenticated_caller(debug, anonymous, alice):
    anonymous.force_login(alice)  # a token's service user is authenticated too
    response = anonymous.get("/v1/boom")
    assert response.status_code == 500
    assert response.json() == {"message": "Internal server error. It has been logged."}


def test_signed_in_console_user_still_gets_the_debug_page(debug, anonymous, alice):
    anonymous.force_login(alice)
    response = anonymous.get("/boom/", HTTP_ACCEPT="text/html")
    assert response.status_code == 500 and b"kaboom in a view" in response.content


def test_suspicious_request_is_a_plain_400(debug, anonymous):
    response = anonymous.get("/suspicious/")
    assert response.status_code == 400 and b"Bad request" in response.content
    assert _no_debug_page(response.content)


def test_forged_host_outside_any_view_shows_no_debug_page(debug, anonymous):
    # DisallowedHost is raised by CommonMiddleware, before any view: the reporter's backstop.
    for accept in ("text/html", "application/json"):
        response = anonymous.get("/login/", HTTP_HOST="attacker.example", HTTP_ACCEPT=accept)
        assert response.status_code == 400, accept
        assert _no_debug_page(response.content) and b"attacker.example" not in response.content


def test_with_debug_off_the_api_500_is_json_too(anonymous):
    response = anonymous.get("/v1/boom")
    assert response.status_code == 500 and response.json()["message"].startswith("Internal")
    response = anonymous.get("/boom/")
    assert response.status_code == 500 and b"Something went wrong" in response.content
