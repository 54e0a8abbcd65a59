"""Reads for the usage console pages: metric lists with the products using them, the live
preview of a draft metric, the events explorer and the daily usage chart. Read-only."""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet

from billing_console.lib.periods import within_window
from billing_console.wire import text_problem
from customers.models import Customer, IngestAlias
from usage.event_keys import event_ids_of
from usage.metrics import event_matches
from usage.models import BillableMetric, UsageEvent
from usage.selectors import Windows, customer_event_ids, metric_usage, metric_usage_over

PREVIEW_LIMIT = 10_000  # events scanned by a live preview, newest first
EVENT_PAGE = 50
CHART_DAYS = 30


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value).strip())
    except ValueError:
        return None


# -- billable metrics ---------------------------------------------------------------------------


def metric_list(
    *, search: str = "", archived: bool | None = False, aggregation: str = ""
) -> QuerySet:
    """Metrics by name; `archived` False = active only, True = archived only, None = all."""
    qs = BillableMetric.objects.all()
    if archived is not None:
        qs = qs.filter(archived_at__isnull=not archived)
    if aggregation == "SQL":
        qs = qs.exclude(sql="")
    elif aggregation:
        qs = qs.filter(aggregation_type=aggregation)
    search = search.strip()
    if search:
        match = Q(name__icontains=search)
        if (public_id := _uuid(search)) is not None:
            match |= Q(public_id=public_id)
        qs = qs.filter(match)
    return qs.order_by("name", "pk")


def metric_products(metric_ids: list[int]) -> dict[int, list[Any]]:
    """{metric pk: the products (any version) whose definition uses the metric}, by name."""
    from pricing.models import ProductVersion

    found: dict[int, dict[int, Any]] = {pk: {} for pk in metric_ids}
    versions = ProductVersion.objects.filter(billable_metric_id__in=metric_ids).select_related(
        "product"
    )
    for version in versions:
        found[version.billable_metric_id][version.product_id] = version.product
    return {
        pk: sorted(products.values(), key=lambda p: (p.name, p.pk))
        for pk, products in found.items()
    }


def metric_get(public_id: Any) -> BillableMetric | None:
    if (value := _uuid(public_id)) is None:
        return None
    return BillableMetric.objects.filter(public_id=value).first()


# -- live preview of a draft definition ---------------------------------------------------------


@dataclass
class Preview:
    total: Decimal
    groups: list[tuple[list[str], list[tuple[tuple, Decimal]]]]  # [(keys, [(values, value)])]
    matched: int
    scanned: int
    truncated: bool
    starting_at: datetime
    ending_before: datetime


def metric_preview(
    *, metric: BillableMetric, customer: Customer, starting_at: datetime, ending_before: datetime
) -> Preview:
    """What an unsaved `metric` computes over the customer's events in the window (at most
    PREVIEW_LIMIT of them, newest first): total, per group key set, and events matched."""
    rows = (
        UsageEvent.objects.filter(
            customer_id__in=customer_event_ids(customer),
            timestamp__gte=starting_at,
            timestamp__lt=ending_before,
        )
        .order_by("-timestamp", "-id")
        .values("timestamp", "event_type", "properties")[: PREVIEW_LIMIT + 1]
    )
    events = list(rows)
    truncated = len(events) > PREVIEW_LIMIT
    events = events[:PREVIEW_LIMIT]
    events.reverse()  # oldest first, so LATEST sees them in time order
    matched = sum(
        1 for e in events if event_matches(metric, e["event_type"], e["properties"] or {})
    )
    total = metric_usage_over(metric=metric, events=events).get((), Decimal(0))
    groups = []
    for keys in metric.group_keys or []:
        values = metric_usage_over(metric=metric, events=events, group_by=keys)
        ordered = sorted(values.items(), key=lambda kv: tuple(v or "" for v in kv[0]))
        groups.append((keys, ordered))
    return Preview(
        total=total, groups=groups, matched=matched, scanned=len(events), truncated=truncated,
        starting_at=starting_at, ending_before=ending_before,
    )  # fmt: skip


# -- events explorer ----------------------------------------------------------------------------


def customer_lookup(value: str) -> Customer | None:
    """The customer a typed value designates: its id, else a live ingest alias, else any alias."""
    value = value.strip()
    if not value or text_problem(value):  # PostgreSQL cannot even compare text with NUL
        return None
    if (public_id := _uuid(value)) is not None:
        customer = Customer.objects.filter(public_id=public_id).first()
        if customer is not None:
            return customer
    alias = IngestAlias.objects.filter(alias=value).order_by("-active", "-pk").first()
    return alias.customer if alias is not None else None


def customers_of_events(values: list[str]) -> dict[str, Customer]:
    """{event customer_id: the customer it designates} for the values that resolve."""
    found: dict[str, Customer] = {}
    uuids = {u: v for v in set(values) if (u := _uuid(v)) is not None}
    for customer in Customer.objects.filter(public_id__in=list(uuids)):
        found[uuids[customer.public_id]] = customer
    rest = [v for v in set(values) if v not in found]
    aliases = IngestAlias.objects.filter(alias__in=rest).select_related("customer")
    for alias in aliases.order_by("-active", "-pk"):
        found.setdefault(alias.alias, alias.customer)
    return found


@dataclass
class EventPage:
    events: list[UsageEvent]
    next_cursor: str | None
    customers: dict[str, Customer] = field(default_factory=dict)
    matches: dict[int, list[BillableMetric]] = field(default_factory=dict)


def cursor_encode(event: UsageEvent) -> str:
    return f"{event.timestamp.isoformat()}~{event.pk}"


def cursor_decode(raw: str) -> tuple[datetime, int] | None:
    at, _, pk = (raw or "").partition("~")
    try:
        moment, key = datetime.fromisoformat(at), int(pk)
    except ValueError:
        return None
    if moment.tzinfo is None or not within_window(moment):  # year 1 would overflow in the query
        return None
    return moment, key


def event_search(
    *, transaction_id: str = "", customer_ids: list[str] | None = None, event_type: str = "",
    since: datetime | None = None, until: datetime | None = None, after: str = "",
    limit: int = EVENT_PAGE,
) -> EventPage:  # fmt: skip
    """Events newest first, `limit` per page; `after` is the cursor of the previous page's last
    row (keyset on timestamp, id)."""
    qs = UsageEvent.objects.all()
    if transaction_id:
        # One customer's events are read through their own index; across customers, only the
        # dedupe keys (events received in the last 34 days) know where a transaction id is.
        if customer_ids is None:
            qs = qs.filter(pk__in=list(event_ids_of([transaction_id]).values()))
        qs = qs.filter(transaction_id=transaction_id)
    if customer_ids is not None:
        qs = qs.filter(customer_id__in=customer_ids)
    if event_type:
        qs = qs.filter(event_type=event_type)
    if since is not None:
        qs = qs.filter(timestamp__gte=since)
    if until is not None:
        qs = qs.filter(timestamp__lt=until)
    if (cursor := cursor_decode(after)) is not None:
        at, pk = cursor
        qs = qs.filter(Q(timestamp__lt=at) | Q(timestamp=at, id__lt=pk))
    rows = list(qs.order_by("-timestamp", "-id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return EventPage(
        events=rows,
        next_cursor=cursor_encode(rows[-1]) if more else None,
        customers=customers_of_events([e.customer_id for e in rows]),
        matches=matched_metrics(rows),
    )


def matched_metrics(events: list[UsageEvent]) -> dict[int, list[BillableMetric]]:
    """{event pk: active metrics it matches}; SQL metrics by the WHERE of their query (one
    that fails on these events is recorded on the metric and left out)."""
    from usage.selectors import event_matched_metrics

    return event_matched_metrics(events)


def event_types(limit: int = 200) -> list[str]:
    """Event types seen recently, for the explorer's suggestions."""
    recent = UsageEvent.objects.order_by("-id").values_list("event_type", flat=True)[:5000]
    return sorted(set(recent))[:limit]


def customer_choices(limit: int = 500) -> list[Customer]:
    return list(Customer.objects.filter(archived_at__isnull=True).order_by("name", "pk")[:limit])


# -- daily usage chart --------------------------------------------------------------------------


def daily_usage(
    *, metric: BillableMetric, customer: Customer, now: datetime, days: int = CHART_DAYS
) -> list[tuple[datetime, Decimal]]:
    """[(day start, value)] for the last `days` UTC days, today included; empty days are 0."""
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    starting_at = today - timedelta(days=days - 1)
    ending_before = today + timedelta(days=1)
    bucket = Windows(starting_at, ending_before, "DAY")  # midnight-aligned: daily rollups
    values = metric_usage(
        metric=metric, customer=customer, starting_at=starting_at, ending_before=ending_before,
        bucket=bucket,
    )  # fmt: skip
    per_day = {key[0]: value for key, value in values.items()}
    return [
        (day, per_day.get(day, Decimal(0)))
        for day in (starting_at + timedelta(days=i) for i in range(days))
    ]
