"""/v1/customers/{id}/billing-config/{type}: Metronome's plan-era endpoints, one configuration
per customer and provider type, kept on top of the customer billing configurations."""

from typing import Any

from django.db import transaction

from billing_console.api import ApplicationError
from billing_console.wire import Reader
from customers.billing_providers import (
    PROVIDERS,
    WIRE_ONLY_PROVIDERS,
    customer_billing_configuration_set,
    customer_billing_configurations_archive,
    same_configuration,
)
from customers.models import (
    BillingProvider,
    Customer,
    CustomerBillingProviderConfiguration,
    DeliveryMethod,
)
from customers.provider_configs import customer_config_read

IDENTITY_KEYS = ("stripe_customer_id", "azure_subscription_id", "gcp_account_id")
LEGACY_DELETE_UNSUPPORTED = (
    "billing_provider_type: deleting a {type} billing configuration is not supported."
)


def _legacy_configuration(provider_type: str, reader: Reader) -> dict[str, Any]:
    customer_id = reader.str("billing_provider_customer_id", required=True, max_length=255)
    if provider_type == BillingProvider.STRIPE:
        out: dict[str, Any] = {"stripe_customer_id": customer_id}
        if reader.has("stripe_collection_method"):
            out["stripe_collection_method"] = reader.raw("stripe_collection_method")
        return out
    if provider_type == BillingProvider.AWS_MARKETPLACE:
        out = {"aws_customer_id": reader.str("aws_customer_id") or customer_id}
        for key in (
            "aws_product_code",
            "aws_region",
            "aws_customer_account_id",
            "aws_is_subscription_product",  # customers.create's billing_config has it
        ):
            if reader.has(key):
                out[key] = reader.raw(key)
        return out
    if provider_type == BillingProvider.AZURE_MARKETPLACE:
        return {"azure_subscription_id": customer_id}  # Metronome: for Azure, the subscription id
    return {
        "gcp_account_id": customer_id,
        "gcp_entitlement_id": reader.str("gcp_entitlement_id", required=True),
    }


def legacy_provider_type(value: str) -> str:
    if value in WIRE_ONLY_PROVIDERS:
        raise ApplicationError(f"billing_provider_type: '{value}' is not supported by this server.")
    if value not in PROVIDERS:
        raise ApplicationError(f"billing_provider_type: must be one of {', '.join(PROVIDERS)}.")
    return value


@transaction.atomic
def customer_billing_config_replace(
    *, customer: Customer, provider_type: str, data: dict[str, Any]
) -> CustomerBillingProviderConfiguration:
    """POST billing-config/{type}: the customer's one configuration of this type. The same
    values again change nothing; different values archive the old one and set the new."""
    provider_type = legacy_provider_type(provider_type)
    reader = Reader(data)
    configuration = _legacy_configuration(provider_type, reader)
    item = {
        "billing_provider": provider_type,
        "configuration": configuration,
        "delivery_method": DeliveryMethod.DIRECT,
    }
    try:
        candidate = customer_config_read(provider_type, Reader(dict(configuration)))
    except ApplicationError as err:  # the identity arrives as billing_provider_customer_id
        field = err.message.split(":", 1)[0]
        if field in IDENTITY_KEYS:
            err.message = "billing_provider_customer_id" + err.message[len(field) :]
        raise
    current = list(customer.billing_configurations.active().filter(billing_provider=provider_type))
    for row in current:
        if (
            same_configuration(row.configuration, candidate.configuration)
            and row.delivery_method == DeliveryMethod.DIRECT
        ):
            return row
    customer_billing_configurations_archive(
        customer=customer, ids=[str(r.public_id) for r in current]
    )
    return customer_billing_configuration_set(customer=customer, data=item)


def customer_billing_config_current(
    *, customer: Customer, provider_type: str
) -> CustomerBillingProviderConfiguration:
    provider_type = legacy_provider_type(provider_type)
    row = customer.billing_configurations.active().filter(billing_provider=provider_type).last()
    if row is None:
        raise ApplicationError(
            f"billing_provider_type: the customer has no {provider_type} billing configuration.",
            "not_found",
        )
    return row


@transaction.atomic
def customer_billing_config_delete(*, customer: Customer, provider_type: str) -> None:
    provider_type = legacy_provider_type(provider_type)
    if provider_type in (BillingProvider.AWS_MARKETPLACE, BillingProvider.AZURE_MARKETPLACE):
        raise ApplicationError(LEGACY_DELETE_UNSUPPORTED.format(type=provider_type))
    current = customer.billing_configurations.active().filter(billing_provider=provider_type)
    customer_billing_configurations_archive(
        customer=customer, ids=[str(r.public_id) for r in current]
    )
