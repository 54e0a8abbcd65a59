"""Invoices through the official metronome-sdk against a live server."""

from datetime import UTC, datetime

import metronome
import pytest

from billing_console.lib.periods import Period
from invoicing.services import invoice_compute_usage, invoice_finalize
from invoicing.tests.factories import FEB, JAN, priced_world, send_calls

pytestmark = pytest.mark.sdk


@pytest.fixture
def world(db):
    world = priced_world(price=5)
    send_calls(10, datetime(2026, 1, 5, tzinfo=UTC))
    invoice_finalize(
        invoice=invoice_compute_usage(contract=world.contract, period=Period(JAN, FEB))
    )
    send_calls(3, datetime(2026, 2, 5, tzinfo=UTC))
    invoice_compute_usage(
        contract=world.contract, period=Period(FEB, datetime(2026, 3, 1, tzinfo=UTC))
    )
    return world


def test_list_and_retrieve_invoices(sdk, world):
    customer_id = str(world.customer.public_id)
    invoices = list(
        sdk.v1.customers.invoices.list(
            customer_id=customer_id,
            starting_on="2026-01-01T00:00:00Z",
            ending_before="2026-03-01T00:00:00Z",
        )
    )
    assert [(i.status, i.total, i.type) for i in invoices] == [
        ("FINALIZED", 50, "USAGE"),
        ("DRAFT", 15, "USAGE"),
    ]
    january = invoices[0]
    assert january.start_timestamp == JAN and january.end_timestamp == FEB
    assert january.contract_id == str(world.contract.public_id)
    line = january.line_items[0]
    assert (line.name, line.quantity, line.unit_price, line.total) == ("Calls", 10, 5, 50)
    assert line.product_id == str(world.product.public_id)

    fetched = sdk.v1.customers.invoices.retrieve(
        customer_id=customer_id, invoice_id=january.id
    ).data
    assert fetched.total == 50 and fetched.id == january.id
    finalized = list(
        sdk.v1.customers.invoices.list(
            customer_id=customer_id, status="FINALIZED", starting_on="2026-01-01T00:00:00Z"
        )
    )
    assert [i.id for i in finalized] == [january.id]
    newest_first = list(
        sdk.v1.customers.invoices.list(
            customer_id=customer_id,
            sort="date_desc",
            starting_on="2026-01-01T00:00:00Z",
            ending_before="2026-03-01T00:00:00Z",
        )
    )
    assert [i.total for i in newest_first] == [15, 50]


def test_void_and_regenerate(sdk, world):
    customer_id = str(world.customer.public_id)
    january = next(
        iter(
            sdk.v1.customers.invoices.list(
                customer_id=customer_id, status="FINALIZED", starting_on="2026-01-01T00:00:00Z"
            )
        )
    )
    send_calls(2, datetime(2026, 1, 20, tzinfo=UTC), prefix="late")
    regenerated = sdk.v1.invoices.regenerate(id=january.id).data
    assert regenerated.id != january.id
    old = sdk.v1.customers.invoices.retrieve(customer_id=customer_id, invoice_id=january.id).data
    new = sdk.v1.customers.invoices.retrieve(
        customer_id=customer_id, invoice_id=regenerated.id
    ).data
    assert (old.status, old.total) == ("VOID", 50)
    assert (new.status, new.total, new.regenerated_from_invoice_id) == ("DRAFT", 60, january.id)
    assert sdk.v1.invoices.void(id=regenerated.id).data.id == regenerated.id
    assert (
        sdk.v1.customers.invoices.retrieve(
            customer_id=customer_id, invoice_id=regenerated.id
        ).data.status
        == "VOID"
    )


def test_unknown_invoice_is_not_found(sdk, world):
    with pytest.raises(metronome.NotFoundError):
        sdk.v1.customers.invoices.retrieve(
            customer_id=str(world.customer.public_id),
            invoice_id="6f1c4a0e-0000-4000-8000-000000000000",
        )
    with pytest.raises(metronome.NotFoundError):
        sdk.v1.invoices.void(id="6f1c4a0e-0000-4000-8000-000000000000")
    with pytest.raises(metronome.BadRequestError):
        sdk.v1.customers.invoices.list(customer_id=str(world.customer.public_id), status="PAID-ISH")


def test_invoice_pdf_through_the_sdk(sdk, world):
    import io

    from pypdf import PdfReader

    customer_id = str(world.customer.public_id)
    january = next(
        iter(
            sdk.v1.customers.invoices.list(
                customer_id=customer_id, status="FINALIZED", starting_on="2026-01-01T00:00:00Z"
            )
        )
    )
    response = sdk.v1.customers.invoices.retrieve_pdf(
        customer_id=customer_id, invoice_id=january.id
    )
    assert response.http_request.headers["accept"] == "application/pdf"
    assert response.headers["content-type"] == "application/pdf"
    pdf = response.read()
    assert pdf.startswith(b"%PDF-")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Invoice INV-000001" in text
    assert "Calls" in text and text.count("$0.50") >= 2  # the line and the total (50 cents)
    with pytest.raises(metronome.NotFoundError):
        sdk.v1.customers.invoices.retrieve_pdf(
            customer_id=customer_id, invoice_id="00000000-0000-0000-0000-000000000001"
        )
