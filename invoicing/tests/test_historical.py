"""/v1/contracts/createHistoricalInvoices through the official SDK (invoicing/historical.py):
past usage invoices created FINALIZED with the lines as given, priced by the contract's rates
through the rating core (overrides included) to the cent; the same body twice gives one set;
a preview stores nothing."""

import metronome
import pytest

from billing_console.lib.periods import Period
from contracts.edits import contract_edit
from invoicing.models import Invoice, InvoiceNumberSeries, LineItem
from invoicing.services import contract_credit_type, invoice_compute_usage
from invoicing.tests.factories import FEB, JAN, priced_world

pytestmark = pytest.mark.sdk


@pytest.fixture
def world(db):
    world = priced_world(price=5)  # Calls: 5 cents a call
    contract_edit(contract=world.contract, data={"add_overrides": [{
        "starting_at": "2026-02-01T00:00:00Z", "product_id": str(world.product.public_id),
        "type": "MULTIPLIER", "multiplier": 0.75,
    }]})  # fmt: skip
    return world


def _invoice(world, month: int, quantity: float) -> dict:
    start, end = f"2026-{month:02d}-01T00:00:00Z", f"2026-{month + 1:02d}-01T00:00:00Z"
    return {
        "customer_id": str(world.customer.public_id),
        "contract_id": str(world.contract.public_id),
        "credit_type_id": str(contract_credit_type(world.contract).public_id),
        "inclusive_start_date": start, "exclusive_end_date": end, "issue_date": end,
        "usage_line_items": [{
            "product_id": str(world.product.public_id), "quantity": quantity,
            "inclusive_start_date": start, "exclusive_end_date": end,
        }],
    }  # fmt: skip


def _stored() -> tuple[list, int, list]:
    return (
        sorted(Invoice.objects.values_list("pk", "status")),
        LineItem.objects.count(),
        list(InvoiceNumberSeries.objects.values_list("last_number", flat=True)),
    )


def test_historical_invoices_created_twice_give_one_set_to_the_cent(sdk, world):
    # January: 1201 calls x 5 = 6005 cents. February, under the x0.75 override from Feb 1:
    # 77 calls x 3.75 = 288.75, rounded half up to 289 cents.
    invoices = [_invoice(world, 1, 1201), _invoice(world, 2, 77)]
    # January's draft statement (from stored usage: none) is what its historical invoice replaces.
    draft = invoice_compute_usage(contract=world.contract, period=Period(JAN, FEB))
    before = _stored()
    preview = sdk.v1.contracts.create_historical_invoices(invoices=invoices, preview=True).data
    assert [(i.status, i.type, i.total) for i in preview] == [
        ("FINALIZED", "USAGE", 6005), ("FINALIZED", "USAGE", 289),
    ]  # fmt: skip
    assert _stored() == before  # a preview stores nothing, takes no number

    created = sdk.v1.contracts.create_historical_invoices(invoices=invoices, preview=False).data
    assert [(i.status, i.total, i.subtotal) for i in created] == [
        ("FINALIZED", 6005, 6005), ("FINALIZED", 289, 289),
    ]  # fmt: skip
    january = created[0]
    assert str(january.start_timestamp)[:10] == "2026-01-01"
    [line] = january.line_items
    assert (line.name, line.quantity, line.unit_price, line.total) == ("Calls", 1201, 5, 6005)
    [feb_line] = created[1].line_items
    assert (feb_line.quantity, feb_line.unit_price, feb_line.total) == (77, 3.75, 289)

    again = sdk.v1.contracts.create_historical_invoices(invoices=invoices, preview=False).data
    assert [i.id for i in again] == [i.id for i in created]
    live = Invoice.objects.exclude(status="VOID").filter(period_start__in=[JAN, FEB])
    assert sorted(str(i.public_id) for i in live) == sorted(i.id for i in created)
    assert all(i.number for i in live)
    draft.refresh_from_db()
    assert draft.status == "VOID"

    fetched = sdk.v1.customers.invoices.retrieve(
        customer_id=str(world.customer.public_id), invoice_id=january.id
    ).data
    assert (fetched.status, fetched.total) == ("FINALIZED", 6005)


def test_another_invoice_for_a_period_already_invoiced_is_a_conflict(sdk, world):
    sdk.v1.contracts.create_historical_invoices(invoices=[_invoice(world, 1, 10)], preview=False)
    before = _stored()
    with pytest.raises(metronome.ConflictError) as err:
        sdk.v1.contracts.create_historical_invoices(
            invoices=[_invoice(world, 1, 11)], preview=False
        )
    assert err.value.body["message"].startswith("invoices[0].inclusive_start_date: ")
    assert _stored() == before


LINE = "invoices[0].usage_line_items[0]."
MID_JANUARY = "2026-01-15T00:00:00Z"
BAD = [
    ({"exclusive_end_date": "2027-12-01T00:00:00Z"}, "invoices[0].exclusive_end_date: "),
    ({"credit_type_id": "5ae401dc-a648-4b49-9ac3-391bb5e0a0f1"}, "invoices[0].credit_type_id: "),
    ({"line": {"quantity": -1}}, LINE + "quantity: "),
    ({"line": {"pricing_group_values": {"region": "eu"}}}, LINE + "pricing_group_values: "),
    ({"line": {"inclusive_start_date": "2025-12-01T00:00:00Z"}}, LINE + "inclusive_start_date: "),
    (
        {"inclusive_start_date": MID_JANUARY, "line": {"inclusive_start_date": MID_JANUARY}},
        "invoices[0].inclusive_start_date: must start and end with one of the contract's",
    ),
]


@pytest.mark.parametrize(("change", "named"), BAD)
def test_a_bad_historical_invoice_is_a_400_naming_it_and_stores_nothing(sdk, world, change, named):
    invoice = _invoice(world, 1, 10)
    invoice["usage_line_items"][0].update(change.pop("line", {}))
    invoice.update(change)
    before = _stored()
    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.contracts.create_historical_invoices(invoices=[invoice], preview=False)
    assert err.value.body["message"].startswith(named), err.value.body
    assert _stored() == before


def test_a_historical_invoice_is_not_regenerated_from_stored_usage(sdk, world):
    """Regenerating would bill stored usage (none) instead of the quantities given: refused,
    the invoice left as it was."""
    from billing_console.api import ApplicationError
    from invoicing.services import invoice_regenerate

    [created] = sdk.v1.contracts.create_historical_invoices(
        invoices=[_invoice(world, 1, 1201)], preview=False
    ).data
    invoice = Invoice.objects.get(public_id=created.id)
    with pytest.raises(ApplicationError, match="invoice_id: a historical invoice"):
        invoice_regenerate(invoice=invoice)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.total) == ("FINALIZED", 6005)


def test_the_issue_date_given_is_the_invoices(sdk, world):
    body = {**_invoice(world, 1, 10), "issue_date": "2026-02-03T00:00:00Z"}
    [created] = sdk.v1.contracts.create_historical_invoices(invoices=[body], preview=False).data
    invoice = Invoice.objects.get(public_id=created.id)
    assert invoice.issued_at.isoformat() == "2026-02-03T00:00:00+00:00"
    assert str(created.issued_at)[:10] == "2026-02-03"
