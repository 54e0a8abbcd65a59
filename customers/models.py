import uuid

from auditlog.registry import auditlog
from django.db import models
from django.db.models import Q

from billing_console.encryption import SecretUnreadable, decrypt_secret, encrypt_secret
from billing_console.named_schedules import NamedScheduleSegment

NAME_MAX_LENGTH = 160  # Metronome truncates longer names


class CustomerQuerySet(models.QuerySet):
    def active(self) -> "CustomerQuerySet":
        return self.filter(archived_at__isnull=True)


class Customer(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    # Deprecated on Metronome's wire, kept for compatibility: the first alias given at creation.
    external_id = models.CharField(max_length=255, blank=True)
    custom_fields = models.JSONField(default=dict, blank=True)
    salesforce_account_id = models.CharField(max_length=255, blank=True)
    leave_stripe_invoices_in_draft = models.BooleanField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class IngestAlias(models.Model):
    """An id by which usage events may name the customer. Unique among active customers."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="aliases")
    alias = models.CharField(max_length=255)
    position = models.PositiveSmallIntegerField(default=0)  # order as given on the wire
    active = models.BooleanField(default=True)  # false once the customer is archived
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            # The ingest path resolves an alias to exactly one live customer.
            models.UniqueConstraint(
                fields=["alias"], condition=Q(active=True), name="ingest_alias_unique_active"
            )
        ]
        indexes = [models.Index(fields=["alias"], name="ingest_alias_lookup")]

    def __str__(self) -> str:
        return self.alias


class BillingProvider(models.TextChoices):
    """Where invoices go to be collected (the wire's billing_provider)."""

    STRIPE = "stripe"
    AWS_MARKETPLACE = "aws_marketplace"
    AZURE_MARKETPLACE = "azure_marketplace"
    GCP_MARKETPLACE = "gcp_marketplace"


class DeliveryMethod(models.TextChoices):
    DIRECT = "direct_to_billing_provider"
    AWS_SQS = "aws_sqs"
    TACKLE = "tackle"
    AWS_SNS = "aws_sns"


class ConfiguredBillingProviderQuerySet(models.QuerySet):
    def active(self) -> "ConfiguredBillingProviderQuerySet":
        return self.filter(archived_at__isnull=True)


class ConfiguredBillingProvider(models.Model):
    """An account-level billing provider of this installation: one Stripe account (an entity;
    there may be several) or one marketplace listing. `public_id` is the wire's
    delivery_method_id, which customer configurations name."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    billing_provider = models.CharField(max_length=24, choices=BillingProvider.choices)
    delivery_method = models.CharField(max_length=32, choices=DeliveryMethod.choices)
    name = models.CharField(max_length=200, blank=True)
    configuration = models.JSONField(default=dict, blank=True)  # settings; never secrets
    # Secrets stay out of `configuration` (which is listed on the wire) and out of the audit
    # log, and are encrypted at rest (billing_console.encryption): Stripe's secret API key and
    # webhook signing secret, Azure's client secret. Read and set them in plain through the
    # `secret_key` and `webhook_secret` properties. Each is a Fernet token (a 500-character
    # secret makes ~760), or empty when not set.
    secret_key_encrypted = models.TextField(blank=True)
    webhook_secret_encrypted = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    objects = ConfiguredBillingProviderQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.name or f"{self.get_billing_provider_display()} {self.public_id}"

    # Both raise SecretUnreadable when the key they were encrypted with is no longer configured.
    @property
    def secret_key(self) -> str:
        return decrypt_secret(self.secret_key_encrypted) if self.secret_key_encrypted else ""

    @secret_key.setter
    def secret_key(self, plain: str) -> None:
        self.secret_key_encrypted = encrypt_secret(plain) if plain else ""

    @property
    def webhook_secret(self) -> str:
        return (
            decrypt_secret(self.webhook_secret_encrypted) if self.webhook_secret_encrypted else ""
        )

    @webhook_secret.setter
    def webhook_secret(self, plain: str) -> None:
        self.webhook_secret_encrypted = encrypt_secret(plain) if plain else ""

    @property
    def has_secret_key(self) -> bool:
        return bool(self.secret_key_encrypted)  # without decrypting it

    @property
    def has_webhook_secret(self) -> bool:
        return bool(self.webhook_secret_encrypted)

    @property
    def webhook_secret_unreadable(self) -> bool:
        """Set, but no longer decryptable: every webhook is refused (403) until it is entered
        again (the providers page says so)."""
        if not self.webhook_secret_encrypted:
            return False
        try:
            self.webhook_secret  # noqa: B018 - decrypted to see whether it can be
        except SecretUnreadable:
            return True
        return False

    @property
    def masked_secret_key(self) -> str:
        """`sk_live_…abcd`: enough to recognise the key, never enough to use it."""
        try:
            key = self.secret_key
        except SecretUnreadable:
            return "unreadable: set it again"
        if not key:
            return ""
        prefix = key[: key.find("_", 3) + 1] if key.count("_") >= 2 else key[:3]
        return f"{prefix}…{key[-4:]}"


class CustomerBillingConfigurationQuerySet(models.QuerySet):
    def active(self) -> "CustomerBillingConfigurationQuerySet":
        return self.filter(archived_at__isnull=True)


class CustomerBillingProviderConfiguration(models.Model):
    """How one customer is billed through one configured provider: the Stripe customer id and
    collection method, or the marketplace ids. Contracts point at one of these; archiving it
    stops billing through it at once."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="billing_configurations"
    )
    provider = models.ForeignKey(
        ConfiguredBillingProvider, on_delete=models.PROTECT, related_name="customer_configurations"
    )
    billing_provider = models.CharField(max_length=24, choices=BillingProvider.choices)
    delivery_method = models.CharField(max_length=32, choices=DeliveryMethod.choices)
    configuration = models.JSONField(default=dict, blank=True)  # as validated, normalized
    tax_provider = models.CharField(max_length=16, blank=True)  # "stripe" = Stripe Tax
    # The customer's identity at the provider (Stripe customer id, AWS customer id, Azure
    # subscription id, GCP account id): one live customer per identity.
    external_id = models.CharField(max_length=255)
    # external_id plus what may legitimately differ between two live configurations of the
    # same identity (Stripe: the collection method).
    uniqueness_key = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    objects = CustomerBillingConfigurationQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            # Archiving frees the slot: the same ids can then be configured again (elsewhere).
            models.UniqueConstraint(
                fields=["provider", "uniqueness_key"],
                condition=Q(archived_at__isnull=True),
                name="billing_configuration_unique_active",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_billing_provider_display()} {self.external_id}"


class AvalaraEnvironment(models.TextChoices):
    PRODUCTION = "PRODUCTION"
    SANDBOX = "SANDBOX"


class AvalaraCredentials(models.Model):
    """The Avalara account a configured billing provider's invoices are taxed with
    (/v1/upsertAvalaraCredentials). The password is encrypted at rest
    (billing_console.encryption), never on the wire nor in the audit log; the tax provider reads
    it through customers.avalara.avalara_account_get."""

    provider = models.OneToOneField(
        ConfiguredBillingProvider, on_delete=models.CASCADE, related_name="avalara_credentials"
    )
    environment = models.CharField(max_length=16, choices=AvalaraEnvironment.choices)
    username = models.CharField(max_length=200)
    password_encrypted = models.TextField()  # a Fernet token
    commit_transactions = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Avalara {self.environment} for {self.provider}"


auditlog.register(Customer)
auditlog.register(IngestAlias)
auditlog.register(
    ConfiguredBillingProvider, exclude_fields=["secret_key_encrypted", "webhook_secret_encrypted"]
)
auditlog.register(CustomerBillingProviderConfiguration)
auditlog.register(AvalaraCredentials, exclude_fields=["password_encrypted"])


class CustomerNamedSchedule(NamedScheduleSegment):
    """One segment of a named schedule on a customer (billing_console.named_schedules)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="named_schedules")

    class Meta(NamedScheduleSegment.Meta):
        indexes = [
            models.Index(fields=["customer", "schedule_name"], name="customer_schedule_name")
        ]


auditlog.register(CustomerNamedSchedule)
