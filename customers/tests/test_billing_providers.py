"""Billing providers through the official metronome-sdk against a live server: set-up and list,
customer configurations (identical set twice, archive then reassign), the plan-era
billing-config endpoints, and field-named 400s for marketplace ids."""

import metronome
import pytest

from customers.models import ConfiguredBillingProvider, CustomerBillingProviderConfiguration

pytestmark = pytest.mark.sdk

STRIPE_KEY = "sk_test_4eC39HqLyjWDarjtT1zdp7dc"


def _stripe_entity(sdk, name: str = "US entity") -> str:
    # Stripe is not in the SDK's literal for setUpBillingProvider (Metronome connects Stripe by
    # OAuth); this server sets Stripe entities up the same way, with their API key.
    return sdk.v1.settings.billing_providers.create(
        billing_provider="stripe",  # type: ignore[arg-type]
        delivery_method="direct_to_billing_provider",
        configuration={"name": name, "stripe_secret_key": STRIPE_KEY,
                       "stripe_webhook_secret": "whsec_testsecret123"},
    ).data.delivery_method_id  # fmt: skip


def _aws(sdk) -> str:
    return sdk.v1.settings.billing_providers.create(
        billing_provider="aws_marketplace",
        delivery_method="direct_to_billing_provider",
        configuration={"aws_iam_role_arn": "arn:aws:iam::123456789012:role/metering",
                       "aws_external_id": "ext-1"},
    ).data.delivery_method_id  # fmt: skip


def test_set_up_and_list_providers_without_secrets(sdk):
    us = _stripe_entity(sdk, "US entity")
    eu = _stripe_entity(sdk, "EU entity")
    aws = _aws(sdk)
    assert _aws(sdk) == aws  # the same set-up again is the same provider
    azure = sdk.v1.settings.billing_providers.create(
        billing_provider="azure_marketplace",
        delivery_method="direct_to_billing_provider",
        configuration={"azure_tenant_id": "0b4d4c1e-8f0e-4a8e-9a43-0a1d6f0c2b11",
                       "azure_client_id": "5b9e3072-415b-4842-94f0-0b6700c8b6be",
                       "azure_client_secret": "s3cr3t"},
    ).data.delivery_method_id  # fmt: skip
    gcp = sdk.v1.settings.billing_providers.create(
        billing_provider="gcp_marketplace",
        delivery_method="direct_to_billing_provider",
        configuration={"gcp_project_id": "acme-billing", "gcp_project_number": "1234567890"},
    ).data.delivery_method_id
    listed = sdk.v1.settings.billing_providers.list()
    assert [p.delivery_method_id for p in listed.data] == [us, eu, aws, azure, gcp]
    assert listed.next_page is None
    by_id = {p.delivery_method_id: p for p in listed.data}
    assert by_id[us].billing_provider == "stripe"
    assert by_id[us].delivery_method_configuration == {"name": "US entity"}
    assert by_id[azure].delivery_method_configuration == {
        "azure_tenant_id": "0b4d4c1e-8f0e-4a8e-9a43-0a1d6f0c2b11",
        "azure_client_id": "5b9e3072-415b-4842-94f0-0b6700c8b6be",
    }
    assert "sk_test" not in str(listed.data) and "s3cr3t" not in str(listed.data)
    stored = ConfiguredBillingProvider.objects.get(public_id=us)
    assert stored.secret_key == STRIPE_KEY
    assert stored.masked_secret_key == "sk_test_…p7dc"

    page = sdk.v1.settings.billing_providers.list(next_page=None, extra_body={"limit": 2})
    assert len(page.data) == 2 and page.next_page
    rest = sdk.v1.settings.billing_providers.list(next_page=page.next_page)
    assert [p.delivery_method_id for p in rest.data] == [aws, azure, gcp][: len(rest.data)]


@pytest.mark.parametrize(
    ("provider", "method", "configuration", "message"),
    [
        ("aws_marketplace", "direct_to_billing_provider", {"aws_iam_role_arn": "role/metering"},
         "configuration.aws_iam_role_arn: must be an IAM role ARN"),
        ("azure_marketplace", "direct_to_billing_provider",
         {"azure_tenant_id": "nope", "azure_client_id": "5b9e3072-415b-4842-94f0-0b6700c8b6be",
          "azure_client_secret": "x"}, "configuration.azure_tenant_id: must be a UUID"),
        ("gcp_marketplace", "direct_to_billing_provider", {"gcp_project_id": "Bad_Project"},
         "configuration.gcp_project_id: must be a GCP project id"),
        ("gcp_marketplace", "aws_sqs", {"gcp_project_id": "acme-billing"},
         "delivery_method: must be one of direct_to_billing_provider"),
        ("stripe", "direct_to_billing_provider", {"stripe_secret_key": "pk_test_123456789"},
         "configuration.stripe_secret_key: must be a Stripe secret or restricted key"),
        ("netsuite", "direct_to_billing_provider", {},
         "billing_provider: 'netsuite' is not supported by this server."),
    ],
)  # fmt: skip
def test_set_up_refuses_invalid_configuration_naming_the_field(
    sdk, provider, method, configuration, message
):
    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.settings.billing_providers.create(
            billing_provider=provider, delivery_method=method, configuration=configuration
        )
    assert message in err.value.body["message"]
    assert not ConfiguredBillingProvider.objects.exists()


def test_customer_configurations_identical_set_twice_then_archive_and_reassign(sdk):
    us = _stripe_entity(sdk, "US entity")
    aws = _aws(sdk)
    acme = sdk.v1.customers.create(name="Acme").data.id
    globex = sdk.v1.customers.create(name="Globex").data.id
    body = [
        {"customer_id": acme, "billing_provider": "stripe", "delivery_method_id": us,
         "configuration": {"stripe_customer_id": "cus_Acme1", "stripe_collection_method": "charge_automatically"},
         "tax_provider": "stripe"},
        {"customer_id": acme, "billing_provider": "aws_marketplace",
         "delivery_method": "direct_to_billing_provider",
         "configuration": {"aws_customer_id": "ABC123ABC12", "aws_product_code": "prod1",
                           "aws_region": "us-west-1", "aws_is_subscription_product": True}},
    ]  # fmt: skip
    first = sdk.v1.customers.set_billing_configurations(data=body).data
    assert [c.billing_provider for c in first] == ["stripe", "aws_marketplace"]
    assert first[0].delivery_method_id == us and first[1].delivery_method_id == aws
    assert first[0].tax_provider == "stripe"
    assert first[0].configuration == {
        "stripe_customer_id": "cus_Acme1", "stripe_collection_method": "charge_automatically",
    }  # fmt: skip

    again = sdk.v1.customers.set_billing_configurations(data=body).data
    assert [c.id for c in again] == [c.id for c in first]  # identical: the same, not an error
    assert CustomerBillingProviderConfiguration.objects.count() == 2

    got = sdk.v1.customers.retrieve_billing_configurations(customer_id=acme).data
    assert [c.id for c in got] == [c.id for c in first]
    assert got[0].customer_id == acme and got[0].archived_at is None
    assert got[0].delivery_method == "direct_to_billing_provider"
    assert got[0].delivery_method_configuration == {"name": "US entity"}

    # Globex cannot take Acme's Stripe customer while Acme's configuration is live.
    taken = [{"customer_id": globex, "billing_provider": "stripe", "delivery_method_id": us,
              "configuration": {"stripe_customer_id": "cus_Acme1"}}]  # fmt: skip
    with pytest.raises(metronome.ConflictError) as err:
        sdk.with_options(max_retries=0).v1.customers.set_billing_configurations(data=taken)
    assert (
        "data[0].configuration: stripe customer 'cus_Acme1' is already configured"
        in (err.value.body["message"])
    )

    archived = sdk.v1.customers.archive_billing_configurations(
        customer_id=acme, customer_billing_provider_configuration_ids=[first[0].id]
    ).data
    assert archived.customer_billing_provider_configuration_ids == [first[0].id]
    assert archived.customer_id == acme
    live = sdk.v1.customers.retrieve_billing_configurations(customer_id=acme).data
    assert [c.id for c in live] == [first[1].id]
    every = sdk.v1.customers.retrieve_billing_configurations(
        customer_id=acme, include_archived=True
    )
    assert every.data[0].archived_at is not None

    # Archived: the slot is free, Globex now gets a new configuration for that Stripe customer.
    reassigned = sdk.v1.customers.set_billing_configurations(data=taken).data
    assert reassigned[0].customer_id == globex and reassigned[0].id != first[0].id


def test_set_is_all_or_nothing_with_field_named_errors(sdk):
    _stripe_entity(sdk)
    _aws(sdk)
    acme = sdk.v1.customers.create(name="Acme").data.id
    good = {"customer_id": acme, "billing_provider": "stripe",
            "delivery_method": "direct_to_billing_provider",
            "configuration": {"stripe_customer_id": "cus_ok"}}  # fmt: skip
    cases = [
        ({"customer_id": acme, "billing_provider": "aws_marketplace", "delivery_method": "direct_to_billing_provider",
          "configuration": {"aws_customer_id": "ABC", "aws_product_code": "p1", "aws_region": "mars-1"}},
         "data[1].configuration.aws_region: must be one of af-south-1"),
        ({"customer_id": acme, "billing_provider": "aws_marketplace", "delivery_method": "direct_to_billing_provider",
          "configuration": {"aws_customer_id": "not valid!", "aws_product_code": "p1", "aws_region": "us-east-1"}},
         "data[1].configuration.aws_customer_id: must be an AWS Marketplace customer identifier"),
        ({"customer_id": acme, "billing_provider": "aws_marketplace", "delivery_method": "direct_to_billing_provider",
          "configuration": {"aws_customer_id": "ABC", "aws_region": "us-east-1"}},
         "data[1].configuration.aws_product_code: is required."),
        ({"customer_id": acme, "billing_provider": "azure_marketplace", "delivery_method": "direct_to_billing_provider",
          "configuration": {"azure_subscription_id": "my_subscription"}},
         "data[1].configuration.azure_subscription_id: must be a UUID"),
        ({"customer_id": acme, "billing_provider": "gcp_marketplace", "delivery_method": "direct_to_billing_provider",
          "configuration": {"gcp_account_id": "acct-1"}},
         "data[1].configuration.gcp_entitlement_id: is required."),
        ({"customer_id": acme, "billing_provider": "stripe", "delivery_method": "direct_to_billing_provider",
          "configuration": {"stripe_customer_id": "cus_x", "collection": "send_invoice"}},
         "data[1].configuration.collection: is not a known setting"),
        ({"customer_id": acme, "billing_provider": "aws_marketplace", "tax_provider": "stripe",
          "delivery_method": "direct_to_billing_provider",
          "configuration": {"aws_customer_id": "ABC", "aws_product_code": "p1", "aws_region": "us-east-1"}},
         "data[1].tax_provider: is only supported for stripe configurations."),
        ({"customer_id": "4db51251-61de-4bfe-b9ce-495e244f3491", "billing_provider": "stripe",
          "delivery_method": "direct_to_billing_provider", "configuration": {"stripe_customer_id": "cus_y"}},
         "data[1].customer_id: no customer"),
    ]  # fmt: skip
    for item, message in cases:
        with pytest.raises((metronome.BadRequestError, metronome.NotFoundError)) as err:
            sdk.v1.customers.set_billing_configurations(data=[good, item])
        assert message in err.value.body["message"], err.value.body
    assert not CustomerBillingProviderConfiguration.objects.exists()  # nothing half-written


def test_several_stripe_accounts_need_a_delivery_method_id(sdk):
    us = _stripe_entity(sdk, "US entity")
    _stripe_entity(sdk, "EU entity")
    acme = sdk.v1.customers.create(name="Acme").data.id
    item = {"customer_id": acme, "billing_provider": "stripe",
            "delivery_method": "direct_to_billing_provider",
            "configuration": {"stripe_customer_id": "cus_1"}}  # fmt: skip
    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.customers.set_billing_configurations(data=[item])
    assert "data[0].delivery_method_id: several stripe providers are set up" in err.value.body["message"]  # fmt: skip
    item["delivery_method_id"] = us
    assert sdk.v1.customers.set_billing_configurations(data=[item]).data[0].delivery_method_id == us


def test_archive_with_an_unknown_id_archives_nothing(sdk):
    us = _stripe_entity(sdk)
    acme = sdk.v1.customers.create(name="Acme").data.id
    row = sdk.v1.customers.set_billing_configurations(
        data=[{"customer_id": acme, "billing_provider": "stripe", "delivery_method_id": us,
               "configuration": {"stripe_customer_id": "cus_1"}}]
    ).data[0]  # fmt: skip
    with pytest.raises(metronome.NotFoundError) as err:
        sdk.v1.customers.archive_billing_configurations(
            customer_id=acme,
            customer_billing_provider_configuration_ids=[row.id, "4db51251-61de-4bfe-b9ce-495e244f3491"],
        )  # fmt: skip
    assert "customer_billing_provider_configuration_ids[1]" in err.value.body["message"]
    assert sdk.v1.customers.retrieve_billing_configurations(customer_id=acme).data[0].id == row.id


def test_plan_era_billing_config_set_get_replace_delete(sdk):
    _stripe_entity(sdk)
    _aws(sdk)
    acme = sdk.v1.customers.create(name="Acme").data.id
    with pytest.raises(metronome.NotFoundError):
        sdk.v1.customers.billing_config.retrieve(customer_id=acme, billing_provider_type="stripe")

    assert sdk.v1.customers.billing_config.create(
        customer_id=acme, billing_provider_type="stripe",
        billing_provider_customer_id="cus_AJ6y20bjkOOayM", stripe_collection_method="send_invoice",
    ) is None  # fmt: skip
    got = sdk.v1.customers.billing_config.retrieve(customer_id=acme, billing_provider_type="stripe")
    assert got.data.billing_provider_customer_id == "cus_AJ6y20bjkOOayM"
    assert got.data.stripe_collection_method == "send_invoice"
    # The same again: still one configuration.
    sdk.v1.customers.billing_config.create(
        customer_id=acme, billing_provider_type="stripe",
        billing_provider_customer_id="cus_AJ6y20bjkOOayM", stripe_collection_method="send_invoice",
    )  # fmt: skip
    assert CustomerBillingProviderConfiguration.objects.count() == 1
    # Different values replace it (the old one is archived).
    sdk.v1.customers.billing_config.create(
        customer_id=acme, billing_provider_type="stripe", billing_provider_customer_id="cus_New"
    )
    got = sdk.v1.customers.billing_config.retrieve(customer_id=acme, billing_provider_type="stripe")
    assert got.data.billing_provider_customer_id == "cus_New"
    assert got.data.stripe_collection_method == "charge_automatically"
    assert CustomerBillingProviderConfiguration.objects.active().count() == 1

    sdk.v1.customers.billing_config.create(
        customer_id=acme, billing_provider_type="aws_marketplace",
        billing_provider_customer_id="AWSCUST1", aws_product_code="prod1", aws_region="us-east-1",
    )  # fmt: skip
    aws = sdk.v1.customers.billing_config.retrieve(
        customer_id=acme, billing_provider_type="aws_marketplace"
    ).data
    assert (aws.aws_customer_id, aws.aws_product_code, aws.aws_region) == ("AWSCUST1", "prod1", "us-east-1")  # fmt: skip
    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.customers.billing_config.create(
            customer_id=acme, billing_provider_type="aws_marketplace",
            billing_provider_customer_id="AWSCUST2", aws_product_code="prod1", aws_region="moon-1",  # type: ignore[arg-type]
        )  # fmt: skip
    assert err.value.body["message"].startswith("aws_region: must be one of")
    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.customers.billing_config.create(
            customer_id=acme, billing_provider_type="stripe", billing_provider_customer_id="acct_1"
        )
    assert err.value.body["message"].startswith("billing_provider_customer_id: must be a Stripe customer id")  # fmt: skip
    with pytest.raises(metronome.BadRequestError):
        sdk.v1.customers.billing_config.delete(customer_id=acme, billing_provider_type="aws_marketplace")  # fmt: skip

    assert sdk.v1.customers.billing_config.delete(customer_id=acme, billing_provider_type="stripe") is None  # fmt: skip
    with pytest.raises(metronome.NotFoundError):
        sdk.v1.customers.billing_config.retrieve(customer_id=acme, billing_provider_type="stripe")
