"""A contract's billing provider configuration: which of its customer's configurations (a Stripe
account and customer, a marketplace listing) its invoices are collected through.

A contract holds one live configuration at a time. Archiving that configuration (customers
app) stops billing through it at once; the contract can then be given another.
"""

from typing import Any

from django.db import transaction

from billing_console.api import ApplicationError
from billing_console.wire import Reader
from contracts.models import Contract
from customers.billing_providers import customer_billing_configuration_get
from customers.models import CustomerBillingProviderConfiguration, DeliveryMethod

ALREADY_SET = (
    "{field}: the contract already has a live billing provider configuration; archive it first."
)


def billing_configuration_from_wire(
    reader: Reader, contract: Contract
) -> CustomerBillingProviderConfiguration:
    """`billing_provider_configuration` of contracts/create (or of an edit): by id, or by
    billing_provider + delivery_method when the customer has exactly one such live one."""
    customer = contract.customer
    if reader.has("billing_provider_configuration_id"):
        row = customer_billing_configuration_get(
            customer=customer,
            public_id=reader.str("billing_provider_configuration_id"),
            field=reader._name("billing_provider_configuration_id"),
        )
        if row.archived_at is not None:
            raise reader.fail("billing_provider_configuration_id", "is archived.")
        return row
    provider = reader.str("billing_provider", required=True, max_length=40)
    method = reader.choice(
        "delivery_method", tuple(DeliveryMethod.values), default=DeliveryMethod.DIRECT
    )
    rows = list(
        customer.billing_configurations.active().filter(
            billing_provider=provider, delivery_method=method
        )[:2]
    )
    if not rows:
        raise reader.fail(
            "billing_provider",
            f"the customer has no live {provider} configuration with delivery method {method} "
            "(/v1/setCustomerBillingProviderConfigurations).",
        )
    if len(rows) > 1:
        raise reader.fail(
            "billing_provider_configuration_id",
            f"the customer has several live {provider} configurations; name one by id.",
        )
    return rows[0]


@transaction.atomic
def contract_billing_configuration_set(
    *,
    contract: Contract,
    configuration: CustomerBillingProviderConfiguration,
    field: str = "billing_provider_configuration",
) -> Contract:
    """Assign; the same one again is a no-op. A live different one must be archived first."""
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    if configuration.customer_id != contract.customer_id:
        raise ApplicationError(f"{field}: the configuration belongs to another customer.")
    if configuration.archived_at is not None:
        raise ApplicationError(f"{field}: the configuration is archived.")
    current = contract.billing_provider_configuration
    if current is not None and current.pk == configuration.pk:
        return contract
    if current is not None and current.archived_at is None:
        raise ApplicationError(ALREADY_SET.format(field=field), "conflict")
    contract.billing_provider_configuration = configuration
    contract.save(update_fields=["billing_provider_configuration", "updated_at"])
    return contract


def contract_billing_configuration_from_wire(
    reader: Reader, contract: Contract, key: str = "billing_provider_configuration"
) -> CustomerBillingProviderConfiguration | None:
    """Apply `key` of a create or edit body, if present; returns what was assigned."""
    child = reader.child(key)
    if child is None:
        return None
    configuration = billing_configuration_from_wire(child, contract)
    contract_billing_configuration_set(contract=contract, configuration=configuration, field=key)
    contract.refresh_from_db(fields=["billing_provider_configuration"])
    return configuration


def billing_configuration_edit(reader: Reader, contract: Contract) -> dict[str, Any] | None:
    """/v2/contracts/edit add_billing_provider_configuration_update: {billing_provider_configuration,
    schedule}. START_OF_CURRENT_PERIOD: the invoice of the current period (finalized later) and
    every later one go through it, since the provider is resolved when an invoice is finalized."""
    update = reader.child("add_billing_provider_configuration_update")
    if update is None:
        return None
    schedule = update.child("schedule", required=True)
    assert schedule is not None
    when = schedule.choice(
        "effective_at", ("START_OF_CURRENT_PERIOD", "START_OF_NEXT_PERIOD"), required=True
    )
    if when == "START_OF_NEXT_PERIOD":
        raise schedule.fail("effective_at", "START_OF_NEXT_PERIOD is not supported by this server yet.")  # fmt: skip
    configuration = contract_billing_configuration_from_wire(
        update, contract, "billing_provider_configuration"
    )
    if configuration is None:
        raise update.fail("billing_provider_configuration", "is required.")
    return {"billing_provider_configuration_id": str(configuration.public_id)}


def configuration_of(contract: Contract) -> CustomerBillingProviderConfiguration | None:
    """The live configuration the contract's invoices go through, if any (none once archived)."""
    row = contract.billing_provider_configuration
    return row if row is not None and row.archived_at is None else None
