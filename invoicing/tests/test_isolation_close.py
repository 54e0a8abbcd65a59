"""One contract's failure in its statement's rating or outside it (its recurring credits cannot be
issued; anything else that stops a batch of the month close) never stops the other contracts'
drafts: they are refreshed and finalized, and the failing one stays a draft with its error."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest
import time_machine

from contracts.models import LedgerEntry
from contracts.services import contract_create
from contracts.terms.issuance import recurring_item_issue
from customers.services import customer_create
from invoicing import close
from invoicing.models import Invoice, InvoiceStatus
from invoicing.refresh_batch import contracts_refresh
from invoicing.services import invoice_finalize_due
from invoicing.tests.factories import priced_world, send_calls
from pricing.services import product_create

pytestmark = pytest.mark.django_db

START = datetime(2026, 11, 2, tzinfo=UTC)
NOW = START + timedelta(days=33)  # the first period (to Dec 2) ended a day ago
FAILED = "internal error (RuntimeError); details are in the server log."


def _two_contracts() -> tuple:
    """Acme's and Beta's contracts, each with a monthly 300 credit and 80 calls at 5 in its
    first period: 100 owed each once the credit is drawn."""
    credit = product_create(name="Monthly credit", type="FIXED")
    terms = {
        "starting_at": START.isoformat(),
        "recurring_credits": [{
            "product_id": str(credit.public_id), "priority": 1, "name": "Monthly 300",
            "starting_at": START.isoformat(), "access_amount": {"unit_price": 300, "quantity": 1},
            "commit_duration": {"value": 1}, "recurrence_frequency": "MONTHLY",
        }],
    }  # fmt: skip
    world = priced_world(contract_extra=terms)
    beta = contract_create(
        customer=customer_create(name="Beta", ingest_aliases=["beta"]),
        data={**terms, "rate_card_id": str(world.rate_card.public_id),
              "usage_statement_schedule": {"frequency": "MONTHLY"}},
    )  # fmt: skip
    send_calls(80, START + timedelta(days=3))
    send_calls(80, START + timedelta(days=3), alias="beta", prefix="b")
    return world.contract, beta


def _first(contract) -> Invoice:
    return Invoice.objects.get(contract=contract, type="USAGE", period_start=START)


@time_machine.travel(NOW, tick=False)
def test_recurring_credits_that_cannot_be_issued_hold_only_their_contracts_drafts():
    acme, beta = _two_contracts()

    def issue(*, item, now):
        if item.contract_id == acme.pk:
            raise RuntimeError("bad recurring item")
        return recurring_item_issue(item=item, now=now)

    with mock.patch("invoicing.recurring_due.recurring_item_issue", side_effect=issue):
        refreshed = contracts_refresh([acme.pk, beta.pk], now=NOW)
        assert refreshed.failed == [acme.pk]
        assert _first(acme).error == FAILED  # recorded on Acme's first open statement
        assert _first(beta).total == Decimal(100)

        assert invoice_finalize_due(now=NOW, grace=timedelta(hours=1)) == 1

    held, closed = _first(acme), _first(beta)
    assert (closed.status, closed.total, closed.error) == (
        InvoiceStatus.FINALIZED,
        Decimal(100),
        "",
    )
    assert (held.status, held.error) == (InvoiceStatus.DRAFT, FAILED)

    assert invoice_finalize_due(now=NOW, grace=timedelta(hours=1)) == 1  # once it can be issued
    held.refresh_from_db()
    assert (held.status, held.total, held.error) == (InvoiceStatus.FINALIZED, Decimal(100), "")


@time_machine.travel(NOW, tick=False)
def test_a_batch_that_cannot_close_is_closed_one_draft_at_a_time():
    acme, beta = _two_contracts()
    contracts_refresh([acme.pk, beta.pk], now=NOW)
    stuck = _first(acme).pk
    real = close.consolidated_close

    def consolidated_close(*, invoice_ids, finalized):
        if stuck in invoice_ids:  # whatever stops a batch, here when it holds Acme's draft
            raise RuntimeError("stuck")
        return real(invoice_ids=invoice_ids, finalized=finalized)

    with mock.patch.object(close, "consolidated_close", side_effect=consolidated_close):
        assert invoice_finalize_due(now=NOW, grace=timedelta(hours=1)) == 1

    held, closed = _first(acme), _first(beta)
    assert (closed.status, closed.total) == (InvoiceStatus.FINALIZED, Decimal(100))
    assert (held.status, held.error) == (InvoiceStatus.DRAFT, FAILED)


@time_machine.travel(NOW, tick=False)
def test_a_statement_that_fails_in_the_close_leaves_the_others_drawn_once():
    acme, beta = _two_contracts()
    contracts_refresh([acme.pk, beta.pk], now=NOW)
    real = close.draft_usage_statement

    def rated(contract, *args):
        if contract.pk == beta.pk:  # rated after Acme's, whose draw was written by then
            raise RuntimeError("bad statement")
        return real(contract, *args)

    with mock.patch.object(close, "draft_usage_statement", side_effect=rated):
        assert invoice_finalize_due(now=NOW, grace=timedelta(hours=1)) == 1

    closed, held = _first(acme), _first(beta)
    assert (closed.status, closed.total) == (InvoiceStatus.FINALIZED, Decimal(100))
    assert (held.status, held.error) == (InvoiceStatus.DRAFT, FAILED)
    drawn = LedgerEntry.objects.filter(type="USAGE_DEDUCTION", invoice_public_id=closed.public_id)
    assert [e.amount for e in drawn] == [Decimal(-300)]  # the batch's first try rolled back
