"""Outbound events and their delivery to webhook and Slack endpoints.

One OutboundEvent per producer key; one Delivery per event and endpoint (its public_id is the
Standard Webhooks `webhook-id`, stable across retries and redeliveries so receivers can dedupe);
one DeliveryAttempt per HTTP request actually made (append-only).
"""

import uuid

from auditlog.registry import auditlog
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q

from webhooks.redact import url_mask


class WebhookEndpointQuerySet(models.QuerySet):
    def active(self) -> "WebhookEndpointQuerySet":
        return self.filter(disabled_at__isnull=True)


class WebhookEndpoint(models.Model):
    KIND_WEBHOOK = "webhook"
    KIND_SLACK = "slack"
    KINDS = [(KIND_WEBHOOK, "Webhook (signed JSON)"), (KIND_SLACK, "Slack incoming webhook")]

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=10, choices=KINDS, default=KIND_WEBHOOK)
    # Standard Webhooks format: "whsec_" + base64 of 24 random bytes. Shown once, rotatable.
    secret = models.CharField(max_length=100)
    # Event types delivered here; an empty list means every event type. "prefix.*" matches a family.
    event_types = models.JSONField(default=list, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WebhookEndpointQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        # Also the audit log's object_repr, which everyone who reads the log sees.
        return self.description or self.url_masked

    @property
    def url_masked(self) -> str:
        """The URL as shown to everyone but admins: tokens and credentials masked."""
        return url_mask(self.url)

    @property
    def is_active(self) -> bool:
        return self.disabled_at is None

    def subscribes_to(self, event_type: str) -> bool:
        if not self.event_types:
            return True
        for pattern in self.event_types:
            if pattern == event_type:
                return True
            if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
                return True
        return False


class OutboundEvent(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The producer's idempotency key: publishing the same key again is a no-op.
    key = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100, db_index=True)
    payload = models.JSONField(encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.type} ({self.key})"


class Delivery(models.Model):
    PENDING = "pending"  # not attempted yet (or redelivery requested)
    FAILED = "failed"  # last attempt failed; another is scheduled at next_attempt_at
    SUCCEEDED = "succeeded"
    EXHAUSTED = "exhausted"  # max attempts reached without success; only a redeliver retries
    STATUSES = [(s, s) for s in (PENDING, FAILED, SUCCEEDED, EXHAUSTED)]
    OPEN = (PENDING, FAILED)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event = models.ForeignKey(OutboundEvent, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    status = models.CharField(max_length=10, choices=STATUSES, default=PENDING)
    attempt_count = models.PositiveIntegerField(default=0)
    # attempt_count when the current retry schedule began (0, or the count at the last redeliver):
    # the retry cap counts attempts from here.
    schedule_base = models.PositiveIntegerField(default=0)
    # When the next attempt is due. While an attempt is in flight this is pushed out by a lease,
    # so a worker that dies mid-request leaves the delivery due again once the lease runs out.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_response_code = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="delivery_event_endpoint")
        ]
        indexes = [
            # The sweep scans only open deliveries by due time (healthchecks alert_after index).
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["pending", "failed"]),
                name="delivery_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event.type} → {self.endpoint}"

    @property
    def webhook_id(self) -> str:
        return f"msg_{self.public_id.hex}"


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts")
    attempted_at = models.DateTimeField()
    response_code = models.PositiveIntegerField(null=True, blank=True)
    # First 1,000 characters (of at most 2 KB read); shown to admins only.
    response_body = models.CharField(max_length=1000, blank=True)
    error = models.CharField(max_length=1000, blank=True)  # transport error, if no response
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["attempted_at", "pk"]

    def __str__(self) -> str:
        return f"{self.delivery_id} at {self.attempted_at:%Y-%m-%d %H:%M:%S}"

    @property
    def ok(self) -> bool:
        return self.response_code is not None and 200 <= self.response_code < 300


# The URL may hold a credential (Slack's token, user:pass@, ?token=): the log keeps it masked.
auditlog.register(
    WebhookEndpoint,
    exclude_fields=["secret"],
    mask_fields=["url"],
    mask_callable="webhooks.redact.url_mask",
)
