"""What an htmx request gets when it cannot get its fragment (static/js/htmx-errors.js shows it).

- Signed out (the session expired, or the user signed out in another tab): login_required's
  redirect to the sign-in page would be followed by the browser and the sign-in page swapped
  into the card, the typed input lost. An htmx request gets a 401 instead, which swaps nothing
  and says where to sign in again (X-Sign-In-Url, back to the page the form is on).
- Any error status but 422 (a form re-rendered with its errors) swaps nothing (HX-Reswap).
- A 403 says the user's roles (X-Console-Role), a CSRF failure says so (X-Console-Reason).
- A change made by an htmx request is one transaction with its response: a server error
  anywhere in it (a service, or rendering the updated fragment) rolls every write back, so
  "nothing was changed" is true when the console says it.
"""

from collections.abc import Callable
from urllib.parse import parse_qs, urlencode, urlsplit

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.views import csrf

from billing_console.roles import user_roles

SIGNED_OUT = "You were signed out. Sign in again, then save again."
SIGN_IN_URL_HEADER = "X-Sign-In-Url"
ROLE_HEADER = "X-Console-Role"
REASON_HEADER = "X-Console-Reason"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")
ROLE_LABELS = {"admin": "admin", "finance": "finance", "deal_desk": "deal desk",
               "read_only": "read-only"}  # fmt: skip


def is_sign_in_redirect(response: HttpResponse) -> bool:
    """login_required's answer: a redirect to the sign-in page with ?next= (the sign-out
    view's redirect there has no next)."""
    if response.status_code not in (301, 302, 303, 307, 308) or not response.has_header("Location"):
        return False
    location = urlsplit(response["Location"])
    login = urlsplit(resolve_url(settings.LOGIN_URL))
    return location.path == login.path and "next" in parse_qs(location.query)


def sign_in_url(request: HttpRequest) -> str:
    """The sign-in page, coming back to the page the htmx request was made from."""
    login = resolve_url(settings.LOGIN_URL)
    page = request.htmx.current_url_abs_path  # type: ignore[attr-defined]
    return f"{login}?{urlencode({'next': page})}" if page else login


def signed_out(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(SIGNED_OUT, status=401, content_type="text/plain; charset=utf-8")
    response[SIGN_IN_URL_HEADER] = sign_in_url(request)
    return response


def roles_text(request: HttpRequest) -> str:
    roles = sorted(ROLE_LABELS.get(role, role) for role in user_roles(request.user))
    return ", ".join(roles) or "no role"


class HtmxErrorsMiddleware:
    """After django_htmx's HtmxMiddleware (it reads request.htmx)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.htmx:  # type: ignore[attr-defined]
            return self.get_response(request)
        if request.method in SAFE_METHODS:
            response = self.get_response(request)
        else:
            with transaction.atomic():
                # A view's exception is a 500 response by now (Django converts it inside).
                response = self.get_response(request)
                if response.status_code >= 500:
                    transaction.set_rollback(True)
        if is_sign_in_redirect(response):
            response = signed_out(request)
        if response.status_code == 403 and not response.has_header(REASON_HEADER):
            response[ROLE_HEADER] = roles_text(request)
        if response.status_code >= 400 and response.status_code != 422:
            response["HX-Reswap"] = "none"
        return response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Django's CSRF failure page, marked so the console tells it from a role's 403."""
    response = csrf.csrf_failure(request, reason=reason)
    response[REASON_HEADER] = "csrf"
    return response
