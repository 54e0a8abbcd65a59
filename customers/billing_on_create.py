"""customers.create with its billing configurations: `billing_config` (the plan-era shape) is
applied as POST /v1/customers/{id}/billing-config/{type} applies it, and each item of
`customer_billing_provider_configurations` as one item of
/v1/setCustomerBillingProviderConfigurations: the same readers and checks, in the customer
create's transaction. A bad configuration is a 400 (an unknown delivery_method_id a 404, a
provider id already taken a 409) naming its path, and nothing is written, not the customer
either."""

from typing import Any

from django.db import transaction

from billing_console.api import ApplicationError
from billing_console.wire import Reader
from customers.billing_config import customer_billing_config_replace
from customers.billing_providers import customer_billing_configuration_set
from customers.models import Customer
from customers.services import customer_create

LIST_KEY = "customer_billing_provider_configurations"
# What the configuration readers call a field, as billing_config names it (it has no
# configuration object, delivery method or billing_provider of its own).
BILLING_CONFIG_NAMES = {
    "configuration": "billing_provider_customer_id",
    "billing_provider": "billing_provider_type",
    "delivery_method": "billing_provider_type",
    "delivery_method_id": "billing_provider_type",
}


@transaction.atomic
def customer_create_with_billing(
    *,
    billing_config: Any = None,
    customer_billing_provider_configurations: Any = None,
    **fields: Any,
) -> Customer:
    """customer_create (`fields`), then its billing configurations, all or nothing."""
    body = {"billing_config": billing_config, LIST_KEY: customer_billing_provider_configurations}
    reader = Reader(body)
    items = reader.list(LIST_KEY)
    config = reader.child("billing_config")
    customer = customer_create(**fields)
    if config is not None:
        provider_type = config.str("billing_provider_type", required=True, max_length=40)
        try:
            customer_billing_config_replace(
                customer=customer, provider_type=provider_type, data=config.data
            )
        except ApplicationError as err:
            raise _under_billing_config(err) from None
    for index, item in enumerate(items):
        customer_billing_configuration_set(
            customer=customer, data=item, path=f"{LIST_KEY}[{index}]"
        )
    return customer


def _under_billing_config(err: ApplicationError) -> ApplicationError:
    """The error of the plan-era reader ("aws_region: ...", "configuration: ... is already
    configured for another customer") named as a path of billing_config."""
    path, sep, why = err.message.partition(": ")
    head, _, rest = path.partition(".")
    if head == "configuration" and rest:  # configuration.aws_region: a field of billing_config
        path = rest
    elif head in BILLING_CONFIG_NAMES:
        path = BILLING_CONFIG_NAMES[head] + path[len(head) :]
    err.message = f"billing_config.{path}{sep}{why}"
    return err
