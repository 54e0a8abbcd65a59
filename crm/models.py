"""Salesforce sync: one connection, one mapping per entity kind, one sync record per pushed
entity (the console's sync log).

A SyncRecord is keyed by what it pushes (`contract:<id>`, `lifecycle_event:<key>`): a change to
an entity already pushed re-opens its record, and the push reads the entity as it is then, so
retries and re-pushes send the latest state to the same Salesforce record (an upsert by
external id). Attempts back off like webhook deliveries (crm/salesforce/push.py).
"""

import uuid

from auditlog.registry import auditlog
from django.db import models
from django.db.models import Q


class EntityKind(models.TextChoices):
    CONTRACT = "contract", "Contract"
    COMMIT = "commit", "Commit or credit"
    INVOICE = "invoice", "Invoice"
    LIFECYCLE_EVENT = "lifecycle_event", "Lifecycle event"


class AuthMethod(models.TextChoices):
    PASSWORD = "password", "Username, password and security token"
    CLIENT_CREDENTIALS = "client_credentials", "OAuth client credentials (connected app)"


class SalesforceConnection(models.Model):
    """The one Salesforce org we push to. Secrets are Fernet tokens (billing_console.encryption)
    and are never shown back: the console only says whether one is set."""

    # https://<my-domain>.my.salesforce.com: logins and API calls go to this host.
    instance_url = models.URLField(max_length=300)
    auth_method = models.CharField(max_length=20, choices=AuthMethod.choices)
    username = models.CharField(max_length=200, blank=True)
    password_encrypted = models.TextField(blank=True)
    security_token_encrypted = models.TextField(blank=True)
    consumer_key = models.CharField(max_length=300, blank=True)
    consumer_secret_encrypted = models.TextField(blank=True)
    api_version = models.CharField(max_length=8, default="62.0")
    is_enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.instance_url


class SalesforceMapping(models.Model):
    """Which Salesforce object an entity kind is pushed to, and how its fields map."""

    kind = models.CharField(max_length=20, choices=EntityKind.choices, unique=True)
    sobject = models.CharField(max_length=80)  # API name, e.g. Metronome_Contract__c
    # The object's External ID field holding our id: upserts go to .../<sobject>/<field>/<id>.
    external_id_field = models.CharField(max_length=80)
    # Lookup field set to the customer's salesforce_account_id (blank: no Account link).
    account_field = models.CharField(max_length=80, blank=True)
    # {our source field: Salesforce field API name}; source fields: crm/salesforce/fields.py.
    field_map = models.JSONField(default=dict, blank=True)
    is_enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.sobject}"


class SyncStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    FAILED = "failed", "Failed, retrying"
    SUCCEEDED = "succeeded", "Synced"
    EXHAUSTED = "exhausted", "Gave up"


OPEN_STATUSES = (SyncStatus.PENDING, SyncStatus.FAILED)


class SyncRecord(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # "<kind>:<our id>": one record per pushed entity (or lifecycle event).
    key = models.CharField(max_length=300, unique=True)
    kind = models.CharField(max_length=20, choices=EntityKind.choices)
    object_pk = models.BigIntegerField()  # the entity's (or OutboundEvent's) primary key
    object_id = models.CharField(max_length=255)  # its public id: our external id in Salesforce
    label = models.CharField(max_length=300, blank=True)  # what finance reads in the log
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sobject = models.CharField(max_length=80, blank=True)  # where it went at the last attempt
    salesforce_id = models.CharField(max_length=18, blank=True)  # the record's Salesforce Id
    status = models.CharField(max_length=10, choices=SyncStatus.choices, default="pending")
    attempt_count = models.PositiveIntegerField(default=0)
    # attempt_count when the current retry schedule began: the cap counts from here.
    schedule_base = models.PositiveIntegerField(default=0)
    # Due time of the next attempt; pushed out by a lease while an attempt is in flight.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=1000, blank=True)
    requested_at = models.DateTimeField()  # the last change that asked for a push
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [
            # The sweep scans only open records by due time.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["pending", "failed"]),
                name="crm_sync_due",
            ),
            models.Index(fields=["status", "-requested_at"], name="crm_sync_status"),
        ]

    def __str__(self) -> str:
        return self.key


auditlog.register(
    SalesforceConnection,
    exclude_fields=["password_encrypted", "security_token_encrypted", "consumer_secret_encrypted"],
)
auditlog.register(SalesforceMapping)
