"""Usage reads: metric values per customer, period and group; event search."""

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from billing_console.api import get_by_public_id
from customers.models import Customer, IngestAlias
from usage.metrics import aggregate
from usage.models import BillableMetric, UsageEvent


def customer_event_ids(customer: Customer) -> list[str]:
    """Every customer_id an event may carry for this customer: its id and its ingest aliases."""
    aliases = list(IngestAlias.objects.filter(customer=customer).values_list("alias", flat=True))
    return [str(customer.public_id), *aliases]


def metric_get(public_id: Any, field: str = "billable_metric_id") -> BillableMetric:
    return get_by_public_id(BillableMetric.objects.all(), public_id, "billable metric", field)


def metric_list(*, include_archived: bool = False) -> QuerySet[BillableMetric]:
    qs = BillableMetric.objects.all()
    return qs if include_archived else qs.filter(archived_at__isnull=True)


def _events(
    metric: BillableMetric, customer_ids: list[str], starting_at: datetime, ending_before: datetime
) -> QuerySet:
    qs = UsageEvent.objects.filter(
        customer_id__in=customer_ids, timestamp__gte=starting_at, timestamp__lt=ending_before
    )
    in_values = (metric.event_type_filter or {}).get("in_values")
    if in_values:
        qs = qs.filter(event_type__in=in_values)
    return qs


def metric_usage(
    *,
    metric: BillableMetric,
    customer: Customer,
    starting_at: datetime,
    ending_before: datetime,
    group_by: list[str] | None = None,
    bucket: Callable[[datetime], Any] | None = None,
) -> dict[tuple, Decimal]:
    """{group values tuple: value} of `metric` for the customer's events in the period.
    Groups with no matching event are absent."""
    rows = _events(metric, customer_event_ids(customer), starting_at, ending_before).values_list(
        "id", "timestamp", "event_type", "properties"
    )
    return aggregate(metric, rows.iterator(chunk_size=5000), group_by, bucket)


def metric_usage_over(
    *, metric: BillableMetric, events: list[dict[str, Any]], group_by: list[str] | None = None
) -> dict[tuple, Decimal]:
    """The same aggregation over hypothetical events (cost preview, metric preview)."""
    rows = [
        (i, e["timestamp"], e["event_type"], e.get("properties") or {})
        for i, e in enumerate(events)
    ]
    return aggregate(metric, rows, group_by)


def events_search(*, transaction_ids: list[str]) -> list[UsageEvent]:
    return list(
        UsageEvent.objects.filter(transaction_id__in=transaction_ids).order_by("timestamp", "id")
    )
