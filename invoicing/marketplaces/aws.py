"""AWS Marketplace metering: BatchMeterUsage (boto3 `meteringmarketplace`).

Credentials: the process's (instance role, environment), or, when the configured provider
names an IAM role, that role assumed through STS with its external id.
"""

from typing import Any

import boto3
from botocore.config import Config

from customers.models import BillingProvider, ConfiguredBillingProvider
from invoicing.marketplaces.base import MarketplaceMeter, MeterResult, UsageRecord

ACCEPTED = {"Success", "DuplicateRecord"}  # DuplicateRecord: already metered (a resend)
RETRIES = Config(retries={"mode": "standard", "max_attempts": 5})  # throttling backs off


def metering_client(provider: ConfiguredBillingProvider, region: str) -> Any:
    """The seam tests replace with a botocore Stubber-wrapped client."""
    config = provider.configuration
    role = config.get("aws_iam_role_arn")
    if not role:
        return boto3.client("meteringmarketplace", region_name=region, config=RETRIES)
    assume: dict[str, Any] = {"RoleArn": role, "RoleSessionName": "billing-console-metering"}
    if config.get("aws_external_id"):
        assume["ExternalId"] = config["aws_external_id"]
    credentials = boto3.client("sts", region_name=region).assume_role(**assume)["Credentials"]
    return boto3.client(
        "meteringmarketplace",
        region_name=region,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        config=RETRIES,
    )


class AwsMarketplaceMeter(MarketplaceMeter):
    billing_provider = BillingProvider.AWS_MARKETPLACE

    def __init__(self, provider: ConfiguredBillingProvider) -> None:
        self.provider = provider

    def submit(self, record: UsageRecord, configuration: dict) -> MeterResult:
        client = metering_client(self.provider, configuration["aws_region"])
        usage: dict[str, Any] = {
            "Timestamp": record.timestamp,
            "CustomerIdentifier": record.customer_identifier,
            "Dimension": record.dimension,
            "Quantity": record.quantity,
        }
        response = client.batch_meter_usage(
            UsageRecords=[usage], ProductCode=configuration["aws_product_code"]
        )
        results = response.get("Results") or []
        if not results:
            return MeterResult(False, "", "AWS left the record unprocessed.", retry=True)
        result = results[0]
        status = result.get("Status", "")
        if status in ACCEPTED:
            return MeterResult(True, result.get("MeteringRecordId", ""))
        return MeterResult(False, result.get("MeteringRecordId", ""), f"AWS: {status}")
