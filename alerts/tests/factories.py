"""A priced world for alert tests: calls priced per call, grouped by user_id, on a monthly
contract from January 2026; helpers to send calls and to read what was published."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from contracts.models import Contract
from contracts.services import contract_create
from customers.models import Customer
from customers.services import customer_create
from pricing.services import product_create, rate_add, rate_card_create
from usage.services import billable_metric_create, usage_ingest
from webhooks.models import OutboundEvent

JAN = datetime(2026, 1, 1, tzinfo=UTC)
FEB = datetime(2026, 2, 1, tzinfo=UTC)
MID_JAN = datetime(2026, 1, 15, 12, tzinfo=UTC)


@dataclass
class World:
    customer: Customer
    contract: Contract
    product: Any
    metric: Any
    rate_card: Any


def spend_world(
    *, price: int = 100, alias: str = "acme", contract_extra: dict | None = None
) -> World:
    """Calls cost `price` cents each; the metric has user_id as a group key."""
    metric = billable_metric_create(
        name="calls", event_type_filter={"in_values": ["call"]}, aggregation_type="COUNT",
        group_keys=[["user_id"]],
    )  # fmt: skip
    product = product_create(name="Calls", type="USAGE", billable_metric=metric)
    card = rate_card_create(name="Standard")
    rate_add(rate_card=card, product=product, starting_at=JAN, rate_type="FLAT", price=price)
    customer = customer_create(name="Acme", ingest_aliases=[alias])
    data = {
        "starting_at": "2026-01-01T00:00:00Z",
        "rate_card_id": str(card.public_id),
        "usage_statement_schedule": {"frequency": "MONTHLY"},
        **(contract_extra or {}),
    }
    contract = contract_create(customer=customer, data=data)
    return World(customer, contract, product, metric, card)


def send_calls(
    count: int, at: datetime, *, user_id: str | None = None, alias: str = "acme", prefix: str = "e"
) -> None:
    properties = {"user_id": user_id} if user_id is not None else {}
    events = [
        {"transaction_id": f"{prefix}-{user_id}-{at.isoformat()}-{i}", "customer_id": alias,
         "event_type": "call", "timestamp": at.isoformat(), "properties": properties}
        for i in range(count)
    ]  # fmt: skip
    for start in range(0, len(events), 100):
        usage_ingest(events=events[start : start + 100], now=at + timedelta(minutes=1))


def published(event_type: str | None = None) -> list[OutboundEvent]:
    events = OutboundEvent.objects.order_by("created_at", "pk")
    if event_type is not None:
        events = events.filter(type=event_type)
    return list(events)
