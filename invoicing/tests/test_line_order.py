"""Within a product, usage lines with group values come in their values' order (group key by
group key, naturally and case-insensitively, a missing value last), not the database's group
order, which differs between PostgreSQL and SQLite: run this module on both
(DATABASE_URL=postgres://... for PostgreSQL). Literal cents throughout."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils.dateparse import parse_datetime

from billing_console.lib.periods import Period
from contracts.services import contract_create
from customers.services import customer_create
from invoicing.rating.usage_lines import group_order
from invoicing.services import invoice_compute_usage
from pricing.services import product_create, rate_add, rate_card_create
from usage.services import billable_metric_create, usage_ingest

JAN = datetime(2026, 1, 1, tzinfo=UTC)
JANUARY = Period(JAN, datetime(2026, 2, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("groups", "ordered"),
    [
        ([("us-east-10",), ("us-east-2",), ("EU",), ("eu",), ("apac",)],
         [("apac",), ("EU",), ("eu",), ("us-east-2",), ("us-east-10",)]),
        ([(None,), ("b",), ("A",)], [("A",), ("b",), (None,)]),
        ([("us", "pro"), ("eu", "pro"), ("us", "Basic")],
         [("eu", "pro"), ("us", "Basic"), ("us", "pro")]),
        ([("v10",), ("v9",), ("v",), ("v²",)], [("v",), ("v9",), ("v10",), ("v²",)]),
    ],
)  # fmt: skip
def test_group_order_is_by_value_naturally_and_case_insensitively(groups, ordered):
    assert sorted(groups, key=group_order) == ordered


def _calls(count: int, tag: str, **properties: str) -> None:
    events = [
        {"transaction_id": f"{tag}-{i}", "customer_id": "acme", "event_type": "call",
         "timestamp": "2026-01-10T00:00:00Z", "properties": properties}
        for i in range(count)
    ]  # fmt: skip
    usage_ingest(events=events, now=parse_datetime("2026-01-10T00:00:00Z") + timedelta(minutes=1))


@pytest.mark.django_db
def test_a_products_lines_come_in_group_value_order(api):
    metric = billable_metric_create(
        name="calls", event_type_filter={"in_values": ["call"]}, aggregation_type="COUNT",
        group_keys=[["region", "plan"]],
    )  # fmt: skip
    product = product_create(name="API", type="USAGE", billable_metric=metric,
                             presentation_group_key=["region", "plan"])  # fmt: skip
    card = rate_card_create(name="Card")
    rate_add(rate_card=card, product=product, starting_at=JAN, rate_type="FLAT", price="2")
    customer = customer_create(name="Acme", ingest_aliases=["acme"])
    contract = contract_create(customer=customer, data={
        "starting_at": "2026-01-01T00:00:00Z", "rate_card_id": str(card.public_id),
        "usage_statement_schedule": {"frequency": "MONTHLY"},
    })  # fmt: skip
    # Sent in an order neither database groups by.
    for i, (region, plan) in enumerate([("us-east-10", "pro"), ("us-east-2", "pro"), ("EU", "pro"),
                                        ("eu-west", "Basic"), ("us-east-2", "Basic"), ("apac", "")]):  # fmt: skip
        _calls(i + 1, f"{region}-{plan}", region=region, **({"plan": plan} if plan else {}))
    invoice = invoice_compute_usage(contract=contract, period=JANUARY)
    lines = [(li.presentation_group_values, li.total) for li in invoice.lines.filter(product=product)]  # fmt: skip
    expected = [
        ({"region": "apac", "plan": None}, 12),
        ({"region": "EU", "plan": "pro"}, 6),
        ({"region": "eu-west", "plan": "Basic"}, 8),
        ({"region": "us-east-2", "plan": "Basic"}, 10),
        ({"region": "us-east-2", "plan": "pro"}, 4),
        ({"region": "us-east-10", "plan": "pro"}, 2),
    ]
    assert lines == expected
    # The API lists them alike (it reads the lines in their stored order).
    body = api.get(f"/v1/customers/{customer.public_id}/invoices/{invoice.public_id}").json()
    wire = [(li["presentation_group_values"], li["total"])
            for li in body["data"]["line_items"] if li.get("presentation_group_values")]  # fmt: skip
    assert wire == expected
