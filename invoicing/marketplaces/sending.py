"""Sending recorded hours to their marketplace, and retrying what failed.

Due records (PENDING, or FAILED with next_attempt_at passed) are sent in batches per listing
(AWS: per product code and region too), each batch under its rows' locks. A record always
carries its stored quantity and hour, so a resend is the same record to the marketplace. What
is refused or left unprocessed is FAILED with the error kept, and retried with exponential
backoff (MARKETPLACE_METERING_RETRY_MINUTES, doubling, up to
MARKETPLACE_METERING_MAX_ATTEMPTS); a refusal that can never succeed stops at once. Finance
sees failures (invoice page, Marketplace metering page) and can retry one by hand.
"""

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import islice

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from customers.models import BillingProvider, ConfiguredBillingProvider
from invoicing.marketplaces.base import MarketplaceMeter, MeterResult
from invoicing.marketplaces.models import MarketplaceMeterRecord, MeterStatus

logger = logging.getLogger(__name__)
NOT_PROCESSED = "Not processed by the marketplace this time; retried."
RETRY_ACCEPTED = "Sent again by hand."


def meter_for(provider: ConfiguredBillingProvider) -> MarketplaceMeter:
    if provider.billing_provider == BillingProvider.AWS_MARKETPLACE:
        from invoicing.marketplaces.aws import AwsMarketplaceMeter

        return AwsMarketplaceMeter(provider)
    if provider.billing_provider == BillingProvider.AZURE_MARKETPLACE:
        from invoicing.marketplaces.azure import AzureMarketplaceMeter

        return AzureMarketplaceMeter(provider)
    from invoicing.marketplaces.gcp import GcpMarketplaceMeter

    return GcpMarketplaceMeter(provider)


def _backoff(attempts: int) -> timedelta:
    minutes = settings.MARKETPLACE_METERING_RETRY_MINUTES * 2 ** max(attempts - 1, 0)
    return timedelta(minutes=min(minutes, 24 * 60))


def _due(now: datetime) -> dict[tuple, list[int]]:
    rows = (
        MarketplaceMeterRecord.objects.filter(
            Q(status=MeterStatus.PENDING) | Q(status=MeterStatus.FAILED),
            next_attempt_at__lte=now,
        )
        .select_related("configuration")
        .order_by("hour", "pk")
    )
    groups: dict[tuple, list[int]] = defaultdict(list)
    for row in rows:
        config = row.configuration.configuration
        key = (
            row.configuration.provider_id,
            row.billing_provider,
            config.get("aws_product_code"),
            config.get("aws_region"),
        )
        groups[key].append(row.pk)
    return groups


def _apply(record: MarketplaceMeterRecord, result: MeterResult | None, now: datetime) -> None:
    record.attempts += 1
    if result is not None and result.accepted:
        record.status, record.error, record.sent_at = MeterStatus.SENT, "", now
        record.external_id = result.external_id or record.external_id
        record.next_attempt_at = None
    else:
        record.status = MeterStatus.FAILED
        record.error = result.error if result is not None else NOT_PROCESSED
        retry = result is None or result.retry
        more = record.attempts < settings.MARKETPLACE_METERING_MAX_ATTEMPTS
        record.next_attempt_at = now + _backoff(record.attempts) if retry and more else None
    record.save(
        update_fields=[
            "status", "error", "sent_at", "external_id", "attempts", "next_attempt_at",
            "updated_at",
        ]
    )  # fmt: skip


@transaction.atomic
def _send_batch(record_ids: Sequence[int], now: datetime) -> int:
    records = list(
        MarketplaceMeterRecord.objects.select_for_update(skip_locked=True)
        .filter(pk__in=record_ids, status__in=[MeterStatus.PENDING, MeterStatus.FAILED])
        .select_related("configuration__provider")
        .order_by("hour", "pk")
    )
    if not records:
        return 0
    meter = meter_for(records[0].configuration.provider)
    try:
        results = meter.submit(records)
    except Exception as err:  # transport, credentials, a refused batch: all retried
        logger.warning("marketplace metering: batch of %d failed: %s", len(records), err)
        error = f"{type(err).__name__}: {err}"[:2000]
        results = {r.pk: MeterResult(False, error=error) for r in records}
    for record in records:
        _apply(record, results.get(record.pk), now)
    return sum(1 for r in records if r.status == MeterStatus.SENT)


def marketplace_records_send(*, now: datetime) -> int:
    """Send every due record; one listing's failure never stops the others."""
    sent = 0
    for key, ids in _due(now).items():
        # AWS BatchMeterUsage and Azure batchUsageEvent take 25 records a call.
        size = 100 if key[1] == BillingProvider.GCP_MARKETPLACE else 25
        it = iter(ids)
        while batch := list(islice(it, size)):
            try:
                sent += _send_batch(batch, now)
            except Exception:
                logger.exception("marketplace metering: listing %s", key[0])
    return sent


def meter_record_retry(*, record: MarketplaceMeterRecord, now: datetime) -> MarketplaceMeterRecord:
    """Finance's retry of a failed record: due now, with a fresh allowance of attempts."""
    with transaction.atomic():
        locked = MarketplaceMeterRecord.objects.select_for_update().get(pk=record.pk)
        if locked.status != MeterStatus.FAILED:
            return locked
        locked.attempts = 0
        locked.next_attempt_at = now
        locked.save(update_fields=["attempts", "next_attempt_at", "updated_at"])
    _send_batch([locked.pk], now)
    locked.refresh_from_db()
    return locked
