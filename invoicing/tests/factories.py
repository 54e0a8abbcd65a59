"""A small priced world for invoicing tests: one metric, one product, a rate card, a contract."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from contracts.models import Contract
from contracts.services import contract_create
from customers.models import Customer
from customers.services import customer_create
from pricing.services import product_create, rate_add, rate_card_create
from usage.rollups import rollups_advance, rollups_backfill
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


def recharge_world(gate: str = "NONE", **gate_config: Any) -> World:
    """A priced world (5 cents a call) whose contract auto-recharges below 1,000 cents to 5,000,
    starting with a 5,000-cent prepaid commit; payment-gated on `gate` (NONE, STRIPE,
    EXTERNAL), with any further payment_gate_config fields."""
    fixed = product_create(name="Prepaid credits", type="FIXED")
    return priced_world(
        price=5,
        contract_extra={
            "commits": [{
                "type": "PREPAID", "product_id": str(fixed.public_id), "name": "Starting balance",
                "priority": 1,
                "access_schedule": {"schedule_items": [{
                    "amount": 5000, "starting_at": "2026-01-01T00:00:00Z",
                    "ending_before": "2027-01-01T00:00:00Z",
                }]},
            }],
            "prepaid_balance_threshold_configuration": {
                "commit": {"product_id": str(fixed.public_id), "name": "Auto-recharge"},
                "is_enabled": True,
                "payment_gate_config": {"payment_gate_type": gate, **gate_config},
                "threshold_amount": 1000,
                "recharge_to_amount": 5000,
            },
        },
    )  # fmt: skip


def plain_contracts(count: int, tag: str) -> list[int]:
    """`count` contracts on one flat-rate card ($2 an event, no commits: a commit's balances are
    read per statement), customer i with the alias `{tag}-{i}` and i + 1 events on Feb 1, rolled
    up, February's drafts refreshed. Returns their ids."""
    from invoicing.refresh_batch import contracts_refresh

    metric = billable_metric_create(
        name=f"m{tag}", event_type_filter={"in_values": [f"e{tag}"]}, aggregation_type="COUNT"
    )
    rollups_backfill(metric=metric)
    product = product_create(name=f"P{tag}", type="USAGE", billable_metric=metric)
    card = rate_card_create(name=f"C{tag}")
    rate_add(rate_card=card, product=product, starting_at=JAN, rate_type="FLAT", price="2")
    ids = []
    for i in range(count):
        customer = customer_create(name=f"{tag}{i}", ingest_aliases=[f"{tag}-{i}"])
        ids.append(contract_create(customer=customer, data={
            "starting_at": JAN.isoformat(), "rate_card_id": str(card.public_id),
            "usage_statement_schedule": {"frequency": "MONTHLY"},
        }).pk)  # fmt: skip
        usage_ingest(events=[{"transaction_id": f"{tag}{i}-{n}", "customer_id": f"{tag}-{i}",
                              "event_type": f"e{tag}", "properties": {},
                              "timestamp": (FEB + timedelta(hours=2)).isoformat()}
                             for n in range(i + 1)], now=FEB + timedelta(hours=3))  # fmt: skip
    rollups_advance()
    contracts_refresh(ids, now=FEB + timedelta(days=3))
    return ids
