"""AWS Marketplace metering: BatchMeterUsage (boto3 `meteringmarketplace`), up to 25 records of
one product a call.

Credentials: the process's (instance role, environment), or, when the configured provider
names an IAM role, that role assumed through STS with its external id. Throttling and 5xx are
retried inside the call by botocore's standard retry mode; UnprocessedRecords are left to
sending.py's backoff. AWS treats an identical record (customer, dimension, hour, quantity) as
the same one, so a resend is never a second charge.
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config

from customers.models import BillingProvider, ConfiguredBillingProvider
from invoicing.marketplaces.base import MarketplaceMeter, MeterResult
from invoicing.marketplaces.models import MarketplaceMeterRecord

RETRIES = Config(retries={"mode": "standard", "max_attempts": 5})  # throttling backs off
# DuplicateRecord: AWS already holds this customer, dimension and hour with another quantity;
# sending ours again can never succeed.
FINAL_REFUSALS = {"DuplicateRecord"}


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


def _key(customer: str, dimension: str, timestamp: datetime) -> tuple:
    if timestamp.tzinfo is None:
        timestamp = timestamp.replace(tzinfo=UTC)
    return customer, dimension, timestamp.astimezone(UTC)


def usage_record(record: MarketplaceMeterRecord) -> dict[str, Any]:
    return {
        "Timestamp": record.hour,
        "CustomerIdentifier": record.configuration.configuration["aws_customer_id"],
        "Dimension": record.dimension,
        "Quantity": record.quantity,
    }


class AwsMarketplaceMeter(MarketplaceMeter):
    billing_provider = BillingProvider.AWS_MARKETPLACE

    def submit(self, records: Sequence[MarketplaceMeterRecord]) -> dict[int, MeterResult]:
        configuration = records[0].configuration.configuration  # one product and region
        client = metering_client(self.provider, configuration["aws_region"])
        usage = [usage_record(r) for r in records]
        response = client.batch_meter_usage(
            UsageRecords=usage, ProductCode=configuration["aws_product_code"]
        )
        by_key = {
            _key(u["CustomerIdentifier"], u["Dimension"], u["Timestamp"]): r.pk
            for u, r in zip(usage, records, strict=True)
        }
        out: dict[int, MeterResult] = {}
        for result in response.get("Results") or []:
            sent = result.get("UsageRecord") or {}
            pk = by_key.get(
                _key(sent.get("CustomerIdentifier", ""), sent.get("Dimension", ""),
                     sent.get("Timestamp") or datetime.min.replace(tzinfo=UTC))
            )  # fmt: skip
            if pk is None:
                continue
            status = result.get("Status", "")
            record_id = result.get("MeteringRecordId", "")
            if status == "Success":
                out[pk] = MeterResult(True, record_id)
            else:
                out[pk] = MeterResult(
                    False, record_id, f"AWS: {status}", retry=status not in FINAL_REFUSALS
                )
        # UnprocessedRecords (and anything AWS did not mention) stay absent: retried.
        return out
