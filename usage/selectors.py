"""Usage reads: metric values per customer, period and group; event search."""

import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone

from billing_console.api import get_by_public_id
from customers.models import Customer, IngestAlias
from usage.event_keys import event_ids_of
from usage.metrics import Only, aggregate, event_matches, only_rows
from usage.models import BillableMetric, UsageEvent
from usage.retention import raw_reads_check
from usage.rollups import rollup_usage


def customer_event_ids(customer: Customer) -> list[str]:
    """Every customer_id an event may carry for this customer: its id and its ingest aliases
    (read once within `event_ids_held`)."""
    held = getattr(customer, "_event_ids_held", None)
    if held is not None:
        return held
    aliases = list(IngestAlias.objects.filter(customer=customer).values_list("alias", flat=True))
    return [str(customer.public_id), *aliases]


@contextmanager
def event_ids_held(customer: Customer) -> Iterator[None]:
    """Within the block, the customer's event ids are read once (a statement asks for them once
    per usage product)."""
    if getattr(customer, "_event_ids_held", None) is not None:
        yield
        return
    customer._event_ids_held = customer_event_ids(customer)
    try:
        yield
    finally:
        customer._event_ids_held = None


def event_ids_hold(customers: Iterable[Customer]) -> None:
    """Every customer's event ids (its id and ingest aliases) read in one query and held on it,
    as `event_ids_held` holds one customer's: for a batch (close, refresh) whose customer
    objects live no longer than it."""
    by_pk = {customer.pk: customer for customer in customers}
    held: dict[int, list[str]] = {pk: [str(c.public_id)] for pk, c in by_pk.items()}
    aliases = IngestAlias.objects.filter(customer_id__in=list(by_pk))
    for customer_id, alias in aliases.values_list("customer_id", "alias"):
        held[customer_id].append(alias)
    for pk, customer in by_pk.items():
        customer._event_ids_held = held[pk]


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
    only: Only | None = None,
) -> dict[tuple, Decimal]:
    """{group values tuple: value} of `metric` for the customer's events in the period.
    Groups with no matching event are absent. `only` = (property, values): count only the
    events whose property is one of the values (a contract's usage filter)."""
    if metric.sql:
        return _sql_usage(metric, customer, starting_at, ending_before, group_by, bucket, only)
    event_ids = customer_event_ids(customer)
    from_rollups = rollup_usage(
        metric=metric, customer_ids=event_ids, starting_at=starting_at, ending_before=ending_before,
        group_by=group_by, bucket=bucket, only=only,
    )  # fmt: skip
    if from_rollups is not None:
        return from_rollups
    raw_reads_check([(metric, starting_at)])
    rows = _events(metric, event_ids, starting_at, ending_before).values_list(
        "id", "timestamp", "event_type", "properties"
    )
    return aggregate(metric, only_rows(rows.iterator(chunk_size=5000), only), group_by, bucket)


def metric_usage_over(
    *, metric: BillableMetric, events: list[dict[str, Any]], group_by: list[str] | None = None
) -> dict[tuple, Decimal]:
    """The same aggregation over hypothetical events (cost preview, metric preview)."""
    if metric.sql:
        from usage.sql import SqlMetricFailed
        from usage.sql_run import sql_value_over

        try:
            total = sql_value_over(metric.sql, events)
        except SqlMetricFailed as failed:
            raise failed.of(metric) from failed
        return {} if total is None else {(None,) * len(group_by or []): total}
    rows = [
        (i, e["timestamp"], e["event_type"], e.get("properties") or {})
        for i, e in enumerate(events)
    ]
    return aggregate(metric, rows, group_by)


def events_search(*, transaction_ids: list[str], since: datetime | None = None) -> list[UsageEvent]:
    """The events with these transaction ids among those received in the dedupe window (found
    through their keys), that happened at or after `since`."""
    event_ids = event_ids_of(transaction_ids)
    qs = UsageEvent.objects.filter(
        pk__in=list(event_ids.values()), transaction_id__in=transaction_ids
    )
    if since is not None:
        qs = qs.filter(timestamp__gte=since)
    return list(qs.order_by("timestamp", "id"))


# -- windows, SQL metrics, customers of events, event search -----------------------------------

WINDOW_SIZES = {"HOUR": timedelta(hours=1), "DAY": timedelta(days=1)}


class Windows:
    """Half-open windows [start, end) of `size` (HOUR, DAY or NONE = the whole period) tiling
    [starting_at, ending_before), in UTC. Called with a timestamp, returns its window's start:
    a `bucket` for metric_usage."""

    def __init__(self, starting_at: datetime, ending_before: datetime, size: str) -> None:
        self.starting_at = starting_at
        self.ending_before = ending_before
        self.step = WINDOW_SIZES.get(size)

    def __call__(self, at: datetime) -> datetime:
        if self.step is None:
            return self.starting_at
        return self.starting_at + ((at - self.starting_at) // self.step) * self.step

    def aligned(self, span: timedelta) -> bool:
        """Whether every span of time of this length starting at a multiple of it in UTC (an
        hour, a day) falls in one window: rollups of that span can then answer (usage.rollups)."""
        if self.step is None:
            return True
        since_epoch = self.starting_at - datetime(1970, 1, 1, tzinfo=UTC)
        return self.step % span == timedelta(0) and since_epoch % span == timedelta(0)

    def bounds(self, start: datetime) -> tuple[datetime, datetime]:
        end = self.ending_before if self.step is None else start + self.step
        return start, min(end, self.ending_before)

    def count(self) -> int:
        if self.step is None:
            return 1
        return -(-(self.ending_before - self.starting_at) // self.step)

    def all(self) -> list[tuple[datetime, datetime]]:
        return [
            self.bounds(self.starting_at + i * (self.step or timedelta(0)))
            for i in range(self.count())
        ]


def _sql_usage(
    metric: BillableMetric, customer: Customer, starting_at: datetime, ending_before: datetime,
    group_by: list[str] | None, bucket: Callable[[datetime], Any] | None, only: Only | None = None,
) -> dict[tuple, Decimal]:  # fmt: skip
    """A SQL metric is one number per period: no groups (their values read as None). Windows
    are computed by running the query once per window that holds an event of the customer.
    `only` narrows the events the query reads (as text: a property sent as a number matches
    its digits)."""
    from usage.sql import SqlMetricFailed

    try:
        return _sql_values_of(metric, customer, starting_at, ending_before, group_by, bucket, only)
    except SqlMetricFailed as failed:
        raise failed.of(metric) from failed


def _sql_values_of(
    metric: BillableMetric, customer: Customer, starting_at: datetime, ending_before: datetime,
    group_by: list[str] | None, bucket: Callable[[datetime], Any] | None, only: Only | None,
) -> dict[tuple, Decimal]:  # fmt: skip
    from usage.sql_run import sql_values

    raw_reads_check([(metric, starting_at)])
    nones = (None,) * len(group_by or [])
    events = UsageEvent.objects.filter(
        customer_id__in=customer_event_ids(customer),
        timestamp__gte=starting_at,
        timestamp__lt=ending_before,
    )
    if only is not None:
        events = events.alias(_only=KeyTextTransform(only[0], "properties")).filter(
            _only__in=list(only[1])
        )
    if bucket is None:
        total = sql_values(metric.sql, [((), events)]).get(())
        return {} if total is None else {nones: total}
    bounds = getattr(bucket, "bounds", None)
    if bounds is None:
        raise TypeError("SQL metrics need a Windows bucket (with .bounds()) to window usage.")
    starts = sorted({bucket(at) for at in events.values_list("timestamp", flat=True)})
    scoped = []
    for start in starts:
        low, high = bounds(start)
        scoped.append((start, events.filter(timestamp__gte=low, timestamp__lt=high)))
    return {(start, *nones): value for start, value in sql_values(metric.sql, scoped).items()}


def customers_by_event_id(values: list[str]) -> dict[str, Customer]:
    """The customer each event customer_id designates: a customer id, else an ingest alias
    (a live alias first; an archived customer's alias still resolves to it)."""
    found: dict[str, Customer] = {}
    uuids = {}
    for value in set(values):
        try:
            uuids[uuid.UUID(value)] = value
        except ValueError:
            continue
    for customer in Customer.objects.filter(public_id__in=list(uuids)):
        found[uuids[customer.public_id]] = customer
    rest = [v for v in set(values) if v not in found]
    aliases = IngestAlias.objects.filter(alias__in=rest).select_related("customer")
    for alias in aliases.order_by("-active", "-pk"):
        found.setdefault(alias.alias, alias.customer)
    return found


def customer_metric_list(
    *, customer: Customer, include_archived: bool = False, now: datetime | None = None
) -> QuerySet[BillableMetric]:
    """Metrics of the products priced on the rate cards of the customer's contracts in force
    now (directly or through the contract's package), any version of the product."""
    from contracts.models import Contract
    from pricing.models import ProductVersion, Rate

    now = now or timezone.now()
    contracts = Contract.objects.filter(
        Q(ending_before__isnull=True) | Q(ending_before__gt=now),
        customer=customer,
        archived_at__isnull=True,
        starting_at__lte=now,
    )
    cards = Q(rate_card__in=contracts.values("rate_card")) | Q(
        rate_card__in=contracts.values("package__rate_card")
    )
    products = Rate.objects.filter(cards).values("product")
    metric_ids = ProductVersion.objects.filter(
        product__in=products, billable_metric__isnull=False
    ).values("billable_metric")
    return metric_list(include_archived=include_archived).filter(pk__in=metric_ids)


def event_matched_metrics(events: list[UsageEvent]) -> dict[int, list[BillableMetric]]:
    """{event pk: active metrics the event matches}: structured metrics by their filters, SQL
    metrics by the WHERE of their query."""
    from usage.sql import SqlMetricFailed
    from usage.sql_run import sql_matching

    matched: dict[int, list[BillableMetric]] = {e.pk: [] for e in events}
    if not events:
        return matched
    scope = UsageEvent.objects.filter(pk__in=list(matched))
    for metric in metric_list().order_by("name", "pk"):
        if metric.sql:
            try:
                ids = sql_matching(metric.sql, scope)
            except SqlMetricFailed as failed:  # this metric's data, not the reader's problem
                metric_failure_record(failed.of(metric))
                continue
            hits = [e for e in events if e.transaction_id in ids]
        else:
            hits = [e for e in events if event_matches(metric, e.event_type, e.properties or {})]
        for event in hits:
            matched[event.pk].append(metric)
    return matched


def metric_failure_record(failed: Any) -> None:
    """A SQL metric that failed on events (SqlMetricFailed naming it): recorded on the metric,
    shown on its page with when it happened, and logged."""
    import logging

    from django.utils import timezone

    logging.getLogger(__name__).warning("%s", failed.message)
    if failed.metric is None:
        return
    BillableMetric.objects.filter(pk=failed.metric.pk).update(
        error=failed.message, error_at=timezone.now()
    )
