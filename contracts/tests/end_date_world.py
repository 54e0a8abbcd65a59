"""A contract for end-date moves (test_end_date_trim.py, test_browser_end_date.py): two
scheduled charges, a prepaid commit invoiced twice, a credit for the second quarter, usage in
January, March and April, and its invoices as of April 20, 2026: January's finalized, the
rest drafts.

Amounts are USD cents, as on the wire: the platform fee is $1,000.00 a month (Feb 1 to May 1),
onboarding $2,500.50 on Apr 15, the commit $12,000.00 (invoiced $6,000.00 on Jan 1 and Jul 1),
the credit $500.00; calls cost 5 cents.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from types import SimpleNamespace

import time_machine

from contracts.edits import contract_edit
from invoicing.models import Invoice
from invoicing.services import contract_invoices_refresh, invoice_finalize
from invoicing.tests.factories import World, priced_world, send_calls
from pricing.services import product_create

NOW = datetime(2026, 4, 20, 12, tzinfo=UTC)
END = datetime(2026, 3, 15, tzinfo=UTC)  # the new end: before the Apr 1, Apr 15 and May 1 charges


def _at(month: int, day: int = 1) -> str:
    return datetime(2026, month, day, tzinfo=UTC).isoformat().replace("+00:00", "Z")


def _terms(fee: str, onboarding: str, commit: str, credit: str) -> dict:
    return {
        "add_scheduled_charges": [
            {"product_id": fee, "name": "Platform fee", "schedule": {"schedule_items": [
                {"timestamp": _at(m), "amount": 100_000} for m in (2, 3, 4, 5)]}},
            {"product_id": onboarding, "name": "Onboarding", "schedule": {"schedule_items": [
                {"timestamp": _at(4, 15), "unit_price": 83_350, "quantity": 3}]}},
        ],
        "add_commits": [{
            "type": "PREPAID", "product_id": commit, "name": "Annual commit", "priority": 2,
            "access_schedule": {"schedule_items": [
                {"amount": 1_200_000, "starting_at": _at(1), "ending_before": "2027-01-01T00:00:00Z"}]},
            "invoice_schedule": {"schedule_items": [
                {"timestamp": _at(1), "amount": 600_000}, {"timestamp": _at(7), "amount": 600_000}]},
        }],
        "add_credits": [{
            "product_id": credit, "name": "Q2 credit", "priority": 1,
            "access_schedule": {"schedule_items": [
                {"amount": 50_000, "starting_at": _at(4), "ending_before": _at(7)}]},
        }],
    }  # fmt: skip


def trim_world(setup: Callable[[World], None] | None = None) -> SimpleNamespace:
    """The contract and its invoices, refreshed and January finalized as of NOW; `setup`
    adds more terms first (on Jan 1, given the world)."""
    world = priced_world(price=5)
    ids = {n: str(product_create(name=n, type="FIXED").public_id)
           for n in ("Platform fee", "Onboarding", "Prepaid commit", "Promo credit")}  # fmt: skip
    with time_machine.travel(datetime(2026, 1, 1, 9, tzinfo=UTC), tick=False):  # before NOW
        contract_edit(contract=world.contract, data=_terms(*ids.values()), actor="setup")
        if setup is not None:
            setup(world)
    send_calls(100, datetime(2026, 1, 5, tzinfo=UTC))
    send_calls(40, datetime(2026, 3, 3, tzinfo=UTC), prefix="mar")
    send_calls(20, datetime(2026, 3, 20, tzinfo=UTC), prefix="late")  # after the new end
    send_calls(10, datetime(2026, 4, 5, tzinfo=UTC), prefix="apr")
    with time_machine.travel(NOW, tick=False):
        contract_invoices_refresh(contract=world.contract)
        for invoice in Invoice.objects.filter(period_start__lt=datetime(2026, 2, 2, tzinfo=UTC)):
            if invoice.type == "SCHEDULED" or invoice.period_end <= datetime(
                2026, 2, 1, tzinfo=UTC
            ):
                invoice_finalize(invoice=invoice)
    return SimpleNamespace(world=world, contract=world.contract, customer=world.customer)
