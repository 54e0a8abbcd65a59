"""How prepaid commits are invoiced: a purchase invoice per invoice-schedule item, none with
`do_not_invoice` (the balance is usable all the same)."""

from datetime import timedelta
from decimal import Decimal

import pytest

from billing_console.lib.periods import Period
from contracts.models import Commit
from contracts.selectors import commit_balance
from invoicing.models import InvoiceType, LineType
from invoicing.services import contract_scheduled_invoices_sync, invoice_compute_usage
from invoicing.tests.factories import FEB, JAN, priced_world, send_calls
from pricing.services import product_create

pytestmark = pytest.mark.django_db


def _commit(name: str, do_not_invoice: bool) -> dict:
    product = product_create(name=f"{name} product", type="FIXED")
    return {
        "type": "PREPAID", "name": name, "priority": 1, "product_id": str(product.public_id),
        "access_schedule": {"schedule_items": [{"amount": 1000, "starting_at": JAN.isoformat(),
                                                "ending_before": "2027-01-01T00:00:00Z"}]},
        "invoice_schedule": {"do_not_invoice": do_not_invoice, "schedule_items": [
            {"amount": 1000, "timestamp": JAN.isoformat()}]},
    }  # fmt: skip


@pytest.mark.parametrize("do_not_invoice", [False, True])
def test_do_not_invoice_gives_no_purchase_invoice_but_a_usable_balance(do_not_invoice):
    # 40 calls x 5 = 200 drawn from the 1,000 commit either way; only the invoiced one is billed.
    world = priced_world(contract_extra={"commits": [_commit("Prepaid", do_not_invoice)]})
    purchases = [
        i for i in contract_scheduled_invoices_sync(contract=world.contract)
        if i.lines.filter(type=LineType.COMMIT_PURCHASE).exists()
    ]  # fmt: skip
    assert [i.total for i in purchases] == ([] if do_not_invoice else [Decimal(1000)])
    assert all(i.type == InvoiceType.SCHEDULED for i in purchases)
    send_calls(40, JAN + timedelta(days=3))
    statement = invoice_compute_usage(contract=world.contract, period=Period(JAN, FEB))
    assert statement.total == Decimal(0)
    assert commit_balance(Commit.objects.get(name="Prepaid")) == Decimal(800)
