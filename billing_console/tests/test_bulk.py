"""bulk_insert writes what bulk_create would (COPY on PostgreSQL, bulk_create elsewhere)."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.forms.models import model_to_dict

from billing_console.lib.bulk import bulk_insert, bulk_update_rows
from billing_console.lib.periods import Period
from invoicing.models import Invoice, LineItem
from invoicing.services import invoice_compute_usage
from invoicing.tests.factories import FEB, JAN, priced_world, send_calls

pytestmark = pytest.mark.django_db


def test_rows_read_back_equal_what_was_written_json_decimals_uuids_and_quotes_included():
    world = priced_world(price=5)
    send_calls(3, datetime(2026, 1, 5, tzinfo=UTC))
    invoice = invoice_compute_usage(contract=world.contract, period=Period(JAN, FEB))
    line = invoice.lines.get()
    copies = []
    for position, name in enumerate(['tab\there, "quoted"', "back\\slash\nnew line", "é ü 💶"]):
        copy = LineItem.objects.get(pk=line.pk)
        copy.pk, copy.public_id, copy.position, copy.name = None, uuid.uuid4(), position + 1, name
        copy.explanation = {"note": name, "nested": [1, None, {"x": "1.10"}]}
        copy.total = Decimal("1234567.891")
        copies.append(copy)
    bulk_insert(LineItem, copies)
    stored = list(invoice.lines.filter(position__gt=0).order_by("position"))
    assert [model_to_dict(s, exclude=["id"]) for s in stored] == [
        model_to_dict(c, exclude=["id"]) for c in copies
    ]
    assert stored[0].total == Decimal("1234567.891")
    assert stored[2].explanation == {"note": "é ü 💶", "nested": [1, None, {"x": "1.10"}]}


def test_nothing_to_write_sends_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        bulk_insert(LineItem, [])


def test_updated_fields_are_written_and_the_others_left_alone():
    world = priced_world(price=5)
    send_calls(3, datetime(2026, 1, 5, tzinfo=UTC))
    invoice = invoice_compute_usage(contract=world.contract, period=Period(JAN, FEB))
    other = Invoice.objects.get(pk=invoice.pk)
    invoice.total, invoice.number, invoice.customer_name = Decimal("12.34"), "INV-9", "O'Brien; \\"
    invoice.subtotal = Decimal("999")  # changed here but not named: not written
    bulk_update_rows(Invoice, [invoice], ["total", "number", "customer_name"])
    stored = Invoice.objects.get(pk=invoice.pk)
    assert (stored.total, stored.number, stored.customer_name) == (
        Decimal("12.34"), "INV-9", "O'Brien; \\",
    )  # fmt: skip
    assert stored.subtotal == other.subtotal == Decimal("15")
