"""The end-date rule (contracts/end_date.py) beyond scheduled charges and the contract's own
commits, to the cent: discount items and a customer-level commit's invoices dated at or after the
new end are trimmed (those on a finalized invoice stay), listed in the console's review and in
the recorded trim; a renewal ends the old contract by the same move, recorded in its history.

Amounts are USD cents, as on the wire. On top of end_date_world's contract: the "Loyalty
discount" takes $50.00 off Feb 1, $25.50 off Mar 1, $10.00 off Mar 15 (the new end itself),
$120.25 off Apr 1 and 3 x $33.33 off May 1; the customer-level "Pooled commit" ($3,000.00,
usable by nothing on this contract) is invoiced on this contract $1,000.00 on Jan 1, $1,000.50
on Apr 15 and $999.50 on Oct 1.
"""

from datetime import UTC, datetime
from decimal import Decimal

import metronome
import pytest
import time_machine
from django.urls import reverse

from contracts.console.history import credit_type
from contracts.console.schedule_words import trim_lines
from contracts.edits import contract_edit
from contracts.end_date import end_date_preview
from contracts.models import (
    Commit,
    CommitInvoiceItem,
    Contract,
    ContractEdit,
    DiscountItem,
    ScheduledChargeItem,
)
from contracts.terms.customer_commits import customer_commit_create
from contracts.terms.ledger import ledger_manual_add
from contracts.tests.end_date_world import END, NOW, trim_world
from invoicing.models import Invoice
from invoicing.services import invoice_finalize
from pricing.services import product_create

pytestmark = pytest.mark.sdk

END_WIRE = "2026-03-15T00:00:00Z"
HTMX = {"HTTP_HX_REQUEST": "true"}


def _at(month: int, day: int = 1) -> str:
    return datetime(2026, month, day, tzinfo=UTC).isoformat().replace("+00:00", "Z")


def _more_terms(world) -> None:
    discount = str(product_create(name="Loyalty", type="FIXED").public_id)
    pooled = str(product_create(name="Pooled", type="FIXED").public_id)
    contract_edit(contract=world.contract, actor="setup", data={"add_discounts": [{
        "product_id": discount, "name": "Loyalty discount", "schedule": {"schedule_items": [
            {"timestamp": _at(2), "amount": 5_000}, {"timestamp": _at(3), "amount": 2_550},
            {"timestamp": _at(3, 15), "amount": 1_000}, {"timestamp": _at(4), "amount": 12_025},
            {"timestamp": _at(5), "quantity": 3, "unit_price": 3_333}]}}]})  # fmt: skip
    customer_commit_create(customer=world.customer, data={
        "type": "PREPAID", "product_id": pooled, "name": "Pooled commit", "priority": 5,
        "applicable_product_tags": ["pooled-only"],
        "access_schedule": {"schedule_items": [
            {"amount": 300_000, "starting_at": _at(1), "ending_before": "2027-01-01T00:00:00Z"}]},
        "invoice_contract_id": str(world.contract.public_id),
        "invoice_schedule": {"schedule_items": [
            {"timestamp": _at(1), "amount": 100_000}, {"timestamp": _at(4, 15), "amount": 100_050},
            {"timestamp": _at(10), "amount": 99_950}]},
    })  # fmt: skip


@pytest.fixture
def tw(db):
    return trim_world(_more_terms)


def _ids(tw) -> dict[str, str]:
    return {"customer_id": str(tw.customer.public_id), "contract_id": str(tw.contract.public_id)}


def _rows(trim: dict, key: str) -> list[tuple]:
    return [(r["name"], r["timestamp"][:10], r["amount"]) for r in trim.get(key, [])]


def _invoices() -> list[tuple[str, str, Decimal]]:
    return [
        (f"{i.period_start:%b %-d}", i.status, i.total)
        for i in Invoice.objects.filter(type="SCHEDULED").order_by("period_start", "pk")
    ]


def test_discounts_and_a_customer_commits_invoices_after_the_end_are_trimmed(sdk, tw):
    # Before: every scheduled invoice through NOW, discounts taken off (January's and
    # February's finalized).
    assert _invoices() == [
        ("Jan 1", "FINALIZED", Decimal("700000")),  # $6,000.00 annual + $1,000.00 pooled
        ("Feb 1", "FINALIZED", Decimal("95000")),  # $1,000.00 fee - $50.00
        ("Mar 1", "DRAFT", Decimal("97450")),  # $1,000.00 fee - $25.50
        ("Mar 15", "DRAFT", Decimal("-1000")),  # the discount alone
        ("Apr 1", "DRAFT", Decimal("87975")),  # $1,000.00 fee - $120.25
        ("Apr 15", "DRAFT", Decimal("350100")),  # $2,500.50 onboarding + $1,000.50 pooled
    ]
    with time_machine.travel(NOW, tick=False):
        got = sdk.v2.contracts.edit(**_ids(tw), update_contract_end_date=END_WIRE)
    trim = got.data.edit.model_extra["end_date_trim"]

    # The recorded trim: the discount's items from the end on (Mar 15 itself included), and
    # the pooled commit's invoices after it, apart from the contract commit's.
    assert _rows(trim, "discount_items_removed") == [
        ("Loyalty discount", "2026-03-15", 1_000), ("Loyalty discount", "2026-04-01", 12_025),
        ("Loyalty discount", "2026-05-01", 9_999)]  # fmt: skip
    assert _rows(trim, "customer_commit_invoice_items_removed") == [
        ("Pooled commit", "2026-04-15", 100_050), ("Pooled commit", "2026-10-01", 99_950)]  # fmt: skip
    assert _rows(trim, "commit_invoice_items_removed") == [("Annual commit", "2026-07-01", 600_000)]
    discount_id = str(DiscountItem.objects.first().discount.public_id)
    assert {r["discount_id"] for r in trim["discount_items_removed"]} == {discount_id}
    assert "kept_on_finalized_invoices" not in trim
    history = sdk.v2.contracts.get_edit_history(**_ids(tw)).data
    [moved] = [e for e in history if e.update_contract_end_date]
    assert moved.model_extra["end_date_trim"] == trim

    # The terms: the discount keeps Feb 1 and Mar 1; the pooled commit keeps its January
    # invoice and all its access (the customer's, not the contract's).
    assert [f"{i.timestamp:%b %-d}" for i in DiscountItem.objects.order_by("timestamp")] == ["Feb 1", "Mar 1"]  # fmt: skip
    pooled = Commit.objects.get(name="Pooled commit")
    assert [f"{i.timestamp:%b %-d}" for i in pooled.invoice_items.all()] == ["Jan 1"]
    assert pooled.archived_at is None
    assert [(s.amount, s.ending_before.year) for s in pooled.segments.all()] == [(Decimal("300000"), 2027)]  # fmt: skip

    # The invoices, to the cent: the finalized ones unchanged, the drafts after the end voided.
    assert _invoices() == [
        ("Jan 1", "FINALIZED", Decimal("700000")),
        ("Feb 1", "FINALIZED", Decimal("95000")),
        ("Mar 1", "DRAFT", Decimal("97450")),
        ("Mar 15", "VOID", Decimal("-1000")),
        ("Apr 1", "VOID", Decimal("87975")),
        ("Apr 15", "VOID", Decimal("350100")),
    ]
    live = Invoice.objects.filter(type="SCHEDULED").exclude(status="VOID")
    assert sum(i.total for i in live) == Decimal("892450")  # $8,924.50 still billed

    # The console's edit history says it in dollars.
    words = trim_lines(trim, credit_type(tw.contract))
    assert "Discount Loyalty discount of Mar 15, 2026 removed ($10.00 off)" in words
    assert "Invoice of customer commit Pooled commit on Apr 15, 2026 removed ($1,000.50)" in words


def test_items_on_a_finalized_invoice_after_the_end_stay(sdk, tw):
    april = Invoice.objects.get(type="SCHEDULED", period_start=datetime(2026, 4, 1, tzinfo=UTC))
    with time_machine.travel(NOW, tick=False):
        invoice_finalize(invoice=april)
        got = sdk.v1.contracts.update_end_date(**_ids(tw), ending_before=END_WIRE)
    trim = got.data.model_extra["end_date_trim"]
    april.refresh_from_db()
    kept = [(r["name"], r["timestamp"][:10], r["amount"], r["invoice_number"])
            for r in trim["kept_on_finalized_invoices"]]  # fmt: skip
    assert kept == [("Platform fee", "2026-04-01", 100_000, april.number),
                    ("Loyalty discount", "2026-04-01", 12_025, april.number)]  # fmt: skip
    assert _rows(trim, "discount_items_removed") == [
        ("Loyalty discount", "2026-03-15", 1_000), ("Loyalty discount", "2026-05-01", 9_999)]  # fmt: skip
    assert DiscountItem.objects.filter(timestamp=april.period_start).exists()
    assert (april.status, april.total) == ("FINALIZED", Decimal("87975"))


def test_the_console_review_lists_discounts_and_customer_commit_invoices(client, dave, tw):
    client.force_login(dave)
    url = reverse("contracts:contract-update-terms", args=[tw.contract.public_id])
    with time_machine.travel(NOW, tick=False):
        review = client.post(url, {"name": "", "ending_before": "2026-03-15"}, **HTMX)
    html = review.content.decode()
    assert review.status_code == 200
    assert "Discounts removed" in html and "Loyalty discount" in html
    assert "$230.24" in html  # $10.00 + $120.25 + $99.99 no longer taken off
    assert "customer-level commit: its access stays" in html
    assert "$8,000.00" in html  # commit invoices: $6,000.00 + $1,000.50 + $999.50
    # $4,500.50 charges + $8,000.00 commit invoices - $230.24 discounts
    assert "$12,270.26" in html
    assert DiscountItem.objects.count() == 5 and not ContractEdit.objects.filter(actor="dave")
    # The Mar 15 draft carries the discount alone: voided, not recomputed.
    with time_machine.travel(NOW, tick=False):
        plan = end_date_preview(tw.contract, END, allow=True, field="f", flag="g")
    scheduled = [(f"{d.period_start:%b %-d}", d.effect) for d in plan.drafts if d.type == "SCHEDULED"]  # fmt: skip
    assert scheduled == [("Mar 15", "voided"), ("Apr 1", "voided"), ("Apr 15", "voided")]


def test_a_renewal_trims_the_old_contract_like_an_end_date_move(sdk, tw):
    with time_machine.travel(NOW, tick=False):
        new = sdk.v1.contracts.create(
            customer_id=str(tw.customer.public_id), starting_at=END_WIRE,
            rate_card_id=str(tw.world.rate_card.public_id),
            transition={"from_contract_id": str(tw.contract.public_id), "type": "RENEWAL"},
        ).data.id  # fmt: skip
    tw.contract.refresh_from_db()
    assert tw.contract.ending_before == END
    [moved] = [e for e in sdk.v2.contracts.get_edit_history(**_ids(tw)).data
               if e.update_contract_end_date]  # fmt: skip
    assert moved.update_contract_end_date == END
    trim = moved.model_extra["end_date_trim"]
    assert _rows(trim, "scheduled_charge_items_removed") == [
        ("Platform fee", "2026-04-01", 100_000), ("Onboarding", "2026-04-15", 250_050),
        ("Platform fee", "2026-05-01", 100_000)]  # fmt: skip
    assert _rows(trim, "commit_invoice_items_removed") == [("Annual commit", "2026-07-01", 600_000)]
    assert len(trim["discount_items_removed"]) == 3
    assert len(trim["customer_commit_invoice_items_removed"]) == 2
    assert [c["name"] for c in trim["commits_archived"]] == ["Q2 credit"]
    edit = ContractEdit.objects.get(contract=tw.contract, wire__end_date_trim__isnull=False)
    assert edit.request == {"transition": {"type": "RENEWAL", "to_contract_id": new}}
    assert sorted(f"{i.timestamp:%b %-d}" for i in ScheduledChargeItem.objects.all()) == ["Feb 1", "Mar 1"]  # fmt: skip
    assert _invoices()[3:] == [
        ("Mar 15", "VOID", Decimal("-1000")),
        ("Apr 1", "VOID", Decimal("87975")),
        ("Apr 15", "VOID", Decimal("350100")),
    ]
    assert CommitInvoiceItem.objects.filter(commit__name="Annual commit").count() == 1


def test_a_renewal_that_would_rewrite_the_past_is_refused_with_nothing_written(sdk, tw):
    credit = Commit.objects.get(name="Q2 credit")
    ledger_manual_add(commit=credit, segment=credit.segments.get(), amount=Decimal("1000"),
                      reason="Goodwill")  # fmt: skip
    with time_machine.travel(NOW, tick=False), pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.contracts.create(
            customer_id=str(tw.customer.public_id), starting_at=END_WIRE,
            rate_card_id=str(tw.world.rate_card.public_id),
            transition={"from_contract_id": str(tw.contract.public_id), "type": "SUPERSEDE"},
        )  # fmt: skip
    assert err.value.body["message"].startswith(
        "transition.from_contract_id: the access of 'Q2 credit' from 2026-04-01T00:00:00Z holds "
        "a manual entry; it cannot be removed."
    )
    assert Contract.objects.count() == 1
    tw.contract.refresh_from_db()
    assert tw.contract.ending_before is None
    assert ScheduledChargeItem.objects.count() == 5 and DiscountItem.objects.count() == 5
