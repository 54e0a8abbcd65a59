"""Recurring commits and credits exist as soon as the contract (or the edit that adds them) is
saved, for every period already begun; the month close never finalizes a statement while one due
for its period is missing."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest
import time_machine

from billing_console.lib.periods import Period
from contracts.models import Commit, RecurringCommit
from invoicing.models import InvoiceStatus
from invoicing.services import invoice_compute_usage, invoice_finalize_due
from invoicing.tests.factories import priced_world, send_calls
from pricing.services import product_create

pytestmark = pytest.mark.django_db

START = datetime(2026, 11, 2, tzinfo=UTC)  # 33 days before the test's "now"
NOW = START + timedelta(days=33)


def _monthly_credit() -> dict:
    product = product_create(name="Monthly credit", type="FIXED")
    return {
        "product_id": str(product.public_id), "priority": 1, "name": "Monthly 300",
        "starting_at": START.isoformat(), "access_amount": {"unit_price": 300, "quantity": 1},
        "commit_duration": {"value": 1}, "recurrence_frequency": "MONTHLY",
    }  # fmt: skip


@time_machine.travel(NOW, tick=False)
def test_a_contract_starting_33_days_back_has_both_credits_and_the_first_invoice_draws_one():
    # 80 calls x 5 = 400 in the first period; the 300 credit leaves 100 owed.
    world = priced_world(contract_extra={
        "starting_at": START.isoformat(), "recurring_credits": [_monthly_credit()]})  # fmt: skip
    credits = Commit.objects.filter(contract=world.contract).order_by("recurring_period_start")
    assert [c.recurring_period_start for c in credits] == [START, datetime(2026, 12, 2, tzinfo=UTC)]
    send_calls(80, START + timedelta(days=3))
    first = Period(START, datetime(2026, 12, 2, tzinfo=UTC))
    invoice_compute_usage(contract=world.contract, period=first)
    assert invoice_finalize_due(now=NOW, grace=timedelta(hours=1)) == 1
    invoice = world.contract.invoices.get(period_start=START, type="USAGE")
    assert (invoice.status, invoice.total) == (InvoiceStatus.FINALIZED, Decimal(100))


@time_machine.travel(NOW, tick=False)
def test_the_close_issues_a_missing_credit_before_finalizing():
    with mock.patch("contracts.terms.issuance.contract_recurring_issue"):  # as if it never ran
        world = priced_world(contract_extra={
            "starting_at": START.isoformat(), "recurring_credits": [_monthly_credit()]})  # fmt: skip
    assert RecurringCommit.objects.filter(contract=world.contract).exists()
    assert not Commit.objects.filter(contract=world.contract).exists()
    send_calls(80, START + timedelta(days=3))
    invoice_compute_usage(contract=world.contract, period=Period(START, START + timedelta(days=30)))
    invoice_finalize_due(now=NOW, grace=timedelta(hours=1))
    invoice = world.contract.invoices.get(period_start=START, type="USAGE")
    assert (invoice.status, invoice.total) == (InvoiceStatus.FINALIZED, Decimal(100))
