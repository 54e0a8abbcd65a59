"""The honoured and refused fields of /v1/customers (create), see billing_console/wire_fields.py."""

from billing_console.wire_fields import honour, refuse

API = "customers.tests.test_api::"
TRIP = "customers.tests.test_wire_round_trip::test_customer_create_reads_back_as_sent"
BILLING = (
    "is not supported yet on create: set it with /v1/setCustomerBillingProviderConfigurations "
    "once the customer exists."
)

CUSTOMER_CREATE = (
    honour(API + "test_create_retrieve_list_archive_roundtrip", "name", "ingest_aliases")
    + honour(API + "test_create_with_custom_fields_requires_known_keys", "custom_fields")
    + honour(TRIP, "external_id")
    + refuse(BILLING, "billing_config", "customer_billing_provider_configurations")
    + refuse(
        "is not supported yet: this server sends invoices to no revenue system.",
        "customer_revenue_system_configurations",
    )
)
