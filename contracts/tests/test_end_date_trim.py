"""Moving a contract's end before two scheduled charges (contracts/end_date.py), through the
official SDK by v1 updateEndDate and by a v2 edit: the same trim, to the cent on the invoices,
recorded in the edit history; the ledger stays consistent; and the moves that would rewrite
what already happened are refused with nothing written."""

from datetime import UTC, datetime
from decimal import Decimal

import metronome
import pytest
import time_machine

from contracts.models import (
    AccessSegment,
    Commit,
    CommitInvoiceItem,
    LedgerEntry,
    ScheduledChargeItem,
)
from contracts.terms.ledger import ledger_manual_add, segments_expire
from contracts.tests.end_date_world import END, NOW, trim_world
from invoicing.models import Invoice
from invoicing.services import invoice_finalize

pytestmark = pytest.mark.sdk

END_WIRE = "2026-03-15T00:00:00Z"


@pytest.fixture
def tw(db):
    return trim_world()


def _ids(tw) -> dict[str, str]:
    return {"customer_id": str(tw.customer.public_id), "contract_id": str(tw.contract.public_id)}


def _move(sdk, tw, via: str) -> dict:
    """Move the end to Mar 15 as the API user would; what the response says was trimmed."""
    with time_machine.travel(NOW, tick=False):
        if via == "v1":
            got = sdk.v1.contracts.update_end_date(**_ids(tw), ending_before=END_WIRE)
            return got.data.model_extra["end_date_trim"]
        got = sdk.v2.contracts.edit(**_ids(tw), update_contract_end_date=END_WIRE)
        return got.data.edit.model_extra["end_date_trim"]


def _invoices(kind: str) -> list[tuple[str, str, str, Decimal]]:
    return [
        (f"{i.period_start:%b %-d}", f"{i.period_end:%b %-d}", i.status, i.total)
        for i in Invoice.objects.filter(type=kind).order_by("period_start", "pk")
    ]


@pytest.mark.parametrize("via", ["v1", "v2"])
def test_an_end_moved_before_two_scheduled_charges_trims_them_to_the_cent(sdk, tw, via):
    trim = _move(sdk, tw, via)

    # What was trimmed, as the response (and the edit history) say it.
    removed = [(r["name"], r["timestamp"][:10], r["amount"]) for r in trim["scheduled_charge_items_removed"]]  # fmt: skip
    assert removed == [("Platform fee", "2026-04-01", 100_000), ("Onboarding", "2026-04-15", 250_050),
                       ("Platform fee", "2026-05-01", 100_000)]  # fmt: skip
    assert [(r["name"], r["timestamp"][:10], r["amount"]) for r in trim["commit_invoice_items_removed"]] == [
        ("Annual commit", "2026-07-01", 600_000)]  # fmt: skip
    [cut] = trim["access_schedule_items_cut"]
    assert (cut["name"], cut["ending_before"], cut["previous_ending_before"]) == (
        "Annual commit", END_WIRE, "2027-01-01T00:00:00Z")  # fmt: skip
    [gone] = trim["access_schedule_items_removed"]
    assert (gone["name"], gone["amount"]) == ("Q2 credit", 50_000)
    assert [c["name"] for c in trim["commits_archived"]] == ["Q2 credit"]
    history = sdk.v2.contracts.get_edit_history(**_ids(tw)).data
    [moved] = [e for e in history if e.update_contract_end_date]
    assert moved.update_contract_end_date == END
    assert moved.model_extra["end_date_trim"] == trim

    # The terms: two charges' later items and the July commit invoice are gone; access is cut.
    assert sorted(f"{i.timestamp:%b %-d}" for i in ScheduledChargeItem.objects.all()) == ["Feb 1", "Mar 1"]  # fmt: skip
    assert [f"{i.timestamp:%b %-d}" for i in CommitInvoiceItem.objects.all()] == ["Jan 1"]
    annual = Commit.objects.get(name="Annual commit")
    assert annual.segments.get().ending_before == END
    credit = Commit.objects.get(name="Q2 credit")
    assert credit.archived_at is not None and not credit.segments.exists()

    # The invoices, to the cent (USD cents): finalized ones unchanged, the April drafts voided,
    # March's statement cut at Mar 15 (40 calls at 5 cents; the 20 of Mar 20 fall after the end).
    assert _invoices("SCHEDULED") == [
        ("Jan 1", "Jan 1", "FINALIZED", Decimal("600000")),
        ("Feb 1", "Feb 1", "FINALIZED", Decimal("100000")),
        ("Mar 1", "Mar 1", "DRAFT", Decimal("100000")),
        ("Apr 1", "Apr 1", "VOID", Decimal("100000")),
        ("Apr 15", "Apr 15", "VOID", Decimal("250050")),
    ]
    live = Invoice.objects.filter(type="SCHEDULED").exclude(status="VOID")
    assert sum(i.total for i in live) == Decimal("800000")  # $8,000.00 still billed
    assert _invoices("USAGE") == [
        ("Jan 1", "Feb 1", "FINALIZED", Decimal("0")),
        ("Feb 1", "Mar 1", "DRAFT", Decimal("0")),
        ("Mar 1", "Mar 15", "DRAFT", Decimal("0")),
        ("Apr 1", "May 1", "VOID", Decimal("0")),
    ]
    march = Invoice.objects.get(type="USAGE", period_start=datetime(2026, 3, 1, tzinfo=UTC))
    assert [(line.type, line.total) for line in march.lines.all()] == [
        ("USAGE", Decimal("200")), ("APPLIED_COMMIT", Decimal("-200"))]  # fmt: skip

    # The ledger: the commit drew 500 (January, final) and 200 (March, draft); once those
    # drafts are final, what is unused expires at the cut and the balance is 0.
    entries = LedgerEntry.objects.filter(commit=annual)
    assert sum(e.amount for e in entries) == Decimal("1199300")
    with time_machine.travel(NOW, tick=False):
        for draft in Invoice.objects.filter(type="USAGE", status="DRAFT"):
            invoice_finalize(invoice=draft)
        segments_expire(now=NOW)
    expired = LedgerEntry.objects.get(commit=annual, type="EXPIRATION")
    assert (expired.amount, expired.timestamp) == (Decimal("-1199300"), END)
    assert sum(e.amount for e in LedgerEntry.objects.filter(commit=annual)) == 0


def test_a_later_end_trims_nothing_and_brings_nothing_back(sdk, tw):
    _move(sdk, tw, "v1")
    with time_machine.travel(NOW, tick=False):
        got = sdk.v1.contracts.update_end_date(**_ids(tw), ending_before="2027-01-01T00:00:00Z")
    assert "end_date_trim" not in (got.data.model_extra or {})
    assert ScheduledChargeItem.objects.count() == 2
    assert AccessSegment.objects.get(commit__name="Annual commit").ending_before == END


def _unchanged(tw) -> tuple:
    tw.contract.refresh_from_db()
    return (
        tw.contract.ending_before,
        ScheduledChargeItem.objects.count(),
        list(AccessSegment.objects.values_list("ending_before", flat=True).order_by("pk")),
        list(Invoice.objects.values_list("status", flat=True).order_by("pk")),
    )


def test_a_move_that_would_remove_a_manual_entry_is_refused(sdk, tw):
    credit = Commit.objects.get(name="Q2 credit")
    ledger_manual_add(commit=credit, segment=credit.segments.get(), amount=Decimal("1000"),
                      reason="Goodwill")  # fmt: skip
    before = _unchanged(tw)
    with time_machine.travel(NOW, tick=False), pytest.raises(metronome.BadRequestError) as err:
        sdk.v2.contracts.edit(**_ids(tw), update_contract_end_date=END_WIRE)
    assert err.value.body["message"] == (
        "update_contract_end_date: the access of 'Q2 credit' from 2026-04-01T00:00:00Z holds a "
        "manual entry; it cannot be removed. End the contract on 2026-04-01T00:00:00Z or later, "
        "or void what drew from it first."
    )
    assert _unchanged(tw) == before


def test_a_move_before_an_access_already_closed_is_refused(sdk, tw):
    with time_machine.travel(NOW, tick=False):  # a segment that ended Mar 1 and was closed
        annual = Commit.objects.get(name="Annual commit")
        segment = annual.segments.get()
        segment.ending_before = datetime(2026, 3, 1, tzinfo=UTC)
        segment.save()
        # the periods that have ended (an open one is finalized early only when named)
        for draft in Invoice.objects.filter(type="USAGE", status="DRAFT", period_end__lte=NOW):
            invoice_finalize(invoice=draft)
        segments_expire(now=NOW)
        before = _unchanged(tw)
        with pytest.raises(metronome.BadRequestError) as err:
            sdk.v1.contracts.update_end_date(**_ids(tw), ending_before="2026-02-15T00:00:00Z")
    assert err.value.body["message"].startswith(
        "ending_before: the access of 'Annual commit' (2026-01-01T00:00:00Z to "
        "2026-03-01T00:00:00Z) has already ended"
    )
    assert _unchanged(tw) == before
