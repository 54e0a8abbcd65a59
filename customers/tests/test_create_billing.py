"""customers.create with its billing configurations (customers/billing_on_create.py): through
the official metronome-sdk, billing_config reads back from the plan-era billing-config endpoint
and each customer_billing_provider_configurations item from getCustomerBillingProviderConfigurations,
as sent; a bad one is a 400 (404, 409) naming its path, and nothing is written, not even the
customer."""

import pytest

from billing_console.tests.read_back import ReadBack, assert_shows
from customers.billing_providers import billing_provider_set_up
from customers.models import Customer, CustomerBillingProviderConfiguration, IngestAlias
from customers.wire_fields import BILLING, CUSTOMER_CREATE

LIST = "customer_billing_provider_configurations"
DIRECT = "direct_to_billing_provider"
AWS_CONFIG = {"aws_iam_role_arn": "arn:aws:iam::123456789012:role/metering"}


def _providers() -> tuple[str, str]:
    """A Stripe account and an AWS Marketplace listing, set up as setUpBillingProvider does."""
    stripe = billing_provider_set_up(data={
        "billing_provider": "stripe", "delivery_method": DIRECT,
        "configuration": {"name": "US entity", "stripe_secret_key": "sk_test_4eC39HqLyjWDarjt"},
    })  # fmt: skip
    aws = billing_provider_set_up(data={
        "billing_provider": "aws_marketplace", "delivery_method": DIRECT, "configuration": AWS_CONFIG,
    })  # fmt: skip
    return str(stripe.public_id), str(aws.public_id)


def _aws_item(**configuration) -> dict:
    config = {"aws_customer_id": "AWSACME1", "aws_product_code": "prod1",
              "aws_region": "us-east-1", **configuration}  # fmt: skip
    return {
        "billing_provider": "aws_marketplace",
        "delivery_method": DIRECT,
        "configuration": config,
    }


@pytest.mark.sdk
def test_create_applies_its_billing_configurations(sdk):
    stripe, _aws = _providers()
    # Acme: Stripe in the plan-era shape, AWS as an item chosen by its delivery method.
    acme = {
        "billing_config": {"billing_provider_type": "stripe", "billing_provider_customer_id": "cus_Acme1",
                           "stripe_collection_method": "send_invoice"},
        LIST: [_aws_item(aws_is_subscription_product=True)],
    }  # fmt: skip
    # Globex: AWS in the plan-era shape, Stripe as an item naming its provider, with Stripe Tax.
    globex = {
        "billing_config": {"billing_provider_type": "aws_marketplace",
                           "billing_provider_customer_id": "AWSGLOBEX1", "aws_customer_id": "AWSGLOBEX1",
                           "aws_product_code": "prod2", "aws_region": "eu-west-1",
                           "aws_customer_account_id": "123456789012",
                           "aws_is_subscription_product": False},
        LIST: [{"billing_provider": "stripe", "delivery_method_id": stripe, "tax_provider": "stripe",
                "configuration": {"stripe_customer_id": "cus_Globex1"}}],
    }  # fmt: skip
    rb = ReadBack()
    for name, sent in (("Acme", acme), ("Globex", globex)):
        customer_id = sdk.v1.customers.create(name=name, **sent).data.id
        config = sent["billing_config"]
        got = sdk.v1.customers.billing_config.retrieve(
            customer_id=customer_id, billing_provider_type=config["billing_provider_type"]
        ).data.to_dict(mode="json")
        rb.check({k: v for k, v in config.items() if k != "billing_provider_type"}, got, "billing_config")  # fmt: skip
        rb.seen.add("billing_config.billing_provider_type")  # it was found under that type
        listed = sdk.v1.customers.retrieve_billing_configurations(customer_id=customer_id).data
        (item,) = sent[LIST]
        (row,) = [c.to_dict(mode="json") for c in listed if c.billing_provider == item["billing_provider"]]  # fmt: skip
        rb.check(item, row, f"{LIST}[]")
        assert len(listed) == 2
    rb.seen.add(LIST)
    assert_shows(rb.seen, BILLING, CUSTOMER_CREATE)


def _written() -> tuple[int, ...]:
    return tuple(
        m.objects.count() for m in (Customer, IngestAlias, CustomerBillingProviderConfiguration)
    )


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"billing_config": {"billing_provider_type": "aws_marketplace",
                             "billing_provider_customer_id": "AWS1", "aws_product_code": "p1",
                             "aws_region": "mars-1"}},
         400, "billing_config.aws_region: must be one of af-south-1"),
        ({"billing_config": {"billing_provider_type": "stripe",
                             "billing_provider_customer_id": "acct_1"}},
         400, "billing_config.billing_provider_customer_id: must be a Stripe customer id"),
        ({"billing_config": {"billing_provider_customer_id": "cus_1"}},
         400, "billing_config.billing_provider_type: is required."),
        ({"billing_config": {"billing_provider_type": "stripe",
                             "billing_provider_customer_id": "cus_Taken"}},
         409, "billing_config.billing_provider_customer_id: stripe customer 'cus_Taken' is "
              "already configured for another customer"),
        ({"billing_config": "stripe"}, 400, "billing_config: must be an object."),
        ({LIST: {"billing_provider": "stripe"}}, 400, f"{LIST}: must be a list."),
        ({LIST: [_aws_item(collection="x")]},
         400, f"{LIST}[0].configuration.collection: is not a known setting"),
        ({LIST: [{**_aws_item(), "tax_provider": "stripe"}]},
         400, f"{LIST}[0].tax_provider: is only supported for stripe configurations."),
        ({LIST: [{**_aws_item(), "delivery_method": None,
                  "delivery_method_id": "4db51251-61de-4bfe-b9ce-495e244f3491"}]},
         404, f"{LIST}[0].delivery_method_id: "),
        ({LIST: [{"billing_provider": "netsuite", "configuration": {}}]},
         400, f'{LIST}[0].billing_provider: "netsuite" is not supported by this server'),
        ({LIST: [{**_aws_item(), "tax_provider": "avalara"}]},
         400, f"{LIST}[0].tax_provider: is only supported for stripe configurations."),
    ],
)  # fmt: skip
def test_a_bad_configuration_is_named_and_nothing_is_written(api, body, status, message):
    _providers()
    taken = api.post("/v1/customers", {"name": "Initech", "billing_config": {
        "billing_provider_type": "stripe", "billing_provider_customer_id": "cus_Taken"}}, format="json")  # fmt: skip
    assert taken.status_code == 200, taken.content
    before = _written()
    sent = {"name": "Acme", "ingest_aliases": ["acme"], **body}
    response = api.post("/v1/customers", sent, format="json")
    assert response.status_code == status, response.content
    assert response.json()["message"].startswith(message), response.json()
    assert _written() == before
