"""Making embeddable dashboard URLs: one path for the API (/v1/dashboards/getEmbeddableUrl) and
the console's embed card, so both validate and sign alike."""

from dataclasses import replace
from typing import Any

from django.urls import reverse

from billing_console.embedding import EmbedGrant, embed_token_sign
from embeds.grants import embed_grant_from_wire


def embed_url_create(*, data: Any, lifetime: int | None = None) -> tuple[str, EmbedGrant]:
    """The dashboard's path (/embed/<token>/) for a getEmbeddableUrl body, and its grant.
    `lifetime` (seconds, console only): how long the URL works; None: EMBED_URL_MAX_AGE."""
    grant = replace(embed_grant_from_wire(data), lifetime=lifetime)
    return reverse("embeds:dashboard", args=[embed_token_sign(grant)]), grant
