"""A contract with a seat-based subscription (seat group key user_id, seats u1 and u2) and a
recurring credit allocated per seat (INDIVIDUAL): 1000 cents a seat a month, issued for
January. Shared by the per-seat ledger tests and the seat alert tests."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from contracts.models import Commit, Contract
from contracts.services import contract_create
from contracts.terms.issuance import contract_recurring_issue
from customers.models import Customer
from customers.services import customer_create
from pricing.services import product_create, rate_add, rate_card_create

JAN = datetime(2026, 1, 1, tzinfo=UTC)
FEB = datetime(2026, 2, 1, tzinfo=UTC)
SEAT_CREDIT = 1000  # cents a seat a month


@dataclass
class SeatWorld:
    customer: Customer
    contract: Contract
    seats: dict[str, Commit]  # January's credit of each seat


def seat_world(*, seat_ids: tuple[str, ...] = ("u1", "u2")) -> SeatWorld:
    customer = customer_create(name="Acme", ingest_aliases=["acme"])
    card = rate_card_create(name="Standard")
    seats = product_create(name="Seats", type="SUBSCRIPTION")
    rate_add(
        rate_card=card, product=seats, starting_at=JAN, rate_type="SUBSCRIPTION", price=2500,
        billing_frequency="MONTHLY", is_prorated=True,
    )  # fmt: skip
    credit_product = product_create(name="Seat credit", type="FIXED")
    subscription = {
        "collection_schedule": "ARREARS", "temporary_id": "team", "name": "Team seats",
        "proration": {"invoice_behavior": "BILL_ON_NEXT_COLLECTION_DATE", "is_prorated": True},
        "subscription_rate": {"billing_frequency": "MONTHLY", "product_id": str(seats.public_id)},
        "quantity_management_mode": "SEAT_BASED",
        "seat_config": {"seat_group_key": "user_id", "initial_seat_ids": list(seat_ids)},
    }  # fmt: skip
    credit = {
        "product_id": str(credit_product.public_id), "priority": 1, "name": "Per-seat credit",
        "starting_at": "2026-01-01T00:00:00Z", "ending_before": "2026-02-01T00:00:00Z",
        "access_amount": {"unit_price": SEAT_CREDIT}, "commit_duration": {"value": 1},
        "recurrence_frequency": "MONTHLY",
        "subscription_config": {"subscription_id": "team", "allocation": "INDIVIDUAL",
                                "apply_seat_increase_config": {"is_prorated": True}},
    }  # fmt: skip
    contract = contract_create(customer=customer, data={
        "starting_at": "2026-01-01T00:00:00Z", "ending_before": "2027-01-01T00:00:00Z",
        "rate_card_id": str(card.public_id), "usage_statement_schedule": {"frequency": "MONTHLY"},
        "subscriptions": [subscription], "recurring_credits": [credit],
    })  # fmt: skip
    contract_recurring_issue(contract=contract, now=JAN + timedelta(days=1))
    issued = Commit.objects.filter(contract=contract, recurring_period_start=JAN)
    return SeatWorld(customer, contract, {c.seat_id: c for c in issued})
