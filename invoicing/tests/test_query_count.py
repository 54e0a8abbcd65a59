"""How many queries one statement's computation makes: a constant number, whatever the number of
usage products, rates, overrides, commits and credits. The loader (invoicing.rating.loader)
reads the contract's terms (rate card rates, product versions and conversions; overrides, usage
filter, subscriptions, commits with their segments; what the segments can give) and the
customer's aliases once, then the usage of all the products in at most two batched reads
(usage.batch_usage: raw events in one query; for rollups, the pending batches twice, daily
and hourly rows); the core rates without the database. The one per-question cost left is a SQL
billable metric: each question about one runs the metric's own query."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing_console.lib.periods import Period
from contracts.services import contract_create
from customers.services import customer_create
from invoicing.models import Invoice
from invoicing.services import contract_credit_type, draft_usage_statement
from invoicing.tests.factories import FEB, JAN
from pricing.services import product_create, rate_add, rate_card_create
from usage.services import billable_metric_create, usage_ingest

YEAR = {"starting_at": JAN.isoformat(), "ending_before": "2027-01-01T00:00:00Z"}


def _contract(products: int):
    """`products` usage products, each with a rate, an override and a prepaid commit."""
    card = rate_card_create(name="Card")
    fixed = product_create(name=f"Commit {products}", type="FIXED")
    overrides, commits = [], []
    for i in range(products):
        metric = billable_metric_create(
            name=f"m{products}-{i}",
            event_type_filter={"in_values": [f"e{products}-{i}"]},
            aggregation_type="COUNT",
        )
        product = product_create(name=f"P{products}-{i}", type="USAGE", billable_metric=metric)
        rate_add(rate_card=card, product=product, starting_at=JAN, rate_type="FLAT", price=2)
        overrides.append({"starting_at": JAN.isoformat(), "product_id": str(product.public_id),
                          "type": "MULTIPLIER", "multiplier": "0.9"})  # fmt: skip
        commits.append({"type": "PREPAID", "product_id": str(fixed.public_id), "priority": i,
                        "access_schedule": {"schedule_items": [{"amount": 10, **YEAR}]}})  # fmt: skip
    customer = customer_create(name=f"Acme {products}", ingest_aliases=[f"acme{products}"])
    contract = contract_create(customer=customer, data={
        **YEAR, "rate_card_id": str(card.public_id), "overrides": overrides, "commits": commits,
        "usage_statement_schedule": {"frequency": "MONTHLY"},
    })  # fmt: skip
    usage_ingest(events=[
        {"transaction_id": f"t{products}-{i}", "customer_id": f"acme{products}", "event_type": f"e{products}-{i}",
         "timestamp": (JAN + timedelta(days=1)).isoformat(), "properties": {}}
        for i in range(products)
    ], now=JAN + timedelta(days=2))  # fmt: skip
    return contract


def _queries(products: int) -> int:
    contract = _contract(products)
    invoice = Invoice(
        customer=contract.customer, contract=contract, credit_type=contract_credit_type(contract),
        type="USAGE", period_start=JAN, period_end=FEB, issued_at=FEB,
    )  # fmt: skip
    with CaptureQueriesContext(connection) as queries:
        lines, draws = draft_usage_statement(contract, invoice, Period(JAN, FEB))
    assert sum(d.amount for d in draws) == 2 * products  # the commits paid every line (2 each)
    return len(queries.captured_queries)


@pytest.mark.django_db
def test_one_statement_reads_its_terms_in_a_fixed_number_of_queries():
    one, four, eight = _queries(1), _queries(4), _queries(8)
    assert (four - one, eight - four) == (0, 0)  # nothing per usage product, override or commit
