"""Validation of billing provider configurations, account-level and per customer.

Each reader takes a `Reader` over the wire's `configuration` object and returns the normalized
dict to store, raising a 400 that names the field (`data[0].configuration.aws_region: ...`).
Unknown keys are refused rather than silently stored: a typo must not look configured.
"""

import re
import uuid
from dataclasses import dataclass
from typing import Any

from billing_console.wire import Reader
from customers.models import BillingProvider, DeliveryMethod

AWS_REGIONS = (
    "af-south-1",
    "ap-east-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ca-central-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-north-1",
    "eu-south-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "me-south-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-west-1",
    "us-west-2",
)
STRIPE_COLLECTION_METHODS = ("charge_automatically", "send_invoice")
# stripe: Stripe Tax on the Stripe invoice; avalara, anrok: computed at finalize (tax app)
TAX_PROVIDERS = ("stripe", "avalara", "anrok")

_STRIPE_CUSTOMER = re.compile(r"^cus_[A-Za-z0-9]{1,250}$")
_STRIPE_SECRET = re.compile(r"^(sk|rk)_(test|live)_[A-Za-z0-9]{8,}$")
_STRIPE_WEBHOOK_SECRET = re.compile(r"^whsec_[A-Za-z0-9+/=]{8,}$")
# AWS Marketplace: the CustomerIdentifier from ResolveCustomer, and product codes, are
# alphanumeric; account ids are 12 digits.
_AWS_ID = re.compile(r"^[A-Za-z0-9]{1,255}$")
_AWS_ACCOUNT = re.compile(r"^\d{12}$")
_AWS_ROLE_ARN = re.compile(r"^arn:aws(-cn|-us-gov)?:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
_AWS_SQS_URL = re.compile(r"^https://sqs\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/\d{12}/[\w-]{1,80}$")
_AWS_SNS_ARN = re.compile(r"^arn:aws(-cn|-us-gov)?:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$")
_GCP_PROJECT = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
_GCP_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,199}$")
_GCP_SERVICE_ACCOUNT = re.compile(
    r"^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z0-9-]+\.iam\.gserviceaccount\.com$"
)


@dataclass(frozen=True)
class CustomerConfig:
    configuration: dict[str, Any]
    external_id: str  # the customer's identity at the provider
    uniqueness_key: str


@dataclass(frozen=True)
class AccountConfig:
    configuration: dict[str, Any]  # listed on the wire: no secrets
    name: str = ""
    secret_key: str = ""
    webhook_secret: str = ""


def _only(reader: Reader, allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(reader.data) - set(allowed))
    if unknown:
        raise reader.fail(unknown[0], f"is not a known setting (allowed: {', '.join(allowed)}).")


def _match(reader: Reader, key: str, pattern: re.Pattern, what: str, *, required: bool) -> str:
    value = reader.str(key, required=required, max_length=1000).strip()
    if value and not pattern.match(value):
        raise reader.fail(key, f"must be {what}.")
    return value


def _uuid(reader: Reader, key: str, *, required: bool) -> str:
    value = reader.str(key, required=required, max_length=100).strip()
    if not value:
        return ""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise reader.fail(key, "must be a UUID (a GUID such as 5b9e3072-...).") from None


def _flags(reader: Reader, out: dict[str, Any], *keys: str) -> None:
    for key in keys:
        value = reader.bool(key)
        if value is not None:
            out[key] = value


# --- per customer ------------------------------------------------------------------------


def _stripe_customer(reader: Reader) -> CustomerConfig:
    _only(
        reader, ("stripe_customer_id", "stripe_collection_method", "leave_stripe_invoices_in_draft")
    )
    customer_id = _match(
        reader,
        "stripe_customer_id",
        _STRIPE_CUSTOMER,
        "a Stripe customer id (cus_...)",
        required=True,
    )
    method = reader.choice(
        "stripe_collection_method", STRIPE_COLLECTION_METHODS, default="charge_automatically"
    )
    out: dict[str, Any] = {"stripe_customer_id": customer_id, "stripe_collection_method": method}
    _flags(reader, out, "leave_stripe_invoices_in_draft")
    return CustomerConfig(out, customer_id, f"{customer_id}:{method}")


def _aws_customer(reader: Reader) -> CustomerConfig:
    _only(
        reader,
        (
            "aws_customer_id",
            "aws_product_code",
            "aws_region",
            "aws_is_subscription_product",
            "aws_customer_account_id",
        ),
    )
    customer_id = _match(
        reader,
        "aws_customer_id",
        _AWS_ID,
        "an AWS Marketplace customer identifier (letters and digits)",
        required=True,
    )
    product = _match(
        reader,
        "aws_product_code",
        _AWS_ID,
        "an AWS Marketplace product code (letters and digits)",
        required=True,
    )
    out: dict[str, Any] = {
        "aws_customer_id": customer_id,
        "aws_product_code": product,
        "aws_region": reader.choice("aws_region", AWS_REGIONS, required=True),
    }
    account = _match(
        reader, "aws_customer_account_id", _AWS_ACCOUNT, "a 12-digit AWS account id", required=False
    )
    if account:
        out["aws_customer_account_id"] = account
    _flags(reader, out, "aws_is_subscription_product")
    return CustomerConfig(out, customer_id, f"{customer_id}:{product}:{out['aws_region']}")


def _azure_customer(reader: Reader) -> CustomerConfig:
    _only(reader, ("azure_subscription_id",))
    subscription = _uuid(reader, "azure_subscription_id", required=True)
    return CustomerConfig({"azure_subscription_id": subscription}, subscription, subscription)


def _gcp_customer(reader: Reader) -> CustomerConfig:
    _only(reader, ("gcp_account_id", "gcp_entitlement_id"))
    account = _match(
        reader, "gcp_account_id", _GCP_ID, "a GCP Marketplace procurement account id", required=True
    )
    entitlement = _match(
        reader, "gcp_entitlement_id", _GCP_ID, "a GCP Marketplace entitlement id", required=True
    )
    out = {"gcp_account_id": account, "gcp_entitlement_id": entitlement}
    return CustomerConfig(out, account, f"{account}:{entitlement}")


CUSTOMER_READERS = {
    BillingProvider.STRIPE: _stripe_customer,
    BillingProvider.AWS_MARKETPLACE: _aws_customer,
    BillingProvider.AZURE_MARKETPLACE: _azure_customer,
    BillingProvider.GCP_MARKETPLACE: _gcp_customer,
}


def customer_config_read(billing_provider: str, reader: Reader) -> CustomerConfig:
    return CUSTOMER_READERS[BillingProvider(billing_provider)](reader)


# --- account level (setUpBillingProvider) --------------------------------------------------


def _stripe_account(reader: Reader, delivery_method: str) -> AccountConfig:
    _only(
        reader, ("name", "stripe_secret_key", "stripe_webhook_secret", "effective_at_end_of_period")
    )
    secret = _match(
        reader,
        "stripe_secret_key",
        _STRIPE_SECRET,
        "a Stripe secret or restricted key (sk_live_..., rk_test_...)",
        required=True,
    )
    webhook = _match(
        reader,
        "stripe_webhook_secret",
        _STRIPE_WEBHOOK_SECRET,
        "a Stripe webhook signing secret (whsec_...)",
        required=False,
    )
    out: dict[str, Any] = {}
    _flags(reader, out, "effective_at_end_of_period")
    return AccountConfig(out, reader.str("name", max_length=200).strip(), secret, webhook)


def _aws_account(reader: Reader, delivery_method: str) -> AccountConfig:
    if delivery_method == DeliveryMethod.AWS_SQS:
        _only(reader, ("aws_sqs_queue_url", "aws_external_id", "aws_iam_role_arn"))
        out = {
            "aws_sqs_queue_url": _match(
                reader,
                "aws_sqs_queue_url",
                _AWS_SQS_URL,
                "an SQS queue URL (https://sqs.<region>.amazonaws.com/<account>/<queue>)",
                required=True,
            )
        }
    elif delivery_method == DeliveryMethod.AWS_SNS:
        _only(reader, ("aws_sns_topic_arn", "aws_external_id", "aws_iam_role_arn"))
        out = {
            "aws_sns_topic_arn": _match(
                reader, "aws_sns_topic_arn", _AWS_SNS_ARN, "an SNS topic ARN", required=True
            )
        }
    else:
        if reader.has("aws_metering_dimension"):  # invoices are no longer metered as amounts
            raise reader.fail(
                "aws_metering_dimension",
                "is no longer used: usage is metered hourly to the dimension each product "
                "names in its custom field aws_marketplace_dimension.",
            )
        _only(reader, ("aws_external_id", "aws_iam_role_arn"))
        out = {}
    role = _match(
        reader,
        "aws_iam_role_arn",
        _AWS_ROLE_ARN,
        "an IAM role ARN (arn:aws:iam::<account>:role/<name>)",
        required=delivery_method == DeliveryMethod.DIRECT,
    )
    if role:
        out["aws_iam_role_arn"] = role
    external = reader.str("aws_external_id", max_length=1224).strip()
    if external:
        out["aws_external_id"] = external
    return AccountConfig(out)


def _azure_account(reader: Reader, delivery_method: str) -> AccountConfig:
    _only(reader, ("azure_tenant_id", "azure_client_id", "azure_client_secret"))
    out = {
        "azure_tenant_id": _uuid(reader, "azure_tenant_id", required=True),
        "azure_client_id": _uuid(reader, "azure_client_id", required=True),
    }
    secret = reader.str("azure_client_secret", required=True, max_length=500)
    return AccountConfig(out, secret_key=secret)


def _gcp_account(reader: Reader, delivery_method: str) -> AccountConfig:
    _only(reader, ("gcp_project_id", "gcp_project_number", "gcp_service_account_email"))
    out = {
        "gcp_project_id": _match(
            reader,
            "gcp_project_id",
            _GCP_PROJECT,
            "a GCP project id (6-30 lowercase letters, digits, hyphens)",
            required=True,
        )
    }
    number = _match(
        reader,
        "gcp_project_number",
        re.compile(r"^\d{1,20}$"),
        "a GCP project number (digits)",
        required=False,
    )
    if number:
        out["gcp_project_number"] = number
    email = _match(
        reader,
        "gcp_service_account_email",
        _GCP_SERVICE_ACCOUNT,
        "a service account e-mail (<name>@<project>.iam.gserviceaccount.com)",
        required=False,
    )
    if email:
        out["gcp_service_account_email"] = email
    return AccountConfig(out)


ACCOUNT_READERS = {
    BillingProvider.STRIPE: _stripe_account,
    BillingProvider.AWS_MARKETPLACE: _aws_account,
    BillingProvider.AZURE_MARKETPLACE: _azure_account,
    BillingProvider.GCP_MARKETPLACE: _gcp_account,
}
# Which delivery methods each provider can be set up with.
DELIVERY_METHODS = {
    BillingProvider.STRIPE: (DeliveryMethod.DIRECT,),
    BillingProvider.AWS_MARKETPLACE: (
        DeliveryMethod.DIRECT,
        DeliveryMethod.AWS_SQS,
        DeliveryMethod.AWS_SNS,
    ),
    BillingProvider.AZURE_MARKETPLACE: (DeliveryMethod.DIRECT,),
    BillingProvider.GCP_MARKETPLACE: (DeliveryMethod.DIRECT,),
}


def account_config_read(
    billing_provider: str, delivery_method: str, reader: Reader
) -> AccountConfig:
    return ACCOUNT_READERS[BillingProvider(billing_provider)](reader, delivery_method)
