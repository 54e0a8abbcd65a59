"""Billing providers and customer billing configurations on the wire (the SDK's
settings.billing_providers and customers.*_billing_configurations shapes); contracts embed
configuration_to_wire as customer_billing_provider_configuration."""

from typing import Any

from customers.models import (
    BillingProvider,
    ConfiguredBillingProvider,
    CustomerBillingProviderConfiguration,
)


def _iso(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def provider_to_wire(provider: ConfiguredBillingProvider) -> dict[str, Any]:
    """Secrets are never listed (the SDK: 'some configuration may be omitted for security')."""
    config = dict(provider.configuration)
    if provider.name:
        config["name"] = provider.name
    return {
        "billing_provider": provider.billing_provider,
        "delivery_method": provider.delivery_method,
        "delivery_method_configuration": config,
        "delivery_method_id": str(provider.public_id),
    }


def configuration_to_wire(row: CustomerBillingProviderConfiguration) -> dict[str, Any]:
    data = {
        "id": str(row.public_id),
        "archived_at": _iso(row.archived_at),
        "billing_provider": row.billing_provider,
        "configuration": row.configuration,
        "customer_id": str(row.customer.public_id),
        "delivery_method": row.delivery_method,
        "delivery_method_configuration": provider_to_wire(row.provider)[
            "delivery_method_configuration"
        ],
        "delivery_method_id": str(row.provider.public_id),
    }
    if row.tax_provider:
        data["tax_provider"] = row.tax_provider
    return data


def legacy_to_wire(row: CustomerBillingProviderConfiguration) -> dict[str, Any]:
    """billing-config/{type} GET: the configuration in the plan-era flat shape."""
    config = row.configuration
    data: dict[str, Any] = {"billing_provider_customer_id": row.external_id}
    if row.billing_provider == BillingProvider.STRIPE:
        data["stripe_collection_method"] = config.get("stripe_collection_method")
    elif row.billing_provider == BillingProvider.AWS_MARKETPLACE:
        for key in (
            "aws_customer_id",
            "aws_product_code",
            "aws_region",
            "aws_customer_account_id",
            "aws_is_subscription_product",
        ):
            if key in config:
                data[key] = config[key]
    return data
