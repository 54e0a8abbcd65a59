"""Failed sign-ins (django-axes): who is locked out and until when, the lockout page, unlock.

axes counts failures per user name and address pair (AXES_LOCKOUT_PARAMETERS) in AccessAttempt
rows, one per browser (user agent), and lists each failure in AccessFailureLog. A pair is locked
while its failures within the cool-off reach AXES_FAILURE_LIMIT; each failure moves its row's
`attempt_time`, so the lock ends a cool-off after the latest.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessAttempt, AccessFailureLog
from axes.utils import reset
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import User
from django.db.models import Max, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

FAILURES_SHOWN = 50
FAILURES_KEPT = timedelta(days=90)


@dataclass(frozen=True)
class Lock:
    username: str
    ip_address: str | None
    failures: int
    until: datetime
    user: User | None  # None: no user has that name


@dataclass(frozen=True)
class Failure:
    username: str
    ip_address: str | None
    at: datetime
    locked_out: bool
    user: User | None


def _cool_off() -> timedelta:
    return get_cool_off() or timedelta(0)


def locks_current(now: datetime | None = None) -> list[Lock]:
    """Every user name and address pair locked out now, the latest first."""
    now = now or timezone.now()
    limit = get_failure_limit(None, None)
    pairs = (
        AccessAttempt.objects.filter(attempt_time__gt=now - _cool_off())
        .values("username", "ip_address")
        .annotate(failures=Sum("failures_since_start"), latest=Max("attempt_time"))
        .filter(failures__gte=limit)
        .order_by("-latest")
    )
    users = _users([pair["username"] for pair in pairs])
    return [
        Lock(p["username"] or "", p["ip_address"], p["failures"], p["latest"] + _cool_off(),
             users.get((p["username"] or "").lower()))
        for p in pairs
    ]  # fmt: skip


def locked_until(username: str | None, ip_address: str | None) -> datetime | None:
    for lock in locks_current():
        if lock.username == (username or "") and lock.ip_address == ip_address:
            return lock.until
    return None


def failures_recent(limit: int = FAILURES_SHOWN) -> list[Failure]:
    """The latest failed sign-ins, with the user each named (if any)."""
    rows = list(AccessFailureLog.objects.order_by("-attempt_time", "-pk")[:limit])
    users = _users([row.username for row in rows])
    return [
        Failure(row.username or "", row.ip_address, row.attempt_time, row.locked_out,
                users.get((row.username or "").lower()))
        for row in rows
    ]  # fmt: skip


def _users(usernames: list[str | None]) -> dict[str, User]:
    wanted = {name.lower() for name in usernames if name}
    if not wanted:
        return {}
    found = User.objects.filter(username__in={name for name in usernames if name})
    return {user.username.lower(): user for user in found if user.username.lower() in wanted}


def signin_unlock(*, username: str, ip_address: str | None) -> int:
    """Clear the failures of one user name and address pair; how many rows went."""
    return reset(ip=ip_address, username=username) if ip_address else reset(username=username)


def failures_prune(now: datetime | None = None) -> int:
    """Forget failures older than FAILURES_KEPT (axes caps them per user name only)."""
    cutoff = (now or timezone.now()) - FAILURES_KEPT
    deleted, _ = AccessFailureLog.objects.filter(attempt_time__lt=cutoff).delete()
    return deleted


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the sign-in page again, saying when to try again (429)."""
    username = get_client_username(request, credentials) or ""
    until = locked_until(username, getattr(request, "axes_ip_address", None))
    until = until or timezone.now() + _cool_off()
    context = {
        "form": AuthenticationForm(request, initial={"username": username}),
        "next": request.POST.get("next", "") if request.method == "POST" else "",
        "locked_until": until,
        "locked_minutes": max(1, round((until - timezone.now()).total_seconds() / 60)),
        "failure_limit": get_failure_limit(request, credentials),
    }
    return render(request, "registration/login.html", context, status=429)
