"""Error pages: the API answers JSON, the console its own pages, and nobody but a signed-in
console user ever sees a DEBUG page.

With DEBUG on (`make run`), Django answers a 404 with a page listing every URL pattern and an
uncaught error with a page showing settings and the request's environment, which under
runserver is the process environment (database and broker passwords). Those pages are for the
developer signed in to the console. Anonymous visitors (embeds, the login page) and API clients
(whose token user is no developer: the demo token is public) get what DEBUG off would give them.
"""

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.log import log_response
from django.views.debug import ExceptionReporter

API_PREFIXES = ("/v1/", "/v2/")
API_ROOTS = ("/v1", "/v2")  # the prefixes without their slash: still the API, never a page
SERVER_ERROR = "Internal server error. It has been logged."
BAD_REQUEST = "Bad request."


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIXES) or request.path in API_ROOTS


def _is_bad_request(exc_type: type[BaseException] | None) -> bool:
    """The exceptions Django answers with a 400 rather than a 500."""
    return exc_type is not None and issubclass(
        exc_type, (BadRequest, SuspiciousOperation, MultiPartParserError)
    )


def _is_developer(request: HttpRequest) -> bool:
    """A console user signed in with a session: the only audience of DEBUG pages."""
    if _is_api(request):
        return False
    try:
        user = getattr(request, "user", None)  # absent before AuthenticationMiddleware ran
        return bool(user is not None and user.is_authenticated)
    except Exception:  # the user could not be loaded (the database may be what failed)
        return False


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"message": f"No endpoint at {request.path}."}, status=404)
    return render(request, "404.html", status=404)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"message": BAD_REQUEST}, status=400)
    return HttpResponse(render_to_string("400.html"), status=400)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"message": SERVER_ERROR}, status=500)
    # No request context: the context processors may need the database that just failed.
    return HttpResponse(render_to_string("500.html"), status=500)


class PublicErrorsMiddleware:
    """With DEBUG on, serve non-developers the pages DEBUG off would: the plain 404 page (or the
    API's JSON 404) instead of the URL-pattern listing, for everyone, and the plain 400/500
    pages instead of tracebacks for a view's exception. With DEBUG off it does nothing: Django
    already calls the handlers of billing_console.urls."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        unresolved = getattr(request, "resolver_match", None) is None
        if settings.DEBUG and response.status_code == 404 and unresolved:
            return not_found(request)  # no URL matched: Django's page lists every pattern
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not settings.DEBUG:
            return None
        if isinstance(exception, Http404):
            return not_found(request, exception)  # the DEBUG page lists the URL patterns
        if isinstance(exception, PermissionDenied) or _is_developer(request):
            return None  # Django's 403 page (never a DEBUG page), or the developer's traceback
        if _is_bad_request(type(exception)):
            response = bad_request(request, exception)
            logger = logging.getLogger(f"django.security.{exception.__class__.__name__}")
        else:
            response = server_error(request)
            logger = logging.getLogger("django.request")
        log_response(
            "%s: %s", response.reason_phrase, request.path,
            response=response, request=request, exception=exception, logger=logger,
        )  # fmt: skip
        return response


class PublicExceptionReporter(ExceptionReporter):
    """The backstop for what PublicErrorsMiddleware cannot see: an exception raised by another
    middleware (a forged Host header's DisallowedHost, say) reaches Django's DEBUG 500/400 page,
    whose body this reporter writes. Non-developers get the plain page. With DEBUG off the
    reporter only writes error emails and logs, in full."""

    def _public(self) -> bool:
        return settings.DEBUG and self.request is not None and not _is_developer(self.request)

    def get_traceback_html(self) -> str:
        if not self._public():
            return super().get_traceback_html()
        return render_to_string("400.html" if _is_bad_request(self.exc_type) else "500.html")

    def get_traceback_text(self) -> str:
        if not self._public():
            return super().get_traceback_text()
        return BAD_REQUEST if _is_bad_request(self.exc_type) else SERVER_ERROR
