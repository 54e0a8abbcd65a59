"""Statements priced end to end through the services, checked against hand-computed literals.

Every amount is in the credit type's minor unit (USD or EUR cents) and worked out in a comment
next to its assertion, so a failure says which step of the arithmetic the code disagrees with.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils.dateparse import parse_datetime

from billing_console.lib.periods import Period
from contracts.models import Commit, Contract
from contracts.selectors import commit_balance
from contracts.services import contract_create
from customers.services import customer_create
from invoicing.models import Invoice, LineType
from invoicing.services import (
    contract_invoices_refresh,
    contract_statement_periods,
    invoice_compute_usage,
    invoice_finalize,
)
from pricing.models import CreditType, Product, RateCard
from pricing.services import product_create, rate_add, rate_card_create
from usage.services import billable_metric_create, usage_ingest

pytestmark = pytest.mark.django_db

JAN = datetime(2026, 1, 1, tzinfo=UTC)
FEB = datetime(2026, 2, 1, tzinfo=UTC)
JANUARY = Period(JAN, FEB)


# -- builders ----------------------------------------------------------------------------------


def _catalog(
    *,
    aggregation: str = "COUNT",
    key: str | None = None,
    price: str = "1",
    by_region: dict[str, str] | None = None,
    fiat: CreditType | None = None,
) -> tuple[Product, RateCard]:
    """One metric over "request" events, one USAGE product, one card of FLAT rates: `price`
    for every event, or one price per `region` property value when `by_region` is given."""
    regional = by_region is not None
    metric = billable_metric_create(
        name="requests",
        event_type_filter={"in_values": ["request"]},
        aggregation_type=aggregation,
        aggregation_key=key,
        group_keys=[["region"]] if regional else None,
    )
    product = product_create(
        name="Requests",
        type="USAGE",
        billable_metric=metric,
        pricing_group_key=["region"] if regional else None,
    )
    card = rate_card_create(name="Card", fiat_credit_type=fiat)
    for region, amount in (by_region or {"": price}).items():
        rate_add(
            rate_card=card, product=product, starting_at=JAN, rate_type="FLAT", price=amount,
            pricing_group_values={"region": region} if region else None,
        )  # fmt: skip
    return product, card


def _contract(card: RateCard, **terms: Any) -> Contract:
    customer = customer_create(name="Acme", ingest_aliases=["acme"])
    data = {
        "starting_at": "2026-01-01T00:00:00Z",
        "rate_card_id": str(card.public_id),
        "usage_statement_schedule": {"frequency": "MONTHLY"},
        **terms,
    }
    return contract_create(customer=customer, data=data)


def _event(transaction_id: str, at: str, **properties: Any) -> dict[str, Any]:
    return {
        "transaction_id": transaction_id, "customer_id": "acme", "event_type": "request",
        "timestamp": at, "properties": properties,
    }  # fmt: skip


def _send(*events: dict[str, Any]) -> None:
    """One ingest call, 'sent' a minute after its latest event."""
    now = max(parse_datetime(e["timestamp"]) for e in events) + timedelta(minutes=1)
    usage_ingest(events=list(events), now=now)


def _monthly_statement(contract: Contract) -> Invoice:
    invoice = invoice_compute_usage(contract=contract, period=JANUARY)
    return invoice_finalize(invoice=invoice)


def _usage_lines(invoice: Invoice) -> list[tuple[dict, Decimal, Decimal]]:
    """(pricing group values, quantity, total) of each USAGE line, by region."""
    lines = invoice.lines.filter(type=LineType.USAGE)
    rows = [(li.pricing_group_values, li.quantity, li.total) for li in lines]
    return sorted(rows, key=lambda row: str(row[0]))


# -- 1. each aggregation, one event set ---------------------------------------------------------

# January is [Jan 1, Feb 1). In it: a, b, c, d, e. Outside it: z (before the contract starts)
# and f (exactly at the exclusive end). b is sent twice; the retry must be ignored.
#        id   bytes user
#        a     10   u1    Jan 3
#        b     25   u2    Jan 9   (+ a retry with the same transaction_id)
#        c     40   u1    Jan 15
#        e      7   u2    Jan 20  (sent after d: LATEST goes by timestamp, not arrival)
#        d      5   u3    Jan 31 23:59:59, the last event of the period
AGGREGATION_EVENTS = [
    _event("z", "2025-12-31T23:59:59Z", bytes=60, user="u5"),
    _event("a", "2026-01-03T10:00:00Z", bytes=10, user="u1"),
    _event("b", "2026-01-09T12:00:00Z", bytes=25, user="u2"),
    _event("c", "2026-01-15T08:00:00Z", bytes=40, user="u1"),
    _event("d", "2026-01-31T23:59:59Z", bytes=5, user="u3"),
    _event("f", "2026-02-01T00:00:00Z", bytes=100, user="u4"),
]
LATE_ARRIVALS = [
    _event("e", "2026-01-20T00:00:00Z", bytes=7, user="u2"),
    _event("b", "2026-01-09T12:00:00Z", bytes=25, user="u2"),  # retry of b: a duplicate
]


@pytest.mark.parametrize(
    ("aggregation", "key", "price", "quantity", "total"),
    [
        # a b c d e = 5 events; x 3c = 15c
        ("COUNT", None, "3", Decimal("5"), Decimal("15")),
        # 10 + 25 + 40 + 5 + 7 = 87 bytes; x 2c = 174c
        ("SUM", "bytes", "2", Decimal("87"), Decimal("174")),
        # max(10, 25, 40, 5, 7) = 40; x 25c = 1000c
        ("MAX", "bytes", "25", Decimal("40"), Decimal("1000")),
        # {u1, u2, u3} = 3 users (u4 and u5 are outside); x 150c = 450c
        ("UNIQUE", "user", "150", Decimal("3"), Decimal("450")),
        # d (Jan 31 23:59:59) is the latest in the period: 5; x 12c = 60c
        ("LATEST", "bytes", "12", Decimal("5"), Decimal("60")),
    ],
    ids=["COUNT", "SUM", "MAX", "UNIQUE", "LATEST"],
)
def test_each_aggregation_prices_the_periods_events_once(aggregation, key, price, quantity, total):
    _product, card = _catalog(aggregation=aggregation, key=key, price=price)
    contract = _contract(card)
    _send(*AGGREGATION_EVENTS)
    _send(*LATE_ARRIVALS)

    invoice = _monthly_statement(contract)

    assert _usage_lines(invoice) == [({}, quantity, total)]
    assert invoice.total == total


# -- 2. a contract in EUR -------------------------------------------------------------------------


def test_eur_contract_rounds_each_line_half_up_to_the_cent():
    # EUR (cents) ships as a fiat credit type (pricing migration 0002).
    eur = CreditType.objects.get(currency_code="EUR")
    _product, card = _catalog(
        aggregation="SUM", key="units", by_region={"eu-west": "0.015", "eu-central": "0.01"},
        fiat=eur,
    )  # fmt: skip
    contract = _contract(card)
    _send(
        _event("w", "2026-01-10T00:00:00Z", units=333, region="eu-west"),
        _event("c", "2026-01-11T00:00:00Z", units=250, region="eu-central"),
    )

    invoice = _monthly_statement(contract)

    assert invoice.credit_type == eur and invoice.credit_type.is_fiat
    lines = {li.pricing_group_values["region"]: li for li in invoice.lines.all()}
    # eu-west: 333 x 0.015c = 4.995c -> 5c (HALF_UP)
    assert lines["eu-west"].total_unrounded == Decimal("4.995")
    assert lines["eu-west"].total == Decimal("5")
    # eu-central: 250 x 0.01c = 2.5c -> 3c (HALF_UP, not banker's 2c)
    assert lines["eu-central"].total_unrounded == Decimal("2.5")
    assert lines["eu-central"].total == Decimal("3")
    # 5c + 3c = 8c: the sum of rounded lines (rounding the 7.495c sum once would give 7c)
    assert invoice.total == Decimal("8")


# -- 3. weekly statements -------------------------------------------------------------------------


def test_weekly_statements_cut_at_seven_days_and_at_the_contract_end():
    _product, card = _catalog(price="4")
    # 2026-01-01 is a Thursday; weeks run Thursday 00:00 to Thursday 00:00 from the start.
    contract = _contract(
        card,
        ending_before="2026-01-18T00:00:00Z",
        usage_statement_schedule={"frequency": "WEEKLY"},
    )
    _send(
        _event("w1-first", "2026-01-01T00:00:00Z"),
        _event("w1-last", "2026-01-07T23:59:59Z"),
        _event("w2-first", "2026-01-08T00:00:00Z"),
        _event("w2-a", "2026-01-14T12:00:00Z"),
        _event("w2-b", "2026-01-14T18:00:00Z"),
        _event("w3-last", "2026-01-17T23:59:59Z"),
        _event("after-end", "2026-01-18T00:00:00Z"),  # the contract has ended: not billed
    )

    jan8, jan15, jan18 = (datetime(2026, 1, day, tzinfo=UTC) for day in (8, 15, 18))
    assert contract_statement_periods(contract, FEB) == [
        Period(JAN, jan8),
        Period(jan8, jan15),
        Period(jan15, jan18),  # the third week, clipped to the contract's end
    ]
    invoices = contract_invoices_refresh(contract=contract, through=FEB)
    assert [(i.period_start, i.period_end, i.total) for i in invoices] == [
        (JAN, jan8, Decimal("8")),  # w1-first, w1-last: 2 events x 4c
        (jan8, jan15, Decimal("12")),  # w2-first, w2-a, w2-b: 3 events x 4c
        (jan15, jan18, Decimal("4")),  # w3-last: 1 event x 4c
    ]


# -- 4. a tiered override on a FLAT rate ----------------------------------------------------------


def test_tiered_override_applies_multipliers_by_quantity_to_a_flat_price():
    product, card = _catalog(aggregation="SUM", key="units", price="3")
    contract = _contract(
        card,
        overrides=[{
            "product_id": str(product.public_id), "starting_at": "2026-01-01T00:00:00Z",
            "type": "TIERED",
            "tiers": [{"size": 100, "multiplier": 1}, {"multiplier": "0.25"}],
        }],
    )  # fmt: skip
    _send(
        _event("x", "2026-01-05T00:00:00Z", units=90),
        _event("y", "2026-01-25T00:00:00Z", units=40),
    )

    invoice = _monthly_statement(contract)

    line = invoice.lines.get(type=LineType.USAGE)
    # 90 + 40 = 130 units: 100 x 3c x 1 = 300c, then 30 x 3c x 0.25 = 22.5c
    assert line.quantity == Decimal("130")
    assert line.total_unrounded == Decimal("322.5")
    # 322.5c -> 323c (HALF_UP)
    assert line.total == Decimal("323")
    assert invoice.total == Decimal("323")


# -- 5. a prepaid commit scoped by pricing group values -------------------------------------------


def test_prepaid_commit_with_a_region_specifier_draws_only_that_regions_usage():
    product, card = _catalog(by_region={"us-east-1": "10", "eu-west-1": "20"})
    prepaid = product_create(name="Prepaid", type="FIXED")
    contract = _contract(
        card,
        commits=[{
            "type": "PREPAID", "product_id": str(prepaid.public_id), "name": "US prepay",
            "priority": 1,
            "specifiers": [{
                "product_id": str(product.public_id),
                "pricing_group_values": {"region": "us-east-1"},
            }],
            "access_schedule": {"schedule_items": [{
                "amount": 100, "starting_at": "2026-01-01T00:00:00Z",
                "ending_before": "2027-01-01T00:00:00Z",
            }]},
        }],
    )  # fmt: skip
    _send(
        *[_event(f"us-{i}", f"2026-01-{10 + i}T00:00:00Z", region="us-east-1") for i in range(7)],
        *[_event(f"eu-{i}", f"2026-01-{10 + i}T00:00:00Z", region="eu-west-1") for i in range(3)],
    )

    invoice = _monthly_statement(contract)

    assert _usage_lines(invoice) == [
        ({"region": "eu-west-1"}, Decimal("3"), Decimal("60")),  # 3 x 20c
        ({"region": "us-east-1"}, Decimal("7"), Decimal("70")),  # 7 x 10c
    ]
    applied = invoice.lines.get(type=LineType.APPLIED_COMMIT)
    # only the us-east-1 line (70c) draws; the 100c commit covers it whole
    assert applied.total == Decimal("-70")
    # 60c + 70c - 70c = 60c: eu-west-1 is billed in full
    assert invoice.subtotal == Decimal("130")
    assert invoice.total == Decimal("60")
    # 100c - 70c = 30c left on the commit
    assert commit_balance(Commit.objects.get(contract=contract)) == Decimal("30")
