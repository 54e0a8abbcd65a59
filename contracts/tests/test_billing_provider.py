"""A contract's billing provider configuration through the official SDK: given at create (by id,
or by provider and delivery method), shown on the contract, added by a v2 edit once the
previous one is archived."""

import metronome
import pytest

pytestmark = pytest.mark.sdk


def _setup(sdk) -> tuple[str, str, str]:
    entity = sdk.v1.settings.billing_providers.create(
        billing_provider="stripe",  # type: ignore[arg-type]
        delivery_method="direct_to_billing_provider",
        configuration={"name": "US entity", "stripe_secret_key": "sk_test_4eC39HqLyjWDarjtT1zdp7dc"},
    ).data.delivery_method_id  # fmt: skip
    customer = sdk.v1.customers.create(name="Acme").data.id
    config = sdk.v1.customers.set_billing_configurations(
        data=[{"customer_id": customer, "billing_provider": "stripe", "delivery_method_id": entity,
               "configuration": {"stripe_customer_id": "cus_Acme1"}}]
    ).data[0].id  # fmt: skip
    return entity, customer, config


def test_contract_created_with_a_configuration_and_reassigned_after_archive(sdk):
    entity, customer, config = _setup(sdk)
    contract = sdk.v1.contracts.create(
        customer_id=customer,
        starting_at="2026-01-01T00:00:00Z",
        billing_provider_configuration={"billing_provider_configuration_id": config},
    ).data.id
    got = sdk.v2.contracts.retrieve(customer_id=customer, contract_id=contract).data
    bpc = got.customer_billing_provider_configuration
    assert (bpc.id, bpc.billing_provider, bpc.delivery_method_id) == (config, "stripe", entity)
    assert bpc.configuration == {"stripe_customer_id": "cus_Acme1", "stripe_collection_method": "charge_automatically"}  # fmt: skip

    # By provider and delivery method: the customer's only live stripe configuration.
    second = sdk.v1.contracts.create(
        customer_id=customer,
        starting_at="2026-01-01T00:00:00Z",
        billing_provider_configuration={"billing_provider": "stripe", "delivery_method": "direct_to_billing_provider"},
    ).data.id  # fmt: skip
    assert sdk.v2.contracts.retrieve(customer_id=customer, contract_id=second).data.customer_billing_provider_configuration.id == config  # fmt: skip

    new = sdk.v1.customers.set_billing_configurations(
        data=[{"customer_id": customer, "billing_provider": "stripe", "delivery_method_id": entity,
               "configuration": {"stripe_customer_id": "cus_Acme2"}}]
    ).data[0].id  # fmt: skip
    update = {
        "billing_provider_configuration": {"billing_provider_configuration_id": new},
        "schedule": {"effective_at": "START_OF_CURRENT_PERIOD"},
    }
    with pytest.raises(metronome.ConflictError) as err:  # a live one is set: archive it first
        sdk.with_options(max_retries=0).v2.contracts.edit(
            customer_id=customer, contract_id=contract, add_billing_provider_configuration_update=update
        )  # fmt: skip
    assert "archive it first" in err.value.body["message"]

    sdk.v1.customers.archive_billing_configurations(
        customer_id=customer, customer_billing_provider_configuration_ids=[config]
    )
    archived = sdk.v2.contracts.retrieve(customer_id=customer, contract_id=contract).data
    assert archived.customer_billing_provider_configuration.archived_at is not None
    sdk.v2.contracts.edit(
        customer_id=customer, contract_id=contract, add_billing_provider_configuration_update=update
    )
    got = sdk.v2.contracts.retrieve(customer_id=customer, contract_id=contract).data
    assert got.customer_billing_provider_configuration.id == new
    assert got.customer_billing_provider_configuration.archived_at is None


def test_create_refuses_an_unknown_or_ambiguous_configuration(sdk):
    entity, customer, config = _setup(sdk)
    with pytest.raises(metronome.NotFoundError) as err:
        sdk.v1.contracts.create(
            customer_id=customer, starting_at="2026-01-01T00:00:00Z",
            billing_provider_configuration={"billing_provider_configuration_id": "4db51251-61de-4bfe-b9ce-495e244f3491"},
        )  # fmt: skip
    assert err.value.body["message"].startswith("billing_provider_configuration.billing_provider_configuration_id")  # fmt: skip
    sdk.v1.customers.set_billing_configurations(
        data=[{"customer_id": customer, "billing_provider": "stripe", "delivery_method_id": entity,
               "configuration": {"stripe_customer_id": "cus_Acme9"}}]
    )  # fmt: skip
    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.contracts.create(
            customer_id=customer, starting_at="2026-01-01T00:00:00Z",
            billing_provider_configuration={"billing_provider": "stripe", "delivery_method": "direct_to_billing_provider"},
        )  # fmt: skip
    assert "several live stripe configurations" in err.value.body["message"]
    assert sdk.v1.contracts.list(customer_id=customer).data == []  # nothing half-created
