"""Which sites may frame embedded dashboards: the origins admins list in Settings → Embeds
(EmbedFrameOrigin rows) plus EMBED_FRAME_ANCESTORS from the environment (an initial or extra
value, "'self'" by default). They make the embed responses' CSP frame-ancestors."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction

from billing_console.api import ApplicationError
from billing_console.models import EmbedFrameOrigin

NOT_AN_ORIGIN = (
    "origin: must be an origin such as https://app.example.com or https://app.example.com:8443 "
    "(scheme, host and optional port; no path)."
)
ALREADY_LISTED = "origin: {origin} is already allowed."
# Plain http is a secure context only on the machine itself (a local test page).
LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")


def origin_normalize(text: str) -> str:
    """'https://App.Example.com:443/' -> 'https://app.example.com'; ApplicationError if `text`
    is not an https origin (or an http one on this machine)."""
    text = (text or "").strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ApplicationError(NOT_AN_ORIGIN, code="invalid_origin") from None
    host = (parts.hostname or "").lower()
    shown_host = f"[{host}]" if ":" in host else host
    local = shown_host in LOCAL_HOSTS
    if (
        not host
        or parts.scheme not in ("https", "http")
        or (parts.scheme == "http" and not local)
        or parts.username is not None
        or parts.password is not None
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or any(c in host for c in " *'\";,")
    ):
        raise ApplicationError(NOT_AN_ORIGIN, code="invalid_origin")
    default_port = 443 if parts.scheme == "https" else 80
    suffix = f":{port}" if port is not None and port != default_port else ""
    return f"{parts.scheme}://{shown_host}{suffix}"


@transaction.atomic
def frame_origin_add(*, origin: str, created_by: AbstractBaseUser | None) -> EmbedFrameOrigin:
    origin = origin_normalize(origin)
    if EmbedFrameOrigin.objects.filter(origin=origin).exists():
        raise ApplicationError(ALREADY_LISTED.format(origin=origin), code="conflict")
    try:
        with transaction.atomic():
            return EmbedFrameOrigin.objects.create(origin=origin, created_by=created_by)
    except IntegrityError:  # added at the same moment by someone else
        raise ApplicationError(ALREADY_LISTED.format(origin=origin), code="conflict") from None


@transaction.atomic
def frame_origin_remove(*, frame_origin: EmbedFrameOrigin) -> None:
    frame_origin.delete()


def frame_ancestors() -> list[str]:
    """The CSP frame-ancestors sources of embed responses: the environment's, then Settings'."""
    sources = list(settings.EMBED_FRAME_ANCESTORS)
    for origin in EmbedFrameOrigin.objects.values_list("origin", flat=True):
        if origin not in sources:
            sources.append(origin)
    return sources
