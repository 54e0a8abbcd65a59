"""Signed, expiring tokens of embeddable dashboards.

A token carries one customer, one dashboard and its display options, signed with Django's
TimestampSigner under its own salt (a token cannot be replayed as any other signed value of the
project) and refused after EMBED_URL_MAX_AGE seconds, or after the lifetime the console chose
for it (at most LONGEST_LIFETIME, carried in the signed payload). Whoever holds the URL sees that
customer's dashboard, nothing else: it is a bearer credential, so it is short-lived.
"""

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core import signing

SALT = "billing_console.embed.v1"
DASHBOARDS = ("invoices", "usage", "credits", "commits_and_credits")
LONGEST_LIFETIME = 30 * 24 * 3600  # seconds: the longest a console-made link may live


class EmbedTokenInvalid(Exception):
    """Tampered with, expired, or not a token at all."""


@dataclass(frozen=True)
class EmbedGrant:
    customer_id: str  # the customer's public id
    dashboard: str
    options: dict[str, str] = field(default_factory=dict)  # dashboard_options, key -> value
    colors: dict[str, str] = field(default_factory=dict)  # color_overrides, name -> #hex
    group_keys: list[dict[str, Any]] = field(default_factory=list)  # bm_group_key_overrides
    lifetime: int | None = None  # seconds the URL stays valid; None: EMBED_URL_MAX_AGE


def embed_token_sign(grant: EmbedGrant) -> str:
    payload = {
        "c": grant.customer_id, "d": grant.dashboard, "o": grant.options, "k": grant.colors,
        "g": grant.group_keys,
    }  # fmt: skip
    if grant.lifetime is not None:
        payload["x"] = grant.lifetime
    return signing.TimestampSigner(salt=SALT).sign_object(payload, compress=True)


def embed_token_read(token: str, *, max_age: int | None = None) -> EmbedGrant:
    max_age = settings.EMBED_URL_MAX_AGE if max_age is None else max_age
    signer = signing.TimestampSigner(salt=SALT)
    try:
        data = signer.unsign_object(token, max_age=max(max_age, LONGEST_LIFETIME))
        lifetime = data.get("x") if isinstance(data, dict) else None
        if lifetime is not None:  # its own lifetime, chosen when it was made
            if not isinstance(lifetime, int) or not 0 < lifetime <= LONGEST_LIFETIME:
                raise EmbedTokenInvalid("not an embed token")
            max_age = lifetime
        data = signer.unsign_object(token, max_age=max_age)
    except (signing.BadSignature, ValueError, TypeError) as err:  # SignatureExpired included
        raise EmbedTokenInvalid(str(err)) from err
    if not isinstance(data, dict) or data.get("d") not in DASHBOARDS:
        raise EmbedTokenInvalid("not an embed token")
    try:
        return EmbedGrant(
            customer_id=str(data["c"]),
            dashboard=data["d"],
            options=dict(data.get("o") or {}),
            colors=dict(data.get("k") or {}),
            group_keys=list(data.get("g") or []),
            lifetime=data.get("x"),
        )
    except (KeyError, TypeError, ValueError) as err:  # signed, but not shaped like a grant
        raise EmbedTokenInvalid("not an embed token") from err
