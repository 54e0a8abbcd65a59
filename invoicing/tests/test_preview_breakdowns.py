"""Cost preview, breakdowns and daily costs through the official SDK."""

from datetime import UTC, datetime

import pytest
import time_machine

from billing_console.lib.periods import Period
from contracts.models import LedgerEntry
from invoicing.models import Invoice, LineItem
from invoicing.services import invoice_compute_usage, invoice_finalize
from invoicing.tests.factories import FEB, JAN, priced_world, send_calls
from usage.models import UsageEvent

pytestmark = pytest.mark.sdk


def _calls(count: int, at: str) -> list[dict]:
    return [{"event_type": "call", "timestamp": at, "properties": {}} for _ in range(count)]


@time_machine.travel(datetime(2026, 1, 20, 12, tzinfo=UTC), tick=True)
def test_preview_prices_hypothetical_events_and_stores_nothing(sdk, db):
    world = priced_world(price=5)
    send_calls(10, datetime(2026, 1, 5, tzinfo=UTC))
    customer_id = str(world.customer.public_id)
    counts = (
        UsageEvent.objects.count(),
        Invoice.objects.count(),
        LineItem.objects.count(),
        LedgerEntry.objects.count(),
    )

    replaced = sdk.v1.customers.preview_events(
        customer_id=customer_id, events=_calls(4, "2026-01-19T00:00:00Z")
    )
    merged = sdk.v1.customers.preview_events(
        customer_id=customer_id, events=_calls(4, "2026-01-19T00:00:00Z"), mode="merge"
    )

    assert [(i.total, i.start_timestamp) for i in replaced.data] == [(20, JAN)]
    assert [(li.quantity, li.total) for li in replaced.data[0].line_items] == [(4, 20)]
    assert [i.total for i in merged.data] == [70]
    after = (
        UsageEvent.objects.count(),
        Invoice.objects.count(),
        LineItem.objects.count(),
        LedgerEntry.objects.count(),
    )
    assert after == counts


@time_machine.travel(datetime(2026, 1, 20, 12, tzinfo=UTC), tick=True)
def test_preview_merge_ignores_events_already_ingested(sdk, db):
    world = priced_world(price=5)
    send_calls(2, datetime(2026, 1, 5, tzinfo=UTC), prefix="seen")
    stored_id = UsageEvent.objects.first().transaction_id
    event = {"transaction_id": stored_id, "event_type": "call", "timestamp": "2026-01-05T00:00:00Z"}
    merged = sdk.v1.customers.preview_events(
        customer_id=str(world.customer.public_id), events=[event], mode="merge"
    )
    assert merged.data[0].total == 10  # the two stored calls; the repeated one is not counted twice


def test_preview_rejects_a_bad_event_naming_the_field(sdk, db):
    import metronome

    world = priced_world()
    with pytest.raises(metronome.BadRequestError, match=r"events\[1\]\.event_type"):
        sdk.v1.customers.preview_events(
            customer_id=str(world.customer.public_id),
            events=[{"event_type": "call"}, {"properties": {}}],
        )


@pytest.fixture
def january(db):
    world = priced_world(price=5)
    send_calls(10, datetime(2026, 1, 5, 10, tzinfo=UTC))
    send_calls(3, datetime(2026, 1, 6, 23, tzinfo=UTC), prefix="late")
    invoice_finalize(
        invoice=invoice_compute_usage(contract=world.contract, period=Period(JAN, FEB))
    )
    return world


def test_breakdowns_by_day_sum_to_the_invoice(sdk, january):
    pages = sdk.v1.customers.invoices.list_breakdowns(
        customer_id=str(january.customer.public_id),
        starting_on="2026-01-04T00:00:00Z",
        ending_before="2026-01-08T00:00:00Z",
        window_size="DAY",
    )
    days = list(pages)
    assert [(d.breakdown_start_timestamp.day, d.total) for d in days] == [
        (4, 0),
        (5, 50),
        (6, 15),
        (7, 0),
    ]
    assert [(li.quantity, li.total) for li in days[1].line_items] == [(10, 50)]
    assert days[1].status == "FINALIZED"


def test_breakdowns_by_hour_page_with_next_page(sdk, january):
    first = sdk.v1.customers.invoices.list_breakdowns(
        customer_id=str(january.customer.public_id),
        starting_on="2026-01-05T09:00:00Z",
        ending_before="2026-01-05T12:00:00Z",
        window_size="HOUR",
        limit=2,
    )
    assert [h.total for h in first.data] == [0, 50]
    assert [h.total for h in first.get_next_page().data] == [0]


def test_costs_per_day(sdk, january):
    days = list(
        sdk.v1.customers.list_costs(
            customer_id=str(january.customer.public_id),
            starting_on="2026-01-05T00:00:00Z",
            ending_before="2026-01-07T00:00:00Z",
        )
    )
    usd = "2714e483-4ff1-48e4-9e25-ac732e8f24f2"
    assert [d.credit_types[usd].cost for d in days] == [50, 15]
    assert [(b.name, b.cost) for b in days[0].credit_types[usd].line_item_breakdown] == [
        ("Calls", 50)
    ]
