import hashlib
import secrets
import uuid

from auditlog.registry import auditlog
from django.conf import settings
from django.db import models

TOKEN_PREFIX = "bc_"


def hash_token(raw: str) -> str:
    # Tokens carry 256 bits of randomness, so a fast hash is enough (no password stretching).
    return hashlib.sha256(raw.encode()).hexdigest()


def new_raw_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


class ApiToken(models.Model):
    """A bearer token for the REST API. Only its hash is stored; the raw token is shown once.

    Each token acts through its own service user, so audit entries name the token as actor.
    A read-only token may only read (billing_console.token_scopes); the ingest front checks
    the flag in its own statement (usage.ingest, the guarded ingest statement).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    display_prefix = models.CharField(max_length=12)  # first characters, to recognise a token
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_token"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Set at creation, never changed: a client holding the token relies on what it may do.
    read_only = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"API token {self.name}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class CustomFieldKey(models.Model):
    """A custom field key allowed on one entity type (Metronome's custom field allowlist)."""

    entity = models.CharField(max_length=40)
    key = models.CharField(max_length=200)
    enforce_uniqueness = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["entity", "key"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "key"], name="custom_field_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.entity}.{self.key}"


class CustomFieldValues(models.Model):
    """Custom field values of an entity whose own row has no `custom_fields` column (an alert,
    an invoice: a finalized invoice stays immutable, its custom fields are metadata beside it).
    `entity_id` is the entity's public_id; the row goes when its values are all deleted."""

    entity = models.CharField(max_length=40)
    entity_id = models.UUIDField()
    values = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["entity", "entity_id"], name="custom_field_values_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.entity} {self.entity_id}"


class ConsolePreference(models.Model):
    """Saved console preferences per user and page (e.g. the last filters of a list)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    page = models.CharField(max_length=60)
    value = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "page"], name="console_preference_unique")
        ]


class ConsoleProfile(models.Model):
    """A console user's own settings: the time zone timestamps are shown in (an IANA name).
    Billing dates (periods, contract and rate dates) are not shifted by it: they are UTC dates."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="console_profile"
    )
    time_zone = models.CharField(max_length=64, default="UTC")  # a zoneinfo key


class EmbedFrameOrigin(models.Model):
    """An origin (https://host[:port]) allowed to frame embedded dashboards, set in Settings;
    EMBED_FRAME_ANCESTORS (env) adds to these (embeds.origins.frame_ancestors)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    origin = models.CharField(max_length=300, unique=True)  # normalized: scheme://host[:port]
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["origin"]

    def __str__(self) -> str:
        return f"Embed origin {self.origin}"


class WorkerHeartbeat(models.Model):
    """One row, touched by the periodic schedule: the console shows whether background work runs."""

    name = models.CharField(max_length=40, unique=True)
    last_seen_at = models.DateTimeField()
    hostname = models.CharField(max_length=200, blank=True)


auditlog.register(ApiToken, exclude_fields=["last_used_at", "token_hash"])
auditlog.register(CustomFieldKey)
auditlog.register(CustomFieldValues)
auditlog.register(EmbedFrameOrigin)
