"""The batched draft refresh (invoicing.refresh_batch): the same stored drafts as refreshing
one contract at a time (contract_invoices_refresh), to the cent; one contract's failure
recorded and the others refreshed; a batch's query count independent of its size."""

import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils.dateparse import parse_datetime

from contracts.models import Contract, LedgerEntry
from contracts.services import contract_create
from customers.services import customer_create
from invoicing import refresh_batch
from invoicing.close import line_values
from invoicing.models import Invoice, InvoiceStatus, LineItem
from invoicing.refresh_batch import contracts_refresh, contracts_refresh_one_by_one
from invoicing.tests.factories import FEB, JAN, MAR, plain_contracts
from invoicing.tests.scenario_files import SCENARIOS, scenario_events
from invoicing.tests.test_scenarios import _build_catalog, _ingest, _with_ids
from pricing.services import product_create, rate_add, rate_card_create
from usage.models import BillableMetric
from usage.rollups import rollups_advance, rollups_backfill
from usage.services import billable_metric_create, usage_ingest


def _stored(contract_ids: list[int]) -> list[tuple]:
    """Every live invoice of these contracts with its lines, and the usage ledger, as values
    that do not depend on which run created the rows (no ids of the invoices themselves)."""
    out = []
    for invoice in (
        Invoice.objects.filter(contract_id__in=contract_ids)
        .exclude(status=InvoiceStatus.VOID)
        .order_by("contract_id", "type", "period_start")
    ):
        lines = [line_values(li) for li in LineItem.objects.filter(invoice=invoice).order_by("position")]  # fmt: skip
        out.append((
            invoice.contract_id, invoice.type, invoice.status, invoice.period_start,
            invoice.period_end, invoice.credit_type_id, invoice.subtotal, invoice.total,
            invoice.error, lines,
        ))  # fmt: skip
    for entry in LedgerEntry.objects.filter(commit__contract_id__in=contract_ids).order_by(
        "segment_id", "timestamp", "amount"
    ):
        out.append((entry.segment_id, entry.type, entry.timestamp, entry.amount))
    return out


def _both_ways(contract_ids: list[int], now) -> tuple[list[tuple], list[tuple]]:
    """The stored drafts after a one-by-one refresh, then (from the same start) a batched one."""
    sid = transaction.savepoint()
    contracts_refresh_one_by_one(contract_ids, now=now)
    one_by_one = _stored(contract_ids)
    transaction.savepoint_rollback(sid)
    done = contracts_refresh(contract_ids, now=now)
    assert done.failed == []
    return one_by_one, _stored(contract_ids)


@pytest.mark.parametrize("storage", ["raw", "rollups"])
@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
@pytest.mark.django_db
def test_batched_refresh_stores_the_same_drafts_as_one_by_one(path: Path, storage: str):
    spec = json.loads(path.read_text())
    products, credit_types, card = _build_catalog(spec)
    if storage == "rollups":
        for metric in BillableMetric.objects.all():
            rollups_backfill(metric=metric)
    customer = customer_create(name=spec["name"][:160], ingest_aliases=["scenario-customer"])
    data = _with_ids(spec["contract"], products, credit_types)
    data["rate_card_id"] = str(card.public_id)
    contract = contract_create(customer=customer, data=data)
    _ingest(scenario_events(spec))
    if storage == "rollups":
        rollups_advance(max_batches=1)
    ends = [parse_datetime(i["end"]) for i in spec["expect"]["invoices"] if "end" in i]
    now = max(ends) - timedelta(days=1)  # the last period under way, the earlier ones over
    one_by_one, batched = _both_ways([contract.pk], now)
    assert batched == one_by_one
    assert any(row[1] == "USAGE" and row[9] for row in batched if len(row) == 10)


def _world(count: int, *, tag: str = "") -> list[Contract]:
    """`count` customers on one rate card (usage rollups ready), each with a contract and usage
    in January and February; every other one with a prepaid commit, one with an override."""
    metric = billable_metric_create(
        name=f"calls{tag}", event_type_filter={"in_values": [f"call{tag}"]}, aggregation_type="COUNT"
    )  # fmt: skip
    rollups_backfill(metric=metric)
    product = product_create(name=f"Calls{tag}", type="USAGE", billable_metric=metric)
    fixed = product_create(name=f"Commit{tag}", type="FIXED")
    card = rate_card_create(name=f"Card{tag}")
    rate_add(rate_card=card, product=product, starting_at=JAN, rate_type="FLAT", price="3")
    contracts = []
    for i in range(count):
        alias = f"acme{tag}-{i}"
        customer = customer_create(name=f"Acme {tag}{i}", ingest_aliases=[alias])
        data = {
            "starting_at": JAN.isoformat(), "rate_card_id": str(card.public_id),
            "usage_statement_schedule": {"frequency": "MONTHLY"},
        }  # fmt: skip
        if i % 2 and i % 3:
            data["commits"] = [{
                "type": "PREPAID", "product_id": str(fixed.public_id), "priority": 1,
                "access_schedule": {"schedule_items": [{"amount": 40, "starting_at": JAN.isoformat(),
                                                        "ending_before": "2027-01-01T00:00:00Z"}]},
            }]  # fmt: skip
        if i == 3:
            data["overrides"] = [{"starting_at": JAN.isoformat(), "product_id": str(product.public_id),
                                  "type": "MULTIPLIER", "multiplier": "0.5"}]  # fmt: skip
        contracts.append(contract_create(customer=customer, data=data))
        for month, calls in ((JAN, 3 + i), (FEB, 7 * i + 1)):
            usage_ingest(events=[
                {"transaction_id": f"{alias}-{month:%m}-{n}", "customer_id": alias,
                 "event_type": f"call{tag}", "timestamp": (month + timedelta(hours=5)).isoformat(),
                 "properties": {}}
                for n in range(calls)
            ], now=month + timedelta(hours=6))  # fmt: skip
    rollups_advance()
    return contracts


@pytest.mark.django_db
def test_varied_contracts_in_one_batch_store_the_same_drafts():
    contracts = _world(7)
    ids = [c.pk for c in contracts]
    contracts_refresh_one_by_one(ids[:2], now=FEB + timedelta(days=3))  # some drafts exist
    one_by_one, batched = _both_ways(ids, MAR + timedelta(days=2))
    assert batched == one_by_one
    totals = Invoice.objects.filter(contract_id__in=ids, type="USAGE", period_start=FEB)
    assert len(totals) == 7 and {i.total for i in totals} != {0}


@pytest.mark.django_db
def test_a_contract_that_raises_is_recorded_and_the_others_are_refreshed(monkeypatch):
    contracts = _world(4)
    bad = contracts[2]  # no commit: its January total is what it owes
    real = refresh_batch.draft_usage_statement

    def failing(contract, invoice, period, *args):
        if contract.pk == bad.pk and period.start == FEB:
            raise ValueError("bad data")
        return real(contract, invoice, period, *args)

    monkeypatch.setattr(refresh_batch, "draft_usage_statement", failing)
    done = contracts_refresh([c.pk for c in contracts], now=MAR + timedelta(days=2))
    assert done.failed == [bad.pk]
    failed = Invoice.objects.get(contract=bad, period_start=FEB)
    assert failed.is_draft and "internal error (ValueError)" in failed.error
    assert Invoice.objects.get(contract=bad, period_start=JAN).total == 3 * 5  # before it: done
    assert not Invoice.objects.filter(contract=bad, period_start=MAR).exists()  # after: waits
    for contract in (contracts[0], contracts[1], contracts[3]):
        drafts = Invoice.objects.filter(contract=contract, type="USAGE").order_by("period_start")
        assert [i.period_start for i in drafts] == [JAN, FEB, MAR]
        assert all(i.error == "" for i in drafts)
        assert drafts[1].lines.exists()


@pytest.mark.django_db
def test_a_batch_query_count_does_not_grow_with_its_contracts(django_assert_num_queries):
    # Contracts without commits: a commit's balances are read per statement (as in the close).
    small, large = plain_contracts(2, "s"), plain_contracts(10, "l")
    counts = {}
    for name, ids in (("small", small), ("large", large)):
        with CaptureQueriesContext(connection) as creating:  # March's drafts are created
            contracts_refresh(ids, now=MAR + timedelta(days=2))
        with CaptureQueriesContext(connection) as steady:  # every draft exists
            contracts_refresh(ids, now=MAR + timedelta(days=3))
        counts[name] = (len(creating), len(steady))
    assert counts["small"] == counts["large"], counts
    with django_assert_num_queries(counts["small"][1]):
        contracts_refresh(small, now=MAR + timedelta(days=4))
    with django_assert_num_queries(counts["small"][1]):
        contracts_refresh(large, now=MAR + timedelta(days=4))
