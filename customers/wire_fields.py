"""The honoured and refused fields of /v1/customers (create), see billing_console/wire_fields.py."""

from billing_console.wire_fields import honour, refuse
from customers.billing_providers import WIRE_ONLY_PROVIDERS

API = "customers.tests.test_api::"
TRIP = "customers.tests.test_wire_round_trip::test_customer_create_reads_back_as_sent"
# Billing configurations on create: applied as setCustomerBillingProviderConfigurations and the
# plan-era billing-config endpoint apply them (customers/billing_on_create.py).
BILLING = "customers.tests.test_create_billing::test_create_applies_its_billing_configurations"
NOT_HERE = "is not supported by this server: it sends invoices to Stripe and the marketplaces."
PROVIDERS_NOT_HERE = dict.fromkeys(WIRE_ONLY_PROVIDERS, NOT_HERE)

CUSTOMER_CREATE = (
    honour(API + "test_create_retrieve_list_archive_roundtrip", "name", "ingest_aliases")
    + honour(API + "test_create_with_custom_fields_requires_known_keys", "custom_fields")
    + honour(TRIP, "external_id")
    + honour(
        BILLING,
        "billing_config",
        "billing_config.billing_provider_customer_id",
        "billing_config.aws_customer_account_id",
        "billing_config.aws_customer_id",
        "billing_config.aws_is_subscription_product",
        "billing_config.aws_product_code",
        "billing_config.aws_region",
        "billing_config.stripe_collection_method",
        "customer_billing_provider_configurations",
        "customer_billing_provider_configurations[].configuration",
        "customer_billing_provider_configurations[].delivery_method_id",
    )
    + honour(BILLING, "billing_config.billing_provider_type", refused_values=PROVIDERS_NOT_HERE)
    + honour(
        BILLING,
        "customer_billing_provider_configurations[].billing_provider",
        refused_values=PROVIDERS_NOT_HERE,
    )
    + honour(
        BILLING,
        "customer_billing_provider_configurations[].delivery_method",
        refused_values={
            "tackle": "is not supported yet: providers deliver direct_to_billing_provider, "
            "aws_sqs or aws_sns."
        },
    )
    # stripe (Stripe Tax on the Stripe invoice), avalara and anrok (the tax app, at finalize)
    + honour(BILLING, "customer_billing_provider_configurations[].tax_provider")
    + refuse(
        "is not supported yet: this server sends invoices to no revenue system.",
        "customer_revenue_system_configurations",
    )
)
