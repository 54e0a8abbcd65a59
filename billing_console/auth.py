"""Bearer-token authentication for the API (Authorization: Bearer <token>)."""

from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from billing_console.audit import audit_set_actor
from billing_console.models import ApiToken, hash_token
from billing_console.token_scopes import READ_ONLY_TOKEN_REFUSED, read_only_may_call

# Record last use at most this often: a write per request would sit on the ingest hot path.
LAST_USED_RESOLUTION = timedelta(minutes=5)


# The token and its service user in one raw query: every API request (ingest above all) runs it,
# and compiling the equivalent ORM query costs three times as long as running it.
_TOKEN_SQL = """
SELECT u.*, t.id AS token_pk, t.name AS token_name, t.last_used_at AS token_last_used_at,
       t.read_only AS token_read_only
FROM {users} u JOIN {tokens} t ON t.user_id = u.{user_pk}
WHERE t.token_hash = %s AND t.revoked_at IS NULL
"""


def _active_token(token_hash: str) -> ApiToken | None:
    User = get_user_model()
    sql = _TOKEN_SQL.format(
        users=User._meta.db_table, tokens=ApiToken._meta.db_table, user_pk=User._meta.pk.column
    )
    for user in User.objects.raw(sql, [token_hash]):
        return ApiToken(
            pk=user.token_pk, name=user.token_name, user=user, token_hash=token_hash,
            last_used_at=_aware(user.token_last_used_at), read_only=bool(user.token_read_only),
        )  # fmt: skip
    return None


def _aware(value: datetime | str | None) -> datetime | None:
    """A raw column read as the ORM would (SQLite returns text or naive UTC datetimes)."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)
    return value


def bearer_token(header: str) -> str | None:
    """The token of an 'Authorization: Bearer <token>' header; None for any other header."""
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return None
    return raw.strip()


def record_token_use(token_pk: int, last_used_at: datetime | None) -> None:
    """Note the token's use, at most once per LAST_USED_RESOLUTION."""
    now = timezone.now()
    if last_used_at is None or now - last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token_pk).update(last_used_at=now)


def _check_read_only_scope(request: Request) -> None:
    """Refuse a read-only token a call that writes (billing_console.token_scopes), before the
    view runs and before anything is recorded."""
    match = request._request.resolver_match
    route = match.route if match is not None else None
    if not read_only_may_call(request.method, route):
        raise exceptions.PermissionDenied(
            READ_ONLY_TOKEN_REFUSED.format(method=request.method, path=request.path)
        )


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple | None:
        header = authentication.get_authorization_header(request).decode(errors="replace")
        if not header:
            return None
        raw = bearer_token(header)
        if raw is None:
            raise exceptions.AuthenticationFailed("Authorization header must be 'Bearer <token>'.")
        token = _active_token(hash_token(raw))
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked API token.")
        if token.read_only:
            _check_read_only_scope(request)
        record_token_use(token.pk, token.last_used_at)
        audit_set_actor(token.user, via="api", api_token=token.name)
        return (token.user, token)

    def authenticate_header(self, request: Request) -> str:
        return self.keyword
