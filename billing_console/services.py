"""Writes owned by the platform itself: API tokens."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from billing_console.api import ApplicationError
from billing_console.models import ApiToken, hash_token, new_raw_token

TOKEN_NAME_REQUIRED = "name: a token needs a name."


@transaction.atomic
def api_token_create(
    *, name: str, created_by: AbstractBaseUser | None = None, read_only: bool = False
) -> tuple[ApiToken, str]:
    """Create a token; returns it with the raw secret, which is never stored or shown again.
    A `read_only` token may only read (billing_console.token_scopes)."""
    name = name.strip()
    if not name:
        raise ApplicationError(TOKEN_NAME_REQUIRED)
    raw = new_raw_token()
    user_model = get_user_model()
    service_user = user_model(username=f"api-token-{ApiToken.objects.count() + 1}-{raw[3:11]}")
    service_user.first_name = f"API token: {name}"[:150]
    service_user.set_unusable_password()
    service_user.save()
    token = ApiToken(
        name=name,
        token_hash=hash_token(raw),
        display_prefix=raw[:10],
        user=service_user,
        created_by=created_by,
        read_only=read_only,
    )
    token.full_clean()
    token.save()
    return token, raw


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token
