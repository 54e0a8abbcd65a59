"""getContractRateSchedule through the official SDK: the rate card's rates with the contract's
overrides applied, as segments cut where overrides start and end."""

from datetime import UTC, datetime

import metronome
import pytest

from billing_console.lib.periods import Period
from customers.services import customer_create
from invoicing.services import invoice_compute_usage
from invoicing.tests.factories import JAN, priced_world, send_calls
from pricing.services import product_create, rate_add
from usage.services import billable_metric_create

pytestmark = pytest.mark.sdk

APR = datetime(2026, 4, 1, tzinfo=UTC)


@pytest.fixture
def deal(db):
    world = priced_world(price=5)
    metric = billable_metric_create(
        name="storage", event_type_filter={"in_values": ["store"]}, aggregation_type="COUNT",
        group_keys=[["region"]],
    )  # fmt: skip
    storage = product_create(
        name="Storage", type="USAGE", billable_metric=metric, pricing_group_key=["region"]
    )
    rate_add(
        rate_card=world.rate_card, product=storage, starting_at=JAN, rate_type="FLAT", price=10
    )
    seats = product_create(name="Seats", type="SUBSCRIPTION")
    rate_add(
        rate_card=world.rate_card, product=seats, starting_at=JAN, rate_type="SUBSCRIPTION",
        price=1000, billing_frequency="MONTHLY",
    )  # fmt: skip
    customer = customer_create(name="Globex", ingest_aliases=["globex"])
    return {
        "world": world,
        "customer": customer,
        "calls": str(world.product.public_id),
        "storage": str(storage.public_id),
        "seats": str(seats.public_id),
    }


def _contract(sdk, deal) -> str:
    return sdk.v1.contracts.create(
        customer_id=str(deal["customer"].public_id),
        starting_at="2026-01-01T00:00:00Z",
        ending_before="2027-01-01T00:00:00Z",
        rate_card_id=str(deal["world"].rate_card.public_id),
        overrides=[
            {
                "product_id": deal["calls"], "type": "MULTIPLIER", "multiplier": 0.9,
                "starting_at": "2026-02-01T00:00:00Z", "ending_before": "2026-04-01T00:00:00Z",
            },
            {
                "type": "OVERWRITE", "starting_at": "2026-03-01T00:00:00Z",
                "override_specifiers": [
                    {"product_id": deal["storage"], "pricing_group_values": {"region": "us-east-1"}}
                ],
                "overwrite_rate": {"rate_type": "FLAT", "price": 8},
            },
        ],
    ).data.id  # fmt: skip


def _schedule(sdk, deal, contract_id, **kwargs):
    return sdk.v1.contracts.retrieve_rate_schedule(
        customer_id=str(deal["customer"].public_id), contract_id=contract_id, **kwargs
    )


def test_rate_schedule_applies_overrides_segment_by_segment(sdk, deal):
    contract_id = _contract(sdk, deal)
    page = _schedule(sdk, deal, contract_id, at="2026-02-15T00:00:00Z")
    assert page.next_page is None
    rows = [
        (
            r.product_name,
            r.pricing_group_values,
            r.starting_at.date().isoformat(),
            r.ending_before.date().isoformat() if r.ending_before else None,
            r.list_rate.price,
            r.override_rate.price if r.override_rate else None,
        )
        for r in page.data
    ]
    # January's Calls segment ended before `at`; the contract's end closes open rates.
    assert rows == [
        ("Calls", None, "2026-02-01", "2026-04-01", 5, 4.5),
        ("Calls", None, "2026-04-01", "2027-01-01", 5, None),
        ("Seats", None, "2026-01-01", "2027-01-01", 1000, None),
        ("Storage", None, "2026-01-01", "2027-01-01", 10, None),
        ("Storage", {"region": "us-east-1"}, "2026-03-01", "2027-01-01", 10, 8),
    ]
    seats = page.data[2]
    assert (seats.list_rate.rate_type, seats.billing_frequency) == ("SUBSCRIPTION", "MONTHLY")
    first = page.data[0]
    assert first.rate_card_id == str(deal["world"].rate_card.public_id)
    assert first.product_id == deal["calls"] and first.entitled is True
    assert first.override_rate.rate_type == "FLAT"
    assert first.override_rate.credit_type.name == "USD (cents)"


def test_rate_schedule_selectors_and_pagination(sdk, deal):
    contract_id = _contract(sdk, deal)
    calls = _schedule(
        sdk, deal, contract_id, at="2026-01-10T00:00:00Z", selectors=[{"product_id": deal["calls"]}]
    ).data
    assert [(r.starting_at.month, r.override_rate is not None) for r in calls] == [
        (1, False),
        (2, True),
        (4, False),
    ]
    first = _schedule(sdk, deal, contract_id, at="2026-01-10T00:00:00Z", limit=2)
    assert len(first.data) == 2 and first.next_page
    second = _schedule(
        sdk, deal, contract_id, at="2026-01-10T00:00:00Z", limit=2, next_page=first.next_page
    )
    third = _schedule(
        sdk, deal, contract_id, at="2026-01-10T00:00:00Z", limit=2, next_page=second.next_page
    )
    assert third.next_page is None
    names = [r.product_name for page in (first, second, third) for r in page.data]
    assert names == ["Calls", "Calls", "Calls", "Seats", "Storage", "Storage"]
    # After the contract's end there is nothing in force.
    assert _schedule(sdk, deal, contract_id, at="2027-02-01T00:00:00Z").data == []


def test_rate_schedule_price_is_what_the_invoice_charges(sdk, deal):
    contract_id = _contract(sdk, deal)
    entry = _schedule(
        sdk, deal, contract_id, at="2026-02-10T00:00:00Z", selectors=[{"product_id": deal["calls"]}]
    ).data[0]
    send_calls(10, datetime(2026, 2, 10, tzinfo=UTC), alias="globex")
    contract = deal["customer"].contracts.get()
    invoice = invoice_compute_usage(
        contract=contract, period=Period(datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC))
    )  # fmt: skip
    line = invoice.lines.get(product__public_id=deal["calls"])
    assert (line.unit_price, line.total) == (entry.override_rate.price, 45)


def test_rate_schedule_refuses_bad_input(sdk, deal):
    contract_id = _contract(sdk, deal)
    with pytest.raises(metronome.BadRequestError) as err:
        _schedule(sdk, deal, contract_id, extra_body={"at": "yesterday"})
    assert err.value.body["message"].startswith("at:")
    with pytest.raises(metronome.BadRequestError) as err:
        _schedule(sdk, deal, contract_id, selectors=[{"billing_frequency": "DAILY"}])
    assert "selectors[0].billing_frequency" in err.value.body["message"]
    with pytest.raises(metronome.NotFoundError):
        _schedule(sdk, deal, "00000000-0000-0000-0000-000000000001")
    other = str(deal["world"].contract.public_id)  # a contract of another customer
    with pytest.raises(metronome.NotFoundError):
        _schedule(sdk, deal, other)
