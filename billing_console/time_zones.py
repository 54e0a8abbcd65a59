"""Each console user's time zone (ConsolePreference's sibling, ConsoleProfile.time_zone; UTC
until they choose one): activated for the request, so `{{ x|when }}` writes timestamps in it.
Billing dates do not move with it (billing_console.lib.time_text). The API and embeds stay UTC.
"""

from collections.abc import Callable
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from billing_console.api import ApplicationError
from billing_console.models import ConsoleProfile

DEFAULT = "UTC"
# Cached in the session as (user pk, zone name) at sign-in: one query per session, not per
# page, and a page view never has to save the session for it.
SESSION_KEY = "console_time_zone"
UNKNOWN_ZONE = "time_zone: '{name}' is not a time zone name such as Europe/Berlin."


@cache
def zone_names() -> tuple[str, ...]:
    """The zoneinfo names people pick from ("Europe/Berlin"), UTC first."""
    names = sorted(n for n in available_timezones() if "/" in n and not n.startswith(("Etc/", "SystemV/")))  # fmt: skip
    return (DEFAULT, *names)


def user_time_zone(user: AbstractBaseUser) -> str:
    profile = ConsoleProfile.objects.filter(user=user).only("time_zone").first()
    return profile.time_zone if profile else DEFAULT


@transaction.atomic
def user_time_zone_set(*, user: AbstractBaseUser, time_zone: str) -> ConsoleProfile:
    if time_zone not in zone_names():
        raise ApplicationError(UNKNOWN_ZONE.format(name=time_zone), code="invalid_time_zone")
    profile, _ = ConsoleProfile.objects.select_for_update().get_or_create(user=user)
    if profile.time_zone != time_zone:
        profile.time_zone = time_zone
        profile.save(update_fields=["time_zone"])
    return profile


def remember_time_zone(
    request: HttpRequest, name: str, user: AbstractBaseUser | None = None
) -> None:
    request.session[SESSION_KEY] = [(user or request.user).pk, name]


def time_zone_on_login(
    sender: Any, request: HttpRequest | None, user: AbstractBaseUser, **kwargs: Any
) -> None:
    if request is not None and hasattr(request, "session"):
        remember_time_zone(request, user_time_zone(user), user)


def _zone_of(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not hasattr(request, "session"):
        return DEFAULT
    cached = request.session.get(SESSION_KEY)
    if isinstance(cached, list) and len(cached) == 2 and cached[0] == user.pk:
        return str(cached[1])
    name = user_time_zone(user)
    remember_time_zone(request, name)
    return name


class UserTimeZoneMiddleware:
    """After AuthenticationMiddleware: the signed-in user's zone for this request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        name = _zone_of(request)
        try:
            timezone.activate(ZoneInfo(name))
        except (KeyError, ValueError):  # a zone removed from the tz database since it was saved
            timezone.activate(ZoneInfo(DEFAULT))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
