"""Billing providers: the installation's configured providers (Stripe accounts, marketplace
listings) and each customer's configurations with them.

Natural idempotency (style guide §8): setting up or setting a configuration identical to a
live one returns that one; archiving is immediate and frees the ids to be configured again.
"""

import json
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from billing_console.api import ApplicationError
from billing_console.encryption import SecretUnreadable
from billing_console.wire import Reader
from customers.models import (
    BillingProvider,
    ConfiguredBillingProvider,
    Customer,
    CustomerBillingProviderConfiguration,
    DeliveryMethod,
)
from customers.provider_configs import (
    DELIVERY_METHODS,
    TAX_PROVIDERS,
    account_config_read,
    customer_config_read,
)

PROVIDERS = tuple(BillingProvider.values)
WIRE_ONLY_PROVIDERS = ("netsuite", "custom", "quickbooks_online", "workday", "metronome")
IN_USE_ELSEWHERE = (
    "{path}configuration: {provider} customer '{external_id}' is already configured for another "
    "customer; archive that configuration first."
)
DIFFERENT_SETTINGS = (
    "{path}configuration: this customer already has a live {provider} configuration for "
    "'{external_id}' with different settings; archive it first."
)
STORED_SECRET_UNREADABLE = (
    "{field}: the stored one can no longer be decrypted (SECRETS_ENCRYPTION_KEYS changed); "
    "enter it again."
)
PROVIDER_IN_USE = "delivery_method_id: {count} live customer configuration(s) use this provider."


def same_configuration(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _provider_choice(reader: Reader, key: str) -> str:
    value = reader.str(key, required=True, max_length=40)
    if value in WIRE_ONLY_PROVIDERS:
        raise reader.fail(key, f"'{value}' is not supported by this server.")
    if value not in PROVIDERS:
        raise reader.fail(key, f"must be one of {', '.join(PROVIDERS)}.")
    return value


# --- configured (account-level) providers ----------------------------------------------


def _same_secrets(
    existing: ConfiguredBillingProvider, secret_key: str, webhook_secret: str
) -> bool:
    """Compares the plain secrets (the stored Fernet tokens differ at every encryption); one
    that can no longer be decrypted is not the same."""
    try:
        return existing.secret_key == secret_key and existing.webhook_secret == webhook_secret
    except SecretUnreadable:
        return False


@transaction.atomic
def billing_provider_set_up(*, data: dict[str, Any]) -> ConfiguredBillingProvider:
    """/v1/setUpBillingProvider (and the console's Stripe entity form)."""
    reader = Reader(data)
    provider = _provider_choice(reader, "billing_provider")
    allowed = tuple(m.value for m in DELIVERY_METHODS[BillingProvider(provider)])
    method = reader.choice("delivery_method", allowed, required=True)
    config_reader = reader.child("configuration", required=True)
    config = account_config_read(provider, method, config_reader)  # type: ignore[arg-type]
    for existing in ConfiguredBillingProvider.objects.active().filter(
        billing_provider=provider, delivery_method=method
    ):
        if (
            same_configuration(existing.configuration, config.configuration)
            and existing.name == config.name
            and _same_secrets(existing, config.secret_key, config.webhook_secret)
        ):
            return existing  # the same set-up again (a retried request): not a second entity
    row = ConfiguredBillingProvider(
        billing_provider=provider,
        delivery_method=method,
        name=config.name,
        configuration=config.configuration,
        secret_key=config.secret_key,
        webhook_secret=config.webhook_secret,
    )
    row.full_clean()
    row.save()
    return row


def _stored(provider: ConfiguredBillingProvider, field: str) -> str:
    try:
        return str(getattr(provider, field))
    except SecretUnreadable as err:
        raise ApplicationError(STORED_SECRET_UNREADABLE.format(field=field)) from err


@transaction.atomic
def billing_provider_update(
    *,
    provider: ConfiguredBillingProvider,
    name: str,
    secret_key: str = "",
    webhook_secret: str = "",
    effective_at_end_of_period: bool | None = None,
) -> ConfiguredBillingProvider:
    """Console edit of a Stripe entity: blank secrets keep the stored ones."""
    secret_key = secret_key or _stored(provider, "secret_key")
    webhook_secret = webhook_secret or _stored(provider, "webhook_secret")
    data: dict[str, Any] = {"name": name, "stripe_secret_key": secret_key}
    if webhook_secret:
        data["stripe_webhook_secret"] = webhook_secret
    if effective_at_end_of_period is not None:
        data["effective_at_end_of_period"] = effective_at_end_of_period
    config = account_config_read(provider.billing_provider, provider.delivery_method, Reader(data))
    provider.name = config.name
    provider.secret_key = config.secret_key
    provider.webhook_secret = config.webhook_secret
    provider.configuration = config.configuration
    provider.save(
        update_fields=[
            "name",
            "secret_key_encrypted",
            "webhook_secret_encrypted",
            "configuration",
            "updated_at",
        ]
    )
    return provider


@transaction.atomic
def billing_provider_archive(*, provider: ConfiguredBillingProvider) -> ConfiguredBillingProvider:
    """Refused while live customer configurations use it: archive those first."""
    count = provider.customer_configurations.active().count()
    if count:
        raise ApplicationError(PROVIDER_IN_USE.format(count=count), "conflict")
    if provider.archived_at is None:
        provider.archived_at = timezone.now()
        provider.save(update_fields=["archived_at", "updated_at"])
    return provider


def billing_provider_list(*, include_archived: bool = False) -> QuerySet[ConfiguredBillingProvider]:
    qs = ConfiguredBillingProvider.objects.all()
    return qs if include_archived else qs.active()


def billing_provider_get(
    public_id: Any, field: str = "delivery_method_id"
) -> ConfiguredBillingProvider:
    from billing_console.api import get_by_public_id

    return get_by_public_id(
        ConfiguredBillingProvider.objects.active(), public_id, "configured billing provider", field
    )


# --- customer configurations ---------------------------------------------------------------


def _resolve_provider(reader: Reader, billing_provider: str) -> ConfiguredBillingProvider:
    live = ConfiguredBillingProvider.objects.active().filter(billing_provider=billing_provider)
    if reader.has("delivery_method_id"):
        provider = billing_provider_get(
            reader.str("delivery_method_id"), reader._name("delivery_method_id")
        )
        if provider.billing_provider != billing_provider:
            raise reader.fail(
                "delivery_method_id",
                f"is a {provider.billing_provider} provider, not {billing_provider}.",
            )
        return provider
    method = reader.choice("delivery_method", tuple(DeliveryMethod.values))
    if not method:
        raise reader.fail("delivery_method", "is required when delivery_method_id is not given.")
    candidates = list(live.filter(delivery_method=method)[:2])
    if not candidates:
        raise reader.fail(
            "delivery_method",
            f"no {billing_provider} provider with delivery method {method} is set up "
            "(/v1/setUpBillingProvider, or Settings → Billing providers).",
        )
    if len(candidates) > 1:
        raise reader.fail(
            "delivery_method_id",
            f"several {billing_provider} providers are set up; name one with delivery_method_id.",
        )
    return candidates[0]


def customer_billing_configuration_set(
    *, customer: Customer, data: dict[str, Any], path: str = ""
) -> CustomerBillingProviderConfiguration:
    """One configuration (one item of /v1/setCustomerBillingProviderConfigurations' data)."""
    reader = Reader(data, path)
    billing_provider = _provider_choice(reader, "billing_provider")
    config = customer_config_read(
        billing_provider, Reader(reader.raw("configuration", {}), reader._name("configuration"))
    )
    tax_provider = reader.choice("tax_provider", TAX_PROVIDERS)
    if tax_provider and billing_provider != BillingProvider.STRIPE:
        raise reader.fail("tax_provider", "is only supported for stripe configurations.")
    provider = _resolve_provider(reader, billing_provider)
    prefix = f"{path}." if path else ""
    if customer.is_archived:
        raise ApplicationError(f"{prefix}customer_id: the customer is archived.", "conflict")
    live = CustomerBillingProviderConfiguration.objects.active().filter(provider=provider)
    other = live.filter(external_id=config.external_id).exclude(customer=customer).first()
    if other is not None:
        raise ApplicationError(
            IN_USE_ELSEWHERE.format(
                path=prefix, provider=billing_provider, external_id=config.external_id
            ),
            "conflict",
        )
    existing = live.filter(customer=customer, uniqueness_key=config.uniqueness_key).first()
    if existing is not None:
        if (
            same_configuration(existing.configuration, config.configuration)
            and existing.tax_provider == tax_provider
        ):
            return existing  # identical: not an error, the same configuration
        raise ApplicationError(
            DIFFERENT_SETTINGS.format(
                path=prefix, provider=billing_provider, external_id=config.external_id
            ),
            "conflict",
        )
    try:
        with transaction.atomic():  # savepoint: a concurrent identical set
            return CustomerBillingProviderConfiguration.objects.create(
                customer=customer,
                provider=provider,
                billing_provider=billing_provider,
                delivery_method=provider.delivery_method,
                configuration=config.configuration,
                tax_provider=tax_provider,
                external_id=config.external_id,
                uniqueness_key=config.uniqueness_key,
            )
    except IntegrityError:
        existing = live.filter(customer=customer, uniqueness_key=config.uniqueness_key).first()
        if existing is not None and same_configuration(
            existing.configuration, config.configuration
        ):
            return existing
        raise ApplicationError(
            IN_USE_ELSEWHERE.format(
                path=prefix, provider=billing_provider, external_id=config.external_id
            ),
            "conflict",
        ) from None


@transaction.atomic
def customer_billing_configurations_set(
    *, items: list[dict[str, Any]], customers: dict[str, Customer]
) -> list[CustomerBillingProviderConfiguration]:
    """All items or none (one transaction). `customers` maps each item's customer_id."""
    return [
        customer_billing_configuration_set(
            customer=customers[str(item["customer_id"])], data=item, path=f"data[{index}]"
        )
        for index, item in enumerate(items)
    ]


@transaction.atomic
def customer_billing_configurations_archive(
    *, customer: Customer, ids: Iterable[str]
) -> list[CustomerBillingProviderConfiguration]:
    """Archive at once: nothing is billed through them from now on, and their ids can be
    configured again. One unknown id archives nothing."""
    rows = []
    for index, public_id in enumerate(ids):
        row = (
            CustomerBillingProviderConfiguration.objects.select_for_update()
            .filter(customer=customer, public_id=_uuid_or_none(public_id))
            .first()
        )
        if row is None:
            raise ApplicationError(
                f"customer_billing_provider_configuration_ids[{index}]: no configuration "
                f"'{public_id}' for this customer.",
                "not_found",
            )
        if row.archived_at is None:
            row.archived_at = timezone.now()
            row.save(update_fields=["archived_at"])
        rows.append(row)
    return rows


def customer_billing_configuration_list(
    *, customer: Customer, include_archived: bool = False
) -> QuerySet[CustomerBillingProviderConfiguration]:
    qs = customer.billing_configurations.select_related("provider", "customer")
    return qs if include_archived else qs.active()


def customer_billing_configuration_get(
    *, customer: Customer, public_id: Any, field: str = "billing_provider_configuration_id"
) -> CustomerBillingProviderConfiguration:
    row = (
        customer_billing_configuration_list(customer=customer, include_archived=True)
        .filter(public_id=_uuid_or_none(public_id))
        .first()
    )
    if row is None:
        raise ApplicationError(
            f"{field}: no configuration '{public_id}' for this customer.", "not_found"
        )
    return row


def _uuid_or_none(value: Any) -> str | None:
    import uuid

    try:
        return str(uuid.UUID(str(value)))
    except (ValueError, TypeError):
        return None
