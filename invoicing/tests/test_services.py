"""Invoice lifecycle through the services: compute, finalize, void, regenerate."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from billing_console.api import ApplicationError
from billing_console.lib.periods import Period
from contracts.models import LedgerEntry
from contracts.selectors import commit_balance
from invoicing.models import Invoice, InvoiceStatus
from invoicing.services import (
    contract_invoices_refresh,
    invoice_compute_usage,
    invoice_finalize,
    invoice_regenerate,
    invoice_void,
)
from invoicing.tests.factories import FEB, JAN, MAR, priced_world, send_calls

pytestmark = pytest.mark.django_db
JANUARY = Period(JAN, FEB)


def test_recomputing_a_draft_reflects_new_usage_and_is_idempotent():
    world = priced_world(price=5)
    send_calls(10, datetime(2026, 1, 5, tzinfo=UTC))
    first = invoice_compute_usage(contract=world.contract, period=JANUARY)
    assert first.total == Decimal("50")
    send_calls(4, datetime(2026, 1, 6, tzinfo=UTC))
    again = invoice_compute_usage(contract=world.contract, period=JANUARY)
    assert again.pk == first.pk and again.total == Decimal("70")
    assert Invoice.objects.count() == 1 and again.lines.count() == 1


def test_finalized_invoice_is_immutable():
    world = priced_world(price=5)
    send_calls(10, datetime(2026, 1, 5, tzinfo=UTC))
    invoice = invoice_finalize(
        invoice=invoice_compute_usage(contract=world.contract, period=JANUARY)
    )
    assert invoice.status == InvoiceStatus.FINALIZED and invoice.number == "INV-000001"
    send_calls(3, datetime(2026, 1, 7, tzinfo=UTC), prefix="late")
    assert invoice_compute_usage(contract=world.contract, period=JANUARY).total == Decimal("50")
    assert invoice_finalize(invoice=invoice).number == "INV-000001"  # rerun-safe


def test_void_then_regenerate_after_a_late_event_and_a_rate_edit():
    world = priced_world(price=5)
    send_calls(10, datetime(2026, 1, 5, tzinfo=UTC))
    original = invoice_finalize(
        invoice=invoice_compute_usage(contract=world.contract, period=JANUARY)
    )
    send_calls(2, datetime(2026, 1, 20, tzinfo=UTC), prefix="late")
    world.rate.price = Decimal("6")
    world.rate.save(update_fields=["price"])
    new = invoice_regenerate(invoice=original)
    original.refresh_from_db()
    assert original.status == InvoiceStatus.VOID and original.total == Decimal("50")
    assert original.lines.get().quantity == Decimal("10")
    assert new.pk != original.pk and new.regenerated_from_id == original.pk
    assert new.status == InvoiceStatus.DRAFT and new.total == Decimal("72")
    assert invoice_regenerate(invoice=original).pk == new.pk  # a retry returns the same invoice


def test_void_gives_drawn_commit_back_through_the_ledger():
    world = priced_world(price=10, contract_extra={})
    from billing_console.wire import Reader
    from contracts.terms.create import commit_create_from_wire

    commit = commit_create_from_wire(
        Reader({"type": "PREPAID", "product_id": str(world.product.public_id), "priority": 1,
                "access_schedule": {"schedule_items": [{"amount": 100, "starting_at": "2026-01-01T00:00:00Z", "ending_before": "2027-01-01T00:00:00Z"}]}}),
        customer=world.customer, contract=world.contract,
    )  # fmt: skip
    send_calls(3, datetime(2026, 1, 5, tzinfo=UTC))
    invoice = invoice_finalize(
        invoice=invoice_compute_usage(contract=world.contract, period=JANUARY)
    )
    assert invoice.total == Decimal("0") and commit_balance(commit) == Decimal("70")
    invoice_void(invoice=invoice)
    assert commit_balance(commit) == Decimal("100")
    assert LedgerEntry.objects.filter(commit=commit).count() == 3  # start, deduction, reversal


def test_void_twice_is_a_no_op_and_finalizing_a_void_invoice_is_refused():
    world = priced_world()
    invoice = invoice_void(invoice=invoice_compute_usage(contract=world.contract, period=JANUARY))
    assert invoice_void(invoice=invoice).status == InvoiceStatus.VOID
    with pytest.raises(ApplicationError) as err:
        invoice_finalize(invoice=invoice)
    assert err.value.code == "conflict"


def test_refresh_creates_a_statement_per_period_through_now():
    world = priced_world(price=1)
    send_calls(2, datetime(2026, 1, 5, tzinfo=UTC))
    send_calls(3, datetime(2026, 2, 5, tzinfo=UTC))
    invoices = contract_invoices_refresh(
        contract=world.contract, through=datetime(2026, 2, 10, tzinfo=UTC)
    )
    assert [(i.period_start, i.period_end, i.total) for i in invoices] == [
        (JAN, FEB, Decimal("2")),
        (FEB, MAR, Decimal("3")),
    ]


def test_customer_level_credit_applies_only_to_its_contracts():
    from contracts.services import contract_create
    from contracts.terms.customer_commits import customer_commit_create
    from pricing.services import product_create

    world = priced_world(price=5)
    other = contract_create(customer=world.customer, data={
        "starting_at": "2026-01-01T00:00:00Z", "rate_card_id": str(world.rate_card.public_id),
        "usage_statement_schedule": {"frequency": "MONTHLY"},
    })  # fmt: skip
    fixed = product_create(name="Credit", type="FIXED")
    credit = customer_commit_create(customer=world.customer, credit=True, data={
        "product_id": str(fixed.public_id), "priority": 1, "name": "Only for the other contract",
        "applicable_contract_ids": [str(other.public_id)],
        "access_schedule": {"schedule_items": [
            {"amount": 30, "starting_at": "2026-01-01T00:00:00Z", "ending_before": "2026-03-01T00:00:00Z"}]},
    })  # fmt: skip
    send_calls(10, datetime(2026, 1, 5, tzinfo=UTC))
    first = invoice_compute_usage(contract=world.contract, period=JANUARY)
    second = invoice_compute_usage(contract=other, period=JANUARY)
    assert first.total == Decimal("50")  # not applicable here: nothing drawn
    assert second.total == Decimal("20")  # 50 of usage, 30 of credit
    assert commit_balance(credit, as_of=FEB) == Decimal("0")


def test_the_periodic_close_recomputes_numbers_and_audits_each_draft_of_a_batch():
    from auditlog.models import LogEntry

    from invoicing.services import invoice_finalize_due

    world = priced_world(price=5)
    send_calls(10, datetime(2026, 1, 5, tzinfo=UTC))
    send_calls(2, datetime(2026, 2, 5, tzinfo=UTC))
    contract_invoices_refresh(contract=world.contract, through=datetime(2026, 2, 10, tzinfo=UTC))
    send_calls(4, datetime(2026, 1, 9, tzinfo=UTC), prefix="late")  # after the draft was computed
    draft_lines = {i.period_start.month: i.lines.get().public_id for i in Invoice.objects.all()}
    assert invoice_finalize_due(now=MAR, grace=MAR - MAR) == 2
    jan, feb = Invoice.objects.order_by("period_start")
    # January's line was rewritten with the late usage, February's (unchanged) kept as it was
    assert jan.lines.get().public_id != draft_lines[1]
    assert feb.lines.get().public_id == draft_lines[2]
    assert [(i.status, i.number, i.total) for i in (jan, feb)] == [
        (InvoiceStatus.FINALIZED, "INV-000001", Decimal("70")),
        (InvoiceStatus.FINALIZED, "INV-000002", Decimal("10")),
    ]
    assert jan.lines.get().quantity == Decimal("14") and feb.lines.count() == 1
    totals, final = LogEntry.objects.get_for_object(jan).order_by("-pk")[:2][::-1]
    assert totals.changes["total"][1] == "70" and "status" not in totals.changes
    assert set(final.changes) == {"number", "status", "finalized_at", "customer_name"}
    assert final.changes["number"] == ["", "INV-000001"]
    assert invoice_finalize_due(now=MAR, grace=MAR - MAR) == 0  # rerun: nothing left to close
