"""A small priced world for invoicing tests: one metric, one product, a rate card, a contract."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from contracts.models import Contract
from contracts.services import contract_create
from customers.models import Customer
from customers.services import customer_create
from pricing.services import product_create, rate_add, rate_card_create
from usage.services import billable_metric_create, usage_ingest

JAN = datetime(2026, 1, 1, tzinfo=UTC)
FEB = datetime(2026, 2, 1, tzinfo=UTC)
MAR = datetime(2026, 3, 1, tzinfo=UTC)


@dataclass
class World:
    customer: Customer
    contract: Contract
    product: Any
    rate_card: Any
    rate: Any


def priced_world(
    *, price: int = 5, contract_extra: dict | None = None, alias: str = "acme"
) -> World:
    metric = billable_metric_create(
        name="calls", event_type_filter={"in_values": ["call"]}, aggregation_type="COUNT"
    )
    product = product_create(name="Calls", type="USAGE", billable_metric=metric)
    card = rate_card_create(name="Standard")
    rate = rate_add(rate_card=card, product=product, starting_at=JAN, rate_type="FLAT", price=price)
    customer = customer_create(name="Acme", ingest_aliases=[alias])
    data = {
        "starting_at": "2026-01-01T00:00:00Z",
        "rate_card_id": str(card.public_id),
        "usage_statement_schedule": {"frequency": "MONTHLY"},
    }
    data.update(contract_extra or {})
    contract = contract_create(customer=customer, data=data)
    return World(customer, contract, product, card, rate)


def send_calls(count: int, at: datetime, *, alias: str = "acme", prefix: str = "e") -> None:
    events = [
        {"transaction_id": f"{prefix}-{at.isoformat()}-{i}", "customer_id": alias, "event_type": "call",
         "timestamp": at.isoformat(), "properties": {}}
        for i in range(count)
    ]  # fmt: skip
    for start in range(0, len(events), 100):
        usage_ingest(events=events[start : start + 100], now=at + timedelta(minutes=1))
