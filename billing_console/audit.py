"""Who did it: actor, IP address and user agent on every audit entry, console and API alike.

django-auditlog's own middleware only knows the session user, and DRF authenticates bearer
tokens later, inside the view. This middleware opens the auditlog context for the whole request
with a mutable dict; `audit_set_actor` fills in the actor once the API has authenticated.
"""

import uuid
from collections.abc import Callable

from auditlog.cid import correlation_id, get_cid, set_cid
from auditlog.context import auditlog_value, set_extra_data
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest, HttpResponse


def _remote_addr(request: HttpRequest) -> str | None:
    forwarded = request.headers.get("X-Forwarded-For")
    if forwarded:
        return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR")


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        set_cid(request)
        if get_cid() is None:  # every entry of one request shares a request id
            correlation_id.set(uuid.uuid4().hex)
        user = getattr(request, "user", None)
        actor = user if user is not None and user.is_authenticated else None
        context = {
            "actor": actor,
            "remote_addr": _remote_addr(request),
            "additional_data": {
                "user_agent": request.headers.get("User-Agent", "")[:500],
                "via": "console" if actor else "api",
            },
        }
        try:
            with set_extra_data(context_data=context):
                return self.get_response(request)
        finally:
            correlation_id.set(None)  # work done later in this thread is not this request's


def audit_set_actor(actor: AbstractBaseUser, **extra: str) -> None:
    """Attach the authenticated actor (e.g. an API token's service user) to this request's audit."""
    try:
        context = auditlog_value.get()
    except LookupError:
        return
    context["actor"] = actor
    context.setdefault("additional_data", {}).update(extra)
