"""Cost preview: the customer's current usage statements rated over hypothetical events, by
the same path as real invoices (usage lines, overrides, composite, drawdown), writing nothing."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from billing_console.api import ApplicationError
from billing_console.wire import Reader
from customers.models import Customer
from invoicing.models import Invoice
from invoicing.rating.lines import DraftLine
from invoicing.services import current_statements
from usage.event_keys import kept_keys, key_of
from usage.metrics import aggregate, only_rows
from usage.models import UsageEvent
from usage.selectors import customer_event_ids

MAX_EVENTS = 1000
DEDUPE_WINDOW = timedelta(days=34)


@dataclass
class Preview:
    invoice: Invoice  # unsaved when the period has no statement yet
    lines: list[DraftLine]

    @property
    def total(self) -> Decimal:
        return sum((line.total for line in self.lines), Decimal(0))

    @property
    def subtotal(self) -> Decimal:
        return sum(
            (line.total for line in self.lines if not line.type.startswith("APPLIED_")), Decimal(0)
        )


def _read_events(raw: Any, now: datetime, mode: str) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        raise ApplicationError("events: must be a list.")
    if mode == "merge" and not raw:
        raise ApplicationError("events: at least one event is required in merge mode.")
    if len(raw) > MAX_EVENTS:
        raise ApplicationError(f"events: at most {MAX_EVENTS} events per preview.")
    events, seen = [], set()
    for index, item in enumerate(raw):
        reader = Reader(item, f"events[{index}]")
        properties = reader.raw("properties", {})
        if not isinstance(properties, dict):
            raise reader.fail("properties", "must be an object.")
        transaction_id = reader.str("transaction_id", max_length=128)
        if transaction_id and transaction_id in seen:
            raise reader.fail("transaction_id", "is repeated in this request.")
        seen.add(transaction_id)
        events.append({
            "transaction_id": transaction_id,
            "event_type": reader.str("event_type", required=True, max_length=255),
            "timestamp": reader.datetime("timestamp") or now,
            "properties": properties,
        })  # fmt: skip
    return events


def _usage_source(
    customer: Customer, events: list[dict[str, Any]], include_stored: bool
) -> Callable[..., dict]:
    event_ids = customer_event_ids(customer) if include_stored else []

    def usage(
        *,
        metric: Any,
        customer: Customer,
        starting_at: datetime,
        ending_before: datetime,
        group_by=None,
        only=None,  # a contract's usage filter (invoicing.rating.quantities)
    ):
        if getattr(metric, "sql", ""):
            raise ApplicationError("events: previews are not supported for SQL billable metrics.")
        rows: list[tuple[int, datetime, str, dict[str, Any]]] = []
        if include_stored:
            rows += UsageEvent.objects.filter(
                customer_id__in=event_ids, timestamp__gte=starting_at, timestamp__lt=ending_before
            ).values_list("id", "timestamp", "event_type", "properties")
        order = 10**18  # hypothetical events come after stored ones at the same timestamp
        rows += [
            (order + i, e["timestamp"], e["event_type"], e["properties"])
            for i, e in enumerate(events)
            if starting_at <= e["timestamp"] < ending_before
        ]
        return aggregate(metric, only_rows(rows, only), group_by)

    return usage


def _without_stored_duplicates(events: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    ids = [e["transaction_id"] for e in events if e["transaction_id"]]
    if not ids:
        return events
    by_key = {key_of(t): t for t in ids}
    stored = {by_key[key] for key in kept_keys(list(by_key), since=now - DEDUPE_WINDOW)}
    return [e for e in events if not e["transaction_id"] or e["transaction_id"] not in stored]


def preview_events(
    *, customer: Customer, events: Any, mode: str = "replace", now: datetime | None = None
) -> list[Preview]:
    """One preview per active contract: its statement for the period containing `now`."""
    now = now or timezone.now()
    if mode not in ("replace", "merge"):
        raise ApplicationError("mode: must be replace or merge.")
    parsed = _read_events(events, now, mode)
    if mode == "merge":
        parsed = _without_stored_duplicates(parsed, now)
    source = _usage_source(customer, parsed, include_stored=mode == "merge")
    return [
        Preview(invoice, lines)
        for _contract, _period, invoice, lines in current_statements(customer, now, usage=source)
    ]
