"""Finalizing a usage statement before its period ends (invoicing.finalize_rules): refused
unless the period is named; confirmed, the statement is cut at the last midnight at least the
close's grace ago, and the rest of the period gets a draft the close finalizes, so the period
bills all of its usage, once. Void and regenerate say what they do before they do it."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from billing_console.api import ApplicationError
from billing_console.lib.periods import Period
from contracts.models import LedgerEntry
from invoicing.models import ExternalInvoice, Invoice
from invoicing.services import (
    contract_invoices_refresh,
    contract_statement_periods,
    invoice_finalize,
    invoice_finalize_due,
    invoice_regenerate,
    invoice_void,
)
from invoicing.tests.factories import JAN, priced_world, send_calls
from invoicing.tests.stripe_fixtures import stripe_world
from pricing.models import Rate
from pricing.services import product_create, rate_add
from usage.services import billable_metric_create

DEC = datetime(2026, 12, 1, tzinfo=UTC)
CUT = datetime(2026, 12, 3, tzinfo=UTC)  # the last midnight 24 hours (the grace) before now
NOW = datetime(2026, 12, 4, 10, 30, tzinfo=UTC)  # when finance finalizes December early
JAN27 = datetime(2027, 1, 1, tzinfo=UTC)
FEB27 = datetime(2027, 2, 1, tzinfo=UTC)
CLOSE = datetime(2027, 1, 2, 1, 0, tzinfo=UTC)  # the close, after December's end + 24 hours
LABEL = "Dec 1, 2026 - Dec 3, 2026"
GRACE = timedelta(hours=24)


def _december(*, commits: list | None = None):
    """$2.50 a call from Dec 1, 2026, monthly; a $20.00 prepaid commit for a year. Six calls
    ($15.00) before the cut-off, on Dec 1 and 2, and December's draft computed on Dec 4."""
    fixed = product_create(name="Prepaid", type="FIXED")
    commits = commits if commits is not None else [{
        "type": "PREPAID", "name": "December commit", "product_id": str(fixed.public_id),
        "access_schedule": {"schedule_items": [{
            "amount": 2000, "starting_at": DEC.isoformat(), "ending_before": "2027-12-01T00:00:00Z",
        }]},
    }]  # fmt: skip
    world = priced_world(
        price=250, contract_extra={"starting_at": DEC.isoformat(), "commits": commits}
    )
    send_calls(4, DEC + timedelta(hours=12))
    send_calls(2, DEC + timedelta(days=1, hours=12))
    contract_invoices_refresh(contract=world.contract, through=NOW)
    draft = Invoice.objects.get(contract=world.contract, type="USAGE", period_start=DEC)
    return world, draft


def _usage(world) -> list[tuple[datetime, datetime, str]]:
    return list(
        Invoice.objects.filter(contract=world.contract, type="USAGE")
        .exclude(status="VOID")
        .order_by("period_start")
        .values_list("period_start", "period_end", "status")
    )


@pytest.fixture
def december(db):
    with time_machine.travel(NOW, tick=False):
        yield _december()


def test_an_open_period_is_not_finalized_without_being_named(december):
    _world, draft = december
    for typed in (None, "", "Dec 1, 2026 - Jan 1, 2027"):
        with pytest.raises(ApplicationError) as err:
            invoice_finalize(invoice=draft, confirm_period=typed)
        assert err.value.code == "invalid"
        assert err.value.message.startswith(
            "confirm_period: the period of this invoice is still open"
        )
        assert LABEL in err.value.message
    draft.refresh_from_db()
    assert (draft.status, draft.period_end, draft.number) == ("DRAFT", JAN27, "")


def test_confirmed_the_period_is_billed_whole_across_two_statements(december):
    world, draft = december
    first = invoice_finalize(invoice=draft, confirm_period="dec 1 2026 – dec 3 2026")  # as typed
    assert (first.status, first.period_start, first.period_end) == ("FINALIZED", DEC, CUT)
    assert first.number.startswith("INV-")
    # 6 calls x $2.50 = $15.00, all paid by the $20.00 commit.
    assert (first.subtotal, first.total) == (Decimal(1500), Decimal(0))
    assert _usage(world) == [(DEC, CUT, "FINALIZED"), (CUT, JAN27, "DRAFT")]  # the rest, at once
    # Usage after the cut-off: on Dec 3 (before the finalization, inside the grace) and later.
    send_calls(3, CUT + timedelta(hours=6))
    send_calls(5, DEC + timedelta(days=19))
    with time_machine.travel(CLOSE, tick=False):
        contract_invoices_refresh(contract=world.contract)
        assert invoice_finalize_due(now=CLOSE, grace=GRACE) == 1
    rest = Invoice.objects.get(contract=world.contract, type="USAGE", period_start=CUT)
    # 8 calls x $2.50 = $20.00; the commit's remaining $5.00 pays part of it.
    assert (rest.status, rest.period_end, rest.subtotal, rest.total) == (
        "FINALIZED", JAN27, Decimal(2000), Decimal(1500),
    )  # fmt: skip
    # The whole of December: 14 calls, $35.00 of charges, $20.00 drawn, $15.00 owed, as one
    # statement of the period would have billed it.
    assert first.subtotal + rest.subtotal == Decimal(3500)
    assert first.total + rest.total == Decimal(1500)
    drawn = LedgerEntry.objects.filter(type="USAGE_DEDUCTION", invoice_public_id__in=[
        first.public_id, rest.public_id])  # fmt: skip
    assert sorted(e.amount for e in drawn) == [Decimal(-1500), Decimal(-500)]
    assert _usage(world) == [
        (DEC, CUT, "FINALIZED"), (CUT, JAN27, "FINALIZED"), (JAN27, FEB27, "DRAFT"),
    ]  # fmt: skip


def test_the_cut_period_stays_cut_through_refreshes_and_regenerates(december):
    world, draft = december
    first = invoice_finalize(invoice=draft, confirm_period=LABEL)
    contract_invoices_refresh(contract=world.contract, through=NOW)
    assert contract_statement_periods(world.contract, NOW) == [Period(DEC, CUT), Period(CUT, JAN27)]
    again = invoice_regenerate(invoice=first)  # the finalized part, recomputed: same period
    assert (again.status, again.period_start, again.period_end) == ("DRAFT", DEC, CUT)
    assert (again.subtotal, again.total) == (Decimal(1500), Decimal(0))
    assert _usage(world) == [(DEC, CUT, "DRAFT"), (CUT, JAN27, "DRAFT")]


def test_a_voided_part_is_billed_again_by_the_next_refresh(december):
    world, draft = december
    first = invoice_finalize(invoice=draft, confirm_period=LABEL)
    invoice_void(invoice=first)
    contract_invoices_refresh(contract=world.contract, through=NOW)
    assert _usage(world) == [(DEC, CUT, "DRAFT"), (CUT, JAN27, "DRAFT")]
    assert Invoice.objects.get(contract=world.contract, period_start=DEC, status="DRAFT").total == 0


def _tiered(world) -> None:
    Rate.objects.filter(pk=world.rate.pk).delete()
    rate_add(rate_card=world.rate_card, product=world.product, starting_at=JAN, rate_type="TIERED",
             tiers=[{"size": 100, "price": 250}, {"price": 200}])  # fmt: skip


def _peak_seats(world) -> None:
    metric = billable_metric_create(name="seats", event_type_filter={"in_values": ["seats"]},
                                    aggregation_type="MAX", aggregation_key="seats")  # fmt: skip
    seats = product_create(name="Peak seats", type="USAGE", billable_metric=metric)
    rate_add(rate_card=world.rate_card, product=seats, starting_at=JAN, rate_type="FLAT", price=900)


POSTPAID = {
    "type": "POSTPAID", "name": "Annual minimum", "priority": 1,
    "access_schedule": {"schedule_items": [{
        "amount": 10000, "starting_at": DEC.isoformat(), "ending_before": JAN27.isoformat()}]},
    "invoice_schedule": {"schedule_items": [{"amount": 10000, "timestamp": JAN27.isoformat()}]},
}  # fmt: skip


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        (_tiered, "Calls is priced in tiers over the whole period"),
        (_peak_seats, "Peak seats bills the maximum of its usage over the period"),
        ("postpaid", "the postpaid commit Annual minimum is trued up in this period"),
    ],
)
def test_a_period_whose_bill_would_change_if_cut_is_not_finalized_early(db, setup, reason):
    with time_machine.travel(NOW, tick=False):
        if setup == "postpaid":
            fixed = product_create(name="Minimum", type="FIXED")
            world, draft = _december(commits=[{**POSTPAID, "product_id": str(fixed.public_id)}])
        else:
            world, draft = _december()
            setup(world)
        with pytest.raises(ApplicationError) as err:
            invoice_finalize(invoice=draft, confirm_period=LABEL)
    assert err.value.code == "conflict" and reason in err.value.message
    assert _usage(world) == [(DEC, JAN27, "DRAFT")]


def test_a_period_begun_within_the_grace_cannot_be_finalized_yet(db):
    with time_machine.travel(DEC + timedelta(days=1, hours=12), tick=False):
        world = priced_world(price=250, contract_extra={"starting_at": DEC.isoformat()})
        contract_invoices_refresh(contract=world.contract)
        draft = Invoice.objects.get(contract=world.contract, type="USAGE", period_start=DEC)
        with pytest.raises(ApplicationError) as err:
            invoice_finalize(invoice=draft, confirm_period=LABEL)
    assert err.value.code == "conflict"
    assert (
        "no part of this period can be finalized before Dec 3, 2026 00:00 UTC" in err.value.message
    )


# -- the console ---------------------------------------------------------------------------------


def _page(client, invoice, **query) -> str:
    url = reverse("invoicing:invoice-detail", args=[invoice.public_id])
    return client.get(url, query).content.decode()


def test_the_console_offers_no_single_click_finalize_on_an_open_period(client, fiona, december):
    _world, draft = december
    client.force_login(fiona)
    page = _page(client, draft)
    assert "Finalize early…" in page and 'hx-confirm="Finalize this invoice?' not in page
    assert "Period open until Jan 1, 2027" in page
    confirm = client.get(
        reverse("invoicing:invoice-detail", args=[draft.public_id]), {"confirm": "finalize"},
        headers={"HX-Request": "true", "HX-Target": "confirm-panel"},
    ).content.decode()  # fmt: skip
    assert confirm.startswith('\n<div id="confirm-panel">') or '<div id="confirm-panel">' in confirm
    assert "<html" not in confirm
    assert "Dec 1 – Dec 2, 2026" in confirm  # this invoice
    assert "Dec 3 – Dec 31, 2026" in confirm  # the new draft
    assert "$0.00" in confirm and "draws $15.00 from December commit (prepaid commit)" in confirm
    assert f"<code>{LABEL}</code>" in confirm


def test_the_console_refuses_a_finalize_without_the_period_typed(client, fiona, december):
    _world, draft = december
    client.force_login(fiona)
    url = reverse("invoicing:invoice-finalize", args=[draft.public_id])
    response = client.post(url, {"confirm_period": "December"}, headers={"HX-Request": "true"})
    assert response.status_code == 422
    body = response.content.decode()
    assert "<html" not in body and "That is not the period this invoice will cover" in body
    assert client.post(url).status_code == 422  # nothing typed: the page, with the form again
    draft.refresh_from_db()
    assert (draft.status, draft.period_end) == ("DRAFT", JAN27)


def test_the_console_finalizes_the_named_part_and_links_the_rest(client, fiona, december):
    world, draft = december
    client.force_login(fiona)
    url = reverse("invoicing:invoice-finalize", args=[draft.public_id])
    response = client.post(url, {"confirm_period": LABEL}, follow=True)
    page = response.content.decode()
    rest = Invoice.objects.get(contract=world.contract, type="USAGE", period_start=CUT)
    assert "finalized for Dec 1, 2026 - Dec 3, 2026" in page
    assert "Finalized before its period ended" in page and str(rest.public_id) in page
    assert "The rest of a period finalized early" in _page(client, rest)


def test_void_and_regenerate_say_what_they_do_to_ledgers_and_stripe(client, fiona, fake, db):
    with time_machine.travel(NOW, tick=False):
        world, draft = _december()
        sw = stripe_world(fake, world=world)
        first = invoice_finalize(invoice=draft, confirm_period=LABEL)
    send_calls(8, DEC + timedelta(days=19))
    with time_machine.travel(CLOSE, tick=False):
        invoice_finalize_due(now=CLOSE, grace=GRACE)
        rest = Invoice.objects.get(contract=world.contract, type="USAGE", period_start=CUT)
        ExternalInvoice.objects.update_or_create(invoice=rest, defaults={
            "configuration": sw.configuration, "provider": sw.entity, "billing_provider": "stripe",
            "external_id": "in_rest", "external_status": "PAID", "invoiced_total": Decimal(1500),
        })  # fmt: skip
        client.force_login(fiona)
        queued = _page(client, first, confirm="void")  # its sync had not run yet
        void = _page(client, rest, confirm="void")
        regenerate = _page(client, rest, confirm="regenerate")
    assert first.total == 0 and rest.total == Decimal(1500)
    # 8 calls, $20.00, the commit's last $5.00 drawn.
    assert "$5.00 is given back to December commit (prepaid commit)" in void
    assert (
        "in_rest" in void
        and "(paid, $15.00)" in void
        and "refund it or issue a credit note" in void
    )
    assert "is billed again" in void
    assert "$15.00 is given back to December commit" in queued
    assert (
        "Stripe:</strong> its copy is not made yet; once this invoice is void, it never is"
        in queued
    )
    assert "It would total <strong>$15.00</strong> (this one: $15.00)" in regenerate
    assert "draw again $5.00 from December commit" in regenerate
    assert "$5.00 is given back to December commit" in regenerate


def test_a_drafts_void_says_nothing_was_sent_to_stripe(client, fiona, december):
    _world, draft = december
    client.force_login(fiona)
    void = _page(client, draft, confirm="void")
    assert "$15.00 is given back to December commit (prepaid commit)" in void
    assert "nothing was sent; drafts never are" in void


def test_read_only_users_see_no_confirmations(client, bob, december):
    _world, draft = december
    client.force_login(bob)
    assert "confirm_period" not in _page(client, draft, confirm="finalize")
    assert "given back" not in _page(client, draft, confirm="void")
