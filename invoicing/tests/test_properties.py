"""Properties of the rating and drawdown path, over generated usage (hypothesis)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing_console.lib.periods import Period
from contracts.models import Commit, LedgerEntry
from contracts.selectors import commit_balance
from contracts.services import contract_create
from customers.services import customer_create
from invoicing.models import Invoice
from invoicing.services import invoice_compute_usage, invoice_finalize
from pricing.services import product_create, rate_add, rate_card_create
from usage.services import billable_metric_create, usage_ingest

JAN = datetime(2026, 1, 1, tzinfo=UTC)
FEB = datetime(2026, 2, 1, tzinfo=UTC)
MAR = datetime(2026, 3, 1, tzinfo=UTC)

# (day of January or February 0-58, region index, gb)
usage_events = st.lists(
    st.tuples(st.integers(0, 58), st.integers(0, 2), st.decimals("0", "5000", places=3)),
    min_size=0,
    max_size=25,
)
REGIONS = ("us", "eu", "ap")


def _world(commit_amount: int, credit_amount: int):
    metric = billable_metric_create(
        name="gb", event_type_filter={"in_values": ["s"]}, aggregation_type="SUM", aggregation_key="gb",
        group_keys=[["region"]],
    )  # fmt: skip
    storage = product_create(
        name="Storage",
        type="USAGE",
        billable_metric=metric,
        pricing_group_key=["region"],
        tags=["u"],
    )
    fixed = product_create(name="Commit", type="FIXED")
    card = rate_card_create(name="Card")
    rate_add(rate_card=card, product=storage, starting_at=JAN, rate_type="TIERED",
             tiers=[{"size": 1000, "price": "0.37"}, {"price": "0.211"}])  # fmt: skip
    rate_add(
        rate_card=card,
        product=storage,
        starting_at=JAN,
        rate_type="FLAT",
        price="1.3",
        pricing_group_values={"region": "eu"},
    )
    customer = customer_create(name="Prop", ingest_aliases=["prop"])
    window = {"starting_at": "2026-01-01T00:00:00Z", "ending_before": "2026-03-01T00:00:00Z"}
    contract = contract_create(customer=customer, data={
        "starting_at": "2026-01-01T00:00:00Z", "rate_card_id": str(card.public_id),
        "usage_statement_schedule": {"frequency": "MONTHLY"},
        "commits": [{"type": "PREPAID", "product_id": str(fixed.public_id), "priority": 2,
                     "access_schedule": {"schedule_items": [{"amount": commit_amount, **window}]}}],
        "credits": [{"product_id": str(fixed.public_id), "priority": 1,
                     "access_schedule": {"schedule_items": [{"amount": credit_amount, **window}]}}],
    })  # fmt: skip
    return contract


def _ingest(events) -> None:
    payload = [
        {"transaction_id": f"t{i}", "customer_id": "prop", "event_type": "s",
         "timestamp": (JAN + timedelta(days=day, hours=3)).isoformat(),
         "properties": {"region": REGIONS[region], "gb": str(gb)}}
        for i, (day, region, gb) in enumerate(events)
    ]  # fmt: skip
    for event in payload:  # each sent a minute after it happened
        usage_ingest(
            events=[event], now=datetime.fromisoformat(event["timestamp"]) + timedelta(minutes=1)
        )


def _snapshot(invoice: Invoice) -> list[tuple]:
    return [
        (li.type, li.name, str(li.pricing_group_values), li.quantity, li.total)
        for li in invoice.lines.order_by("position")
    ]


@pytest.mark.django_db
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(events=usage_events, commit_amount=st.integers(0, 3000), credit_amount=st.integers(0, 800))
def test_invoices_add_up_ledgers_stay_positive_and_rating_is_repeatable(
    events, commit_amount, credit_amount
):
    with transaction.atomic():  # each example starts from an empty database
        _check(events, commit_amount, credit_amount)
        transaction.set_rollback(True)


def _check(events, commit_amount: int, credit_amount: int) -> None:
    contract = _world(commit_amount, credit_amount)
    _ingest(events)
    january = invoice_compute_usage(contract=contract, period=Period(JAN, FEB))
    first = _snapshot(january)
    assert (
        _snapshot(invoice_compute_usage(contract=contract, period=Period(JAN, FEB))) == first
    )  # same data, same invoice
    invoice_finalize(invoice=january)
    february = invoice_compute_usage(contract=contract, period=Period(FEB, MAR))
    for invoice in (january, february):
        invoice.refresh_from_db()
        assert (
            sum(li.total for li in invoice.lines.all()) == invoice.total
        )  # lines sum to the total
        assert invoice.total >= 0
        assert all(
            li.total == li.total.quantize(Decimal(1)) for li in invoice.lines.all()
        )  # rounded to cents
    for commit in Commit.objects.filter(contract=contract):
        entries = sum((e.amount for e in LedgerEntry.objects.filter(commit=commit)), Decimal(0))
        assert entries >= 0  # never drawn below zero
        assert commit_balance(commit, as_of=MAR) == entries  # the balance is its entries
