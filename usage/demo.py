"""Demo usage: billable metrics of an AI API company and the last 30 days of realistic events of
each demo customer (customers.demo: never anyone else's), ingested through the real ingest
service. Idempotent: a day's events (and their transaction ids) depend only on the alias and
the date, so a later run adds only what has happened since, bounded to 30 days of 8 customers;
events later than now wait for a later run."""

import random
from datetime import timedelta

from django.utils import timezone

from customers import demo as customers_demo
from customers.models import Customer
from usage.models import BillableMetric
from usage.rollups import rollups_advance
from usage.services import billable_metric_create, usage_ingest

METRICS = (
    {"name": "Input tokens", "event_type_filter": {"in_values": ["completion"]}, "aggregation_type": "SUM",
     "aggregation_key": "input_tokens", "group_keys": [["model"]]},
    {"name": "Output tokens", "event_type_filter": {"in_values": ["completion"]}, "aggregation_type": "SUM",
     "aggregation_key": "output_tokens", "group_keys": [["model"]]},
    {"name": "API calls", "event_type_filter": {"in_values": ["api_call"]}, "aggregation_type": "COUNT"},
    {"name": "Storage GB-hours", "event_type_filter": {"in_values": ["storage"]}, "aggregation_type": "SUM",
     "aggregation_key": "gb_hours", "group_keys": [["region"]]},
    {"name": "Fine-tuning jobs", "event_type_filter": {"in_values": ["fine_tune"]}, "aggregation_type": "COUNT",
     "property_filters": [{"name": "status", "in_values": ["succeeded"]}]},
)  # fmt: skip

MODELS = (("atlas-large", 0.2), ("atlas-mini", 0.7), ("atlas-vision", 0.1))
REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")
DAYS = 30


def metrics() -> dict[str, BillableMetric]:
    out = {}
    for spec in METRICS:
        existing = BillableMetric.objects.filter(
            name=spec["name"], archived_at__isnull=True
        ).first()
        out[spec["name"]] = existing or billable_metric_create(**spec)
    return out


def _events_for(customer: Customer, alias: str, day: int, now) -> list[dict]:
    scale = 1 + (customer.pk % 4)
    base = (now - timedelta(days=DAYS - day)).replace(hour=0, minute=0, second=0, microsecond=0)
    rng = random.Random(f"{alias}:{base:%Y-%m-%d}")  # the same day, the same events
    events = []
    for i in range(rng.randint(15, 25) * scale):
        model = rng.choices([m for m, _ in MODELS], weights=[w for _, w in MODELS])[0]
        at = base + timedelta(seconds=rng.randint(0, 86_399))
        events.append(
            {
                "event_type": "completion",
                "timestamp": at,
                "properties": {
                    "model": model,
                    "input_tokens": rng.randint(2_000, 60_000),
                    "output_tokens": rng.randint(500, 15_000),
                },
            }
        )
        if i % 2 == 0:
            events.append(
                {
                    "event_type": "api_call",
                    "timestamp": at,
                    "properties": {"endpoint": "/v1/embeddings"},
                }
            )
    for region in REGIONS[: 1 + customer.pk % 3]:
        events.append(
            {
                "event_type": "storage",
                "timestamp": base + timedelta(hours=23),
                "properties": {"region": region, "gb_hours": rng.randint(100, 2_400) * scale},
            }
        )
    if rng.random() < 0.15:
        events.append(
            {
                "event_type": "fine_tune",
                "timestamp": base + timedelta(hours=12),
                "properties": {"status": rng.choice(["succeeded", "succeeded", "failed"])},
            }
        )
    for index, event in enumerate(events):
        event["transaction_id"] = f"demo-{alias}-{base:%Y%m%d}-{index}"
        event["customer_id"] = alias
    # Not yet happened: left for a later run (with the same ids, so never twice).
    events = [event for event in events if event["timestamp"] <= now]
    for event in events:
        event["timestamp"] = event["timestamp"].isoformat()
    return events  # fmt: skip


def load(stdout) -> None:
    metrics()
    now = timezone.now()
    accepted = 0
    for customer in customers_demo.customers():
        aliases = [a.alias for a in customer.aliases.all() if a.active]
        if not aliases:
            continue
        for day in range(1, DAYS + 1):
            events = _events_for(customer, aliases[0], day, now)
            for start in range(0, len(events), 100):
                accepted += usage_ingest(events=events[start : start + 100], now=now).accepted
    # Roll the demo's usage up now, as the worker's beat would within a minute, so that the
    # invoices and alerts computed next read rollups rather than every raw event.
    while rollups_advance():
        pass
    stdout.write(f"Usage demo: {len(METRICS)} billable metrics, {accepted} new events ingested.")
