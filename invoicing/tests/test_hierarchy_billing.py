"""Account hierarchies billed, through the official metronome-sdk: a parent with two children,
one whose statements go on the parent's consolidated invoice (payer PARENT, CONSOLIDATE) and one
billed apart (payer SELF, SEPARATE), and a parent commit that only the first may draw.

Hand-worked (USD cents; every call is 12.5 cents, lines rounded half-up once):
  Globex Holdings (parent)  96 calls  =  1,200.0 -> 1200   pool pays 1200        total     0
  Globex EU (consolidated) 803 calls  = 10,037.5 -> 10038  pool pays the 3800 left: 6238
  Globex US (separate)     211 calls  =  2,637.5 -> 2638   may not draw the pool:  2638
The $50.00 pool (5000) is drawn by the parent's statement first (computed first), then by
Globex EU's. The consolidated invoice concatenates the parent's statement and Globex EU's:
subtotal 1200 + 10038 = 11238, total 0 + 6238 = 6238.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import metronome
import pytest
import time_machine

from billing_console.lib.periods import Period
from contracts.services import contract_create
from customers.services import customer_create
from invoicing.consolidation import billed_contract
from invoicing.models import Invoice, InvoiceStatus
from invoicing.services import invoice_compute_usage, invoice_finalize_due
from invoicing.tests import factories
from invoicing.tests.factories import priced_world, send_calls

pytestmark = pytest.mark.sdk

JAN = "2026-01-01T00:00:00Z"
FEB = "2026-02-01T00:00:00Z"
DURING = datetime(2026, 1, 20, tzinfo=UTC)
AFTER = datetime(2026, 2, 3, tzinfo=UTC)


@pytest.fixture
def world(db):
    return priced_world(price=Decimal("12.5"))


def _customer(sdk, name: str, alias: str) -> str:
    return sdk.v1.customers.create(name=name, ingest_aliases=[alias]).data.id


def _contract(sdk, world, customer_id: str, name: str, **hierarchy) -> str:
    return sdk.v1.contracts.create(
        customer_id=customer_id, name=name, starting_at=JAN, ending_before=FEB,
        rate_card_id=str(world.rate_card.public_id), **hierarchy,
    ).data.id  # fmt: skip


def _calls(sdk, alias: str, count: int) -> None:
    at = (DURING - timedelta(days=1)).isoformat()
    for start in range(0, count, 100):
        sdk.v1.usage.ingest(usage=[
            {"transaction_id": f"{alias}-{i}", "customer_id": alias, "event_type": "call",
             "timestamp": at, "properties": {}}
            for i in range(start, min(count, start + 100))
        ])  # fmt: skip


def hierarchy(sdk, world) -> dict[str, str]:
    """The parent, its two children and the shared pool, as ids (the browser test uses it)."""
    ids = {
        "parent_customer": _customer(sdk, "Globex Holdings", "globex"),
        "eu_customer": _customer(sdk, "Globex EU", "globex-eu"),
        "us_customer": _customer(sdk, "Globex US", "globex-us"),
    }
    ids["parent"] = _contract(
        sdk, world, ids["parent_customer"], "Globex group agreement",
        hierarchy_configuration={"parent_behavior": {"invoice_consolidation_type": "CONCATENATE"}},
    )  # fmt: skip
    parent = {"contract_id": ids["parent"], "customer_id": ids["parent_customer"]}
    ids["eu"] = _contract(sdk, world, ids["eu_customer"], "Globex EU", hierarchy_configuration={
        "parent": parent, "payer": "PARENT", "usage_statement_behavior": "CONSOLIDATE",
    })  # fmt: skip
    ids["us"] = _contract(sdk, world, ids["us_customer"], "Globex US", hierarchy_configuration={
        "parent": parent, "payer": "SELF", "usage_statement_behavior": "SEPARATE",
    })  # fmt: skip
    sdk.v2.contracts.edit(
        customer_id=ids["parent_customer"], contract_id=ids["parent"],
        add_commits=[{
            "type": "PREPAID", "name": "Group usage pool", "priority": 1,
            "product_id": str(world.product.public_id),
            "access_schedule": {"schedule_items": [
                {"amount": 5000, "starting_at": JAN, "ending_before": FEB}]},
            "hierarchy_configuration": {
                "child_access": {"type": "CONTRACT_IDS", "contract_ids": [ids["eu"]]}},
        }],
    )  # fmt: skip
    return ids


def billed_month(sdk, world) -> dict[str, str]:
    """The hierarchy with January's usage, read during the month (the parent first), then
    closed after it."""
    with time_machine.travel(DURING, tick=True):
        ids = hierarchy(sdk, world)
        _calls(sdk, "globex", 96)
        _calls(sdk, "globex-eu", 803)
        _calls(sdk, "globex-us", 211)
        for key in ("parent_customer", "eu_customer", "us_customer"):
            sdk.v1.customers.invoices.list(customer_id=ids[key])  # drafts, in this order
    with time_machine.travel(AFTER, tick=True):
        invoice_finalize_due(now=AFTER, grace=timedelta(days=1))
    return ids


def _invoices(sdk, customer_id: str) -> dict[str, object]:
    found = sdk.v1.customers.invoices.list(customer_id=customer_id).data
    return {invoice.type: invoice for invoice in found}


def _lines(invoice) -> list[tuple]:
    return [(li.type, li.name, li.quantity, li.total) for li in invoice.line_items]


def _ref(ids: dict[str, str], key: str) -> dict[str, str]:
    return {"contract_id": ids[key], "customer_id": ids[f"{key}_customer"]}


def test_parent_with_a_consolidated_and_a_separate_child_bills_to_the_cent(sdk, world):
    ids = billed_month(sdk, world)
    pool = sdk.v2.contracts.retrieve(
        customer_id=ids["parent_customer"], contract_id=ids["parent"]
    ).data.commits[0]
    parent = _invoices(sdk, ids["parent_customer"])
    eu = _invoices(sdk, ids["eu_customer"])["USAGE"]
    us = _invoices(sdk, ids["us_customer"])["USAGE"]

    own = parent["USAGE"]
    assert _lines(own) == [
        ("usage", "Calls", 96, 1200),
        ("applied_commit", "Group usage pool", None, -1200),
    ]
    assert (own.subtotal, own.total, own.payer) == (1200, 0, None)

    # Globex EU: billed to the parent, drew what the parent left of the pool.
    assert [(li.type, li.total) for li in eu.line_items] == [
        ("usage", 10038),
        ("applied_commit", -3800),
    ]
    assert eu.line_items[1].commit_id == pool.id
    assert (eu.subtotal, eu.total) == (10038, 6238)
    assert eu.payer.to_dict() == _ref(ids, "parent")

    # Globex US: pays itself, may not draw the pool.
    assert [(li.type, li.quantity, li.total) for li in us.line_items] == [("usage", 211, 2638)]
    assert (us.total, us.payer.to_dict()) == (2638, _ref(ids, "us"))

    consolidated = parent["USAGE_CONSOLIDATED"]
    assert (consolidated.status, consolidated.subtotal, consolidated.total) == (
        "FINALIZED",
        11238,
        6238,
    )
    assert consolidated.payer.to_dict() == _ref(ids, "parent")
    assert [c.to_dict() for c in consolidated.constituent_invoices] == [
        {**_ref(ids, "parent"), "invoice_id": own.id},
        {**_ref(ids, "eu"), "invoice_id": eu.id},
    ]
    assert [(li.type, li.total, li.origin.invoice_id) for li in consolidated.line_items] == [
        ("usage", 1200, own.id), ("applied_commit", -1200, own.id),
        ("usage", 10038, eu.id), ("applied_commit", -3800, eu.id),
    ]  # fmt: skip
    origin = consolidated.line_items[2].origin
    assert (origin.customer_id, origin.contract_id) == (ids["eu_customer"], ids["eu"])
    assert origin.line_item_id == str(Invoice.objects.get(public_id=eu.id).lines.first().public_id)

    # The pool's ledger: 5000 granted, 1200 drawn by the parent, 3800 by Globex EU.
    balances = sdk.v1.contracts.list_balances(
        customer_id=ids["parent_customer"], covering_date="2026-01-15T00:00:00Z",
        include_contract_balances=True, include_ledgers=True, include_balance=True,
    ).data  # fmt: skip
    ledger = [(e.type, e.amount, getattr(e, "invoice_id", None)) for e in balances[0].ledger]
    assert ledger == [
        ("PREPAID_COMMIT_SEGMENT_START", 5000, None),
        ("PREPAID_COMMIT_AUTOMATED_INVOICE_DEDUCTION", -1200, own.id),
        ("PREPAID_COMMIT_AUTOMATED_INVOICE_DEDUCTION", -3800, eu.id),
    ]
    assert balances[0].balance == 0


def test_only_the_consolidated_invoice_and_separate_statements_are_collected(sdk, world):
    ids = billed_month(sdk, world)
    rows = {
        (str(i.contract.public_id), i.type): i
        for i in Invoice.objects.filter(status=InvoiceStatus.FINALIZED).select_related(
            "contract__parent"
        )
    }

    def billed(key: str, kind: str) -> str | None:
        contract = billed_contract(rows[(ids[key], kind)])
        return str(contract.public_id) if contract is not None else None

    assert billed("parent", "USAGE") is None  # on the consolidated invoice
    assert billed("eu", "USAGE") is None  # on the consolidated invoice
    assert billed("parent", "USAGE_CONSOLIDATED") == ids["parent"]
    assert billed("us", "USAGE") == ids["us"]


def test_consolidate_needs_the_parent_to_pay(sdk, world):
    parent_customer = _customer(sdk, "Globex Holdings", "globex")
    parent = _contract(sdk, world, parent_customer, "Group")
    child = _customer(sdk, "Globex EU", "globex-eu")
    with pytest.raises(metronome.BadRequestError) as err:
        _contract(sdk, world, child, "EU", hierarchy_configuration={
            "parent": {"contract_id": parent, "customer_id": parent_customer},
            "usage_statement_behavior": "CONSOLIDATE",
        })  # fmt: skip
    assert err.value.body["message"].startswith("hierarchy_configuration.usage_statement_behavior:")


def test_child_access_all_is_drawn_by_a_child_and_none_is_not(world):
    # 100 calls at 12.5 cents = 1250; the ALL pool (1000) pays first, although the parent's
    # NONE credit comes before it by priority: the credit is the parent's alone. Left: 250.
    def pool(name: str, priority: int, kind: str) -> dict:
        return {
            "name": name, "priority": priority, "product_id": str(world.product.public_id),
            "access_schedule": {"schedule_items": [
                {"amount": 1000, "starting_at": JAN, "ending_before": FEB}]},
            "hierarchy_configuration": {"child_access": {"type": kind}},
        }  # fmt: skip

    card = str(world.rate_card.public_id)
    holding = customer_create(name="Globex Holdings", ingest_aliases=["globex"])
    parent = contract_create(customer=holding, data={
        "starting_at": JAN, "rate_card_id": card,
        "commits": [{"type": "PREPAID", **pool("Shared pool", 2, "ALL")}],
        "credits": [pool("Parent's credit", 1, "NONE")],
    })  # fmt: skip
    eu = customer_create(name="Globex EU", ingest_aliases=["globex-eu"])
    child = contract_create(customer=eu, data={
        "starting_at": JAN, "rate_card_id": card, "hierarchy_configuration": {
            "parent": {"contract_id": str(parent.public_id),
                       "customer_id": str(holding.public_id)}},
    })  # fmt: skip
    send_calls(100, datetime(2026, 1, 4, tzinfo=UTC), alias="globex-eu")
    invoice = invoice_compute_usage(contract=child, period=Period(factories.JAN, factories.FEB))
    assert [(line.type, line.name, line.total) for line in invoice.lines.all()] == [
        ("USAGE", "Calls", Decimal(1250)),
        ("APPLIED_COMMIT", "Shared pool", Decimal(-1000)),
    ]
    assert invoice.total == Decimal(250)
