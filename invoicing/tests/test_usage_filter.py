"""A contract's usage filter through the SDK: setUsageFilter (and usage_filter on create) route
a customer's events to the contract whose filter takes their group value, from the moment it
is in force; the history reads back on contract get (v2 segments, v1 initial/current/updates)."""

from datetime import UTC, datetime
from decimal import Decimal

import metronome
import pytest

from billing_console.lib.periods import Period
from contracts.models import ContractUsageFilter
from customers.services import customer_create
from invoicing.services import invoice_compute_usage
from invoicing.tests.factories import FEB, JAN
from pricing.services import product_create, rate_add, rate_card_create
from usage.rollups import rollups_advance, rollups_backfill
from usage.services import billable_metric_create, usage_ingest

pytestmark = pytest.mark.sdk

JAN_16 = datetime(2026, 1, 16, tzinfo=UTC)


@pytest.fixture
def shop(db):
    metric = billable_metric_create(
        name="calls", event_type_filter={"in_values": ["call"]}, aggregation_type="COUNT",
        group_keys=[["project"]],
    )  # fmt: skip
    product = product_create(name="Calls", type="USAGE", billable_metric=metric)
    card = rate_card_create(name="Standard")
    rate_add(rate_card=card, product=product, starting_at=JAN, rate_type="FLAT", price=5)
    customer = customer_create(name="Initech", ingest_aliases=["initech"])
    return {"metric": metric, "card": str(card.public_id), "customer": customer}


def _events(at: datetime, project: str | None, count: int, tag: str) -> None:
    usage_ingest(
        events=[
            {"transaction_id": f"{tag}-{i}", "customer_id": "initech", "event_type": "call",
             "timestamp": at.isoformat(), "properties": {"project": project} if project else {}}
            for i in range(count)
        ],
        now=at,
    )  # fmt: skip


def _create(sdk, shop, **extra) -> str:
    return sdk.v1.contracts.create(
        customer_id=str(shop["customer"].public_id), starting_at="2026-01-01T00:00:00Z",
        rate_card_id=shop["card"], **extra,
    ).data.id  # fmt: skip


def _january(shop, contract_id: str):
    contract = shop["customer"].contracts.get(public_id=contract_id)
    invoice = invoice_compute_usage(contract=contract, period=Period(JAN, FEB))
    return [(line.quantity, line.total) for line in invoice.lines.order_by("starting_at")]


def test_usage_is_routed_by_the_filter_in_force(sdk, shop):
    customer_id = str(shop["customer"].public_id)
    first = _create(sdk, shop, usage_filter={"group_key": "project", "group_values": ["p1"]})
    second = _create(sdk, shop)
    sdk.v1.contracts.set_usage_filter(
        customer_id=customer_id, contract_id=second, group_key="project", group_values=["p2"],
        starting_at="2026-01-01T00:00:00Z",
    )  # fmt: skip
    assert (
        sdk.v1.contracts.set_usage_filter(
            customer_id=customer_id,
            contract_id=first,
            group_key="project",
            group_values=["p1", "p3"],
            starting_at="2026-01-16T00:00:00Z",
        )  # fmt: skip
        is None
    )
    _events(datetime(2026, 1, 5, tzinfo=UTC), "p1", 3, "a")
    _events(datetime(2026, 1, 5, tzinfo=UTC), "p2", 2, "b")
    _events(datetime(2026, 1, 5, tzinfo=UTC), "p3", 1, "c")  # before p3 joined the first
    _events(datetime(2026, 1, 5, tzinfo=UTC), None, 7, "d")  # no project: on neither
    _events(datetime(2026, 1, 20, tzinfo=UTC), "p3", 4, "e")
    _events(datetime(2026, 1, 20, tzinfo=UTC), "p1", 1, "f")
    # One line per filter period: 3 calls of p1, then 5 of p1 and p3 (5 cents each).
    assert _january(shop, first) == [(Decimal(3), Decimal(15)), (Decimal(5), Decimal(25))]
    assert _january(shop, second) == [(Decimal(2), Decimal(10))]

    v2 = sdk.v2.contracts.retrieve(customer_id=customer_id, contract_id=first).data
    assert [
        (f.group_key, f.group_values, f.starting_at, f.ending_before) for f in v2.usage_filter
    ] == [("project", ["p1"], JAN, JAN_16), ("project", ["p1", "p3"], JAN_16, None)]
    v1 = sdk.v1.contracts.retrieve(customer_id=customer_id, contract_id=first).data
    history = v1.current.usage_filter
    assert (history.initial.group_values, history.initial.starting_at) == (["p1"], JAN)
    assert (history.current.group_values, history.current.starting_at) == (["p1", "p3"], JAN_16)
    assert [(u.group_values, u.starting_at) for u in history.updates] == [(["p1", "p3"], JAN_16)]
    assert ContractUsageFilter.objects.filter(contract__public_id=first).count() == 2


def test_the_filter_also_narrows_rolled_up_usage(sdk, shop):
    contract_id = _create(sdk, shop, usage_filter={"group_key": "project", "group_values": ["p1"]})
    rollups_backfill(metric=shop["metric"])
    _events(datetime(2026, 1, 10, tzinfo=UTC), "p1", 4, "a")
    _events(datetime(2026, 1, 10, tzinfo=UTC), "p2", 6, "b")
    assert rollups_advance() > 0
    shop["metric"].refresh_from_db()
    assert shop["metric"].rollup_ready
    assert _january(shop, contract_id) == [(Decimal(4), Decimal(20))]


def test_set_usage_filter_refuses_bad_input(sdk, shop):
    customer_id = str(shop["customer"].public_id)
    contract_id = _create(sdk, shop)
    common = {"customer_id": customer_id, "contract_id": contract_id}
    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.contracts.set_usage_filter(
            **common, group_key="team", group_values=["a"], starting_at="2026-01-01T00:00:00Z"
        )
    assert err.value.body["message"].startswith("group_key: 'team' is not a group key")
    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.contracts.set_usage_filter(
            **common, group_key="project", group_values=[], starting_at="2026-01-01T00:00:00Z"
        )
    assert err.value.body["message"].startswith("group_values:")
    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.contracts.set_usage_filter(
            **common, group_key="project", group_values=["p1"], starting_at="soon"
        )
    assert err.value.body["message"].startswith("starting_at:")
    with pytest.raises(metronome.BadRequestError) as err:
        _create(sdk, shop, usage_filter={"group_key": "team", "group_values": ["a"]})
    assert err.value.body["message"].startswith("usage_filter.group_key:")
    with pytest.raises(metronome.NotFoundError):
        sdk.v1.contracts.set_usage_filter(
            customer_id=customer_id, contract_id="00000000-0000-0000-0000-000000000001",
            group_key="project", group_values=["p1"], starting_at="2026-01-01T00:00:00Z",
        )  # fmt: skip
    assert not ContractUsageFilter.objects.exists()
    assert shop["customer"].contracts.count() == 1  # the refused create left nothing behind
