"""The embedded invoice tells its lines apart: three "Input tokens" lines, one per model."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from billing_console.embedding import EmbedGrant, embed_token_sign
from billing_console.lib.periods import Period
from contracts.services import contract_create
from customers.services import customer_create
from invoicing.services import invoice_compute_usage, invoice_finalize
from invoicing.tests.factories import FEB, JAN
from pricing.services import product_create, rate_add, rate_card_create
from usage.services import billable_metric_create, usage_ingest

pytestmark = pytest.mark.django_db


def test_embedded_invoice_shows_each_lines_group_values(client):
    metric = billable_metric_create(
        name="input tokens", event_type_filter={"in_values": ["llm"]}, aggregation_type="SUM",
        aggregation_key="tokens", group_keys=[["model"]],
    )  # fmt: skip
    tokens = product_create(
        name="Input tokens", type="USAGE", billable_metric=metric, pricing_group_key=["model"]
    )
    card = rate_card_create(name="Standard")
    rate_add(rate_card=card, product=tokens, starting_at=JAN, rate_type="FLAT", price=1)
    customer = customer_create(name="Acme", ingest_aliases=["acme"])
    contract = contract_create(customer=customer, data={
        "starting_at": "2026-01-01T00:00:00Z", "rate_card_id": str(card.public_id),
        "usage_statement_schedule": {"frequency": "MONTHLY"},
    })  # fmt: skip
    at = datetime(2026, 1, 5, tzinfo=UTC)
    usage_ingest(events=[
        {"transaction_id": f"t-{model}", "customer_id": "acme", "event_type": "llm",
         "timestamp": at.isoformat(), "properties": {"model": model, "tokens": "100"}}
        for model in ("small", "medium", "large")
    ], now=at)  # fmt: skip
    invoice = invoice_finalize(
        invoice=invoice_compute_usage(contract=contract, period=Period(JAN, FEB))
    )
    grant = EmbedGrant(
        customer_id=str(customer.public_id), dashboard="invoices",
        group_keys=[{"group_key_name": "model", "display_name": "Model"}],
    )  # fmt: skip
    url = reverse("embeds:invoice-detail", args=[embed_token_sign(grant), invoice.public_id])
    html = client.get(url).content.decode()
    assert html.count("Input tokens") == 3
    for model in ("small", "medium", "large"):
        assert f"Model: {model}" in html
