"""The catalog creates through the official metronome-sdk read back as sent: every field the
no-silent-drop lists name these tests for (pricing/wire_fields.py) is checked."""

import pytest

from billing_console.custom_fields import custom_field_key_add
from billing_console.tests.read_back import ReadBack, assert_shows
from pricing.services import credit_type_get_default
from pricing.wire_fields import PRODUCT_CREATE, PRODUCT_TRIP, RATE_ADD, RATE_CARD_CREATE, TRIP
from usage.services import billable_metric_create

pytestmark = pytest.mark.sdk

JAN, JUL = "2026-01-01T00:00:00Z", "2026-07-01T00:00:00Z"


@pytest.fixture
def usd(transactional_db) -> str:
    return str(credit_type_get_default().public_id)  # a live-server flush removes the seeded row


def _metric() -> str:
    metric = billable_metric_create(
        name="calls", event_type_filter={"in_values": ["call"]}, aggregation_type="COUNT",
        group_keys=[["region"], ["user"]],
    )  # fmt: skip
    return str(metric.public_id)


def test_product_create_reads_back_as_sent(sdk, usd):
    custom_field_key_add(entity="product", key="sku", enforce_uniqueness=False)
    usage = {
        "name": "Calls", "type": "USAGE", "billable_metric_id": _metric(),
        "pricing_group_key": ["region"], "presentation_group_key": ["user"], "tags": ["usage"],
        "is_refundable": False, "netsuite_overage_item_id": "NS-OVER", "custom_fields": {"sku": "C-1"},
        "quantity_conversion": {"conversion_factor": 1000, "operation": "DIVIDE", "name": "per 1k"},
        "quantity_rounding": {"decimal_places": 2, "rounding_method": "ROUND_DOWN"},
    }  # fmt: skip
    calls = sdk.v1.contracts.products.create(**usage).data.id
    composite = {
        "name": "Support", "type": "COMPOSITE", "composite_product_ids": [calls],
        "composite_tags": ["usage"], "exclude_free_usage": True,
    }  # fmt: skip
    support = sdk.v1.contracts.products.create(**composite).data.id
    rb = ReadBack()
    for sent, product_id in ((usage, calls), (composite, support)):
        got = sdk.v1.contracts.products.retrieve(id=product_id).data.to_dict(mode="json")
        rb.check(sent["type"], got["type"], "type")
        rb.check(sent.get("custom_fields", {}), got["custom_fields"], "custom_fields")
        rest = {k: v for k, v in sent.items() if k not in ("type", "custom_fields")}
        rb.check(rest, got["current"], "")
    rb.seen = {p.removeprefix(".") for p in rb.seen}
    assert_shows(rb.seen, PRODUCT_TRIP, PRODUCT_CREATE)


def test_rate_card_create_reads_back_as_sent(sdk, usd):
    custom_field_key_add(entity="rate_card", key="region", enforce_uniqueness=False)
    sent = {
        "name": "EU list", "fiat_credit_type_id": usd, "custom_fields": {"region": "eu"},
        "aliases": [{"name": "eu-2026", "starting_at": JAN, "ending_before": JUL}],
    }  # fmt: skip
    card_id = sdk.v1.contracts.rate_cards.create(**sent).data.id
    got = sdk.v1.contracts.rate_cards.retrieve(id=card_id).data.to_dict(mode="json")
    rb = ReadBack()
    rb.check(sent, got, "")
    rb.seen = {p.removeprefix(".") for p in rb.seen}
    assert_shows(rb.seen, TRIP + "test_rate_card_create_reads_back_as_sent", RATE_CARD_CREATE)


def test_add_rate_reads_back_as_sent(sdk, usd):
    products = sdk.v1.contracts.products
    calls = products.create(
        name="Calls", type="USAGE", billable_metric_id=_metric(), pricing_group_key=["region"]
    ).data.id
    seats = products.create(name="Seats", type="SUBSCRIPTION").data.id
    custom = products.create(name="Bespoke", type="FIXED").data.id
    card = sdk.v1.contracts.rate_cards.create(name="Standard").data.id
    tiered = {"price": 1, "size": 100}, {"price": 0.5}
    sent = [
        {"product_id": calls, "rate_type": "TIERED", "tiers": list(tiered), "entitled": False,
         "starting_at": JAN, "ending_before": JUL,
         "pricing_group_values": {"region": "eu"},
         "commit_rate": {"rate_type": "TIERED", "tiers": [{"price": 0.8, "size": 100}, {"price": 0.4}]}},
        {"product_id": seats, "rate_type": "SUBSCRIPTION", "price": 2500, "quantity": 1,
         "entitled": True, "starting_at": JAN,
         "is_prorated": True, "billing_frequency": "MONTHLY"},
        {"product_id": custom, "rate_type": "CUSTOM", "custom_rate": {"formula": "hours * 150"},
         "entitled": True, "starting_at": JAN},
    ]  # fmt: skip
    rb = ReadBack()
    for rate in sent:
        sdk.v1.contracts.rate_cards.rates.add(rate_card_id=card, **rate)
    listed = sdk.v1.contracts.rate_cards.rates.list(rate_card_id=card, at=JAN)
    entries = {e.product_id: e.to_dict(mode="json") for e in listed}
    # getRates: the rate's own terms under `rate`, the rest beside it.
    beside = ("product_id", "entitled", "starting_at", "ending_before", "pricing_group_values",
              "billing_frequency", "commit_rate")  # fmt: skip
    for rate in sent:
        got = entries[rate["product_id"]]
        rb.check({k: v for k, v in rate.items() if k in beside}, got, "")
        rb.check({k: v for k, v in rate.items() if k not in beside}, got["rate"], "")
    rb.seen = {p.removeprefix(".") for p in rb.seen}
    assert_shows(rb.seen, TRIP + "test_add_rate_reads_back_as_sent", RATE_ADD)
