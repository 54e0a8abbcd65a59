"""The authorization matrix, enumerated from the URL conf so that a new route cannot slip past:
every API endpoint refuses a missing or revoked token; every console URL refuses anonymous
visitors; every console write refuses a read-only user. Routes that are public on purpose are
listed below with the reason, and a route may only be public by being listed."""

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.views import APIView

from billing_console.models import ApiToken
from billing_console.services import api_token_create, api_token_revoke

# Public on purpose: route name (or path prefix) -> why.
PUBLIC = {
    "login": "the sign-in page",
    "logout": "signing out needs no rights",
    "openapi-schema": "the API description is public, like Metronome's",
    "api-docs": "the API reference page renders the public schema",
    "embeds:dashboard": "embeds authenticate by their signed, expiring token (tested in embeds/)",
    "embeds:invoice-detail": "an embedded invoice, under the same token, scoped to its customer",
    "stripe-webhook": "Stripe authenticates by its signature (tested in invoicing/)",
    "payments:embed-pay": "the embed's Pay button, under the embed's token (tested in payments/)",
    "payments:embed-return": "back from Stripe to the embed, under the same token",
    "payments:checkout-return": "back from Stripe after paying a sent link: shows only that payment",
    "people-set-password": "an invited user's link: its one-time token authenticates (people/)",
}
SKIPPED_PREFIXES = {
    "admin/": "Django's admin has its own staff-only gate",
    "static/": "static files",
}
# Console POSTs a read-only user may make, and why.
READ_ONLY_WRITES = {
    "logout": "signing out",
    "login": "signing in",
    "people-set-password": "choosing one's password with a set-password link (people/)",
    "usage:metric-preview": "previews a draft metric over recent events; writes nothing",
    "profile": "one's own time zone, open to every role (billing_console/profile.py)",
}
METHODS = ("get", "post", "put", "patch", "delete")
SAMPLE = {"uuid": str(uuid.UUID(int=1)), "int": "1", "str": "x", "slug": "x", "path": "x"}


@dataclass(frozen=True)
class Route:
    path: str
    name: str
    view: object

    @property
    def api_view(self) -> type | None:
        cls = getattr(self.view, "cls", None) or getattr(self.view, "view_class", None)
        return cls if isinstance(cls, type) and issubclass(cls, APIView) else None

    def public_reason(self) -> str | None:
        return PUBLIC.get(self.name)


def _sample(route: str) -> str:
    def fill(match: re.Match) -> str:
        converter = match.group(1) or "str"
        return SAMPLE.get(converter, "x")

    return "/" + re.sub(r"<(?:(\w+):)?\w+>", fill, route)


def _walk(patterns, prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for entry in patterns:
        route = str(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + route, ns)
        elif isinstance(entry, URLPattern):
            yield Route(_sample(prefix + route), f"{namespace}{entry.name or ''}", entry.callback)


def routes() -> list[Route]:
    found = []
    for route in _walk(get_resolver().url_patterns):
        if any(route.path.startswith("/" + p) for p in SKIPPED_PREFIXES):
            continue
        if "^" in route.path or "(?P" in route.path:
            continue  # regex routes: only Django's own (admin, static)
        found.append(route)
    return found


def _allowed(route: Route) -> list[str]:
    cls = route.api_view
    return [m for m in METHODS if cls is not None and hasattr(cls, m)]


def test_the_matrix_sees_the_whole_api():
    api = [r for r in routes() if r.api_view and not r.public_reason()]
    paths = {r.path for r in api}
    assert "/v1/ingest" in paths and "/v2/contracts/edit" in paths
    assert len(api) > 80


@pytest.mark.django_db
def test_every_api_endpoint_refuses_a_missing_or_revoked_token():
    token, raw = api_token_create(name="revoked")
    api_token_revoke(token=ApiToken.objects.get(pk=token.pk))
    anonymous, revoked = Client(), Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    wrong = Client(HTTP_AUTHORIZATION="Bearer bc_not_a_real_token")
    failures = []
    for route in routes():
        if route.api_view is None or route.public_reason():
            continue
        for method in _allowed(route):
            for who, client in (("anonymous", anonymous), ("revoked", revoked), ("wrong", wrong)):
                if method == "get":
                    response = client.get(route.path)
                else:
                    response = getattr(client, method)(
                        route.path, data="{}", content_type="application/json"
                    )
                if response.status_code != 401:
                    failures.append(
                        f"{method.upper()} {route.path} as {who}: {response.status_code}"
                    )
    assert failures == []


@pytest.mark.django_db
def test_every_console_url_refuses_anonymous_visitors():
    client = Client()
    failures = []
    for route in routes():
        if route.api_view is not None or route.public_reason():
            continue
        for method in ("get", "post"):
            response = getattr(client, method)(route.path)
            redirected_to_login = response.status_code == 302 and response["Location"].startswith(
                "/login/"
            )
            if not (redirected_to_login or response.status_code in (401, 403, 405)):
                failures.append(f"{method.upper()} {route.path}: {response.status_code}")
    assert failures == []


@pytest.mark.django_db
def test_every_console_write_refuses_a_read_only_user(bob):
    client = Client()
    client.force_login(bob)
    failures = []
    for route in routes():
        if route.api_view is not None or route.public_reason():
            continue
        if route.name in READ_ONLY_WRITES:
            continue
        for method in ("post", "put", "patch", "delete"):
            response = getattr(client, method)(route.path)
            if response.status_code not in (403, 405):
                failures.append(
                    f"{method.upper()} {route.path} ({route.name}): {response.status_code}"
                )
    assert failures == []


@pytest.mark.django_db
def test_public_pages_refuse_a_forged_token():
    client = Client()
    for route in routes():
        if route.public_reason() and route.name.startswith("embeds:"):
            assert client.get(route.path).status_code == 403, route.path


def test_no_api_view_opts_out_of_authentication_unlisted():
    from rest_framework.permissions import AllowAny

    open_views = [
        r.path
        for r in routes()
        if r.api_view
        and not r.public_reason()
        and (
            AllowAny in getattr(r.api_view, "permission_classes", ())
            or not getattr(r.api_view, "authentication_classes", ())
        )
    ]
    assert open_views == []
