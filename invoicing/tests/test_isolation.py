"""One customer's bad data never stops another's billing: a SQL metric that fails on one
customer's events leaves that customer's draft a draft with its error recorded, and the month
close, the reads and the event search go on for everyone else."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from billing_console.lib.periods import Period
from contracts.services import contract_create
from customers.services import customer_create
from invoicing.models import Invoice, InvoiceStatus
from invoicing.services import (
    contract_invoices_refresh,
    invoice_compute_usage,
    invoice_finalize,
    invoice_finalize_due,
)
from pricing.services import product_create, rate_add, rate_card_create
from usage.models import BillableMetric
from usage.services import billable_metric_create, usage_ingest
from usage.sql import SqlMetricFailed
from webhooks.models import OutboundEvent

pytestmark = pytest.mark.django_db

OCT = datetime(2026, 10, 1, tzinfo=UTC)
NOV = datetime(2026, 11, 1, tzinfo=UTC)
CLOSE_AT = NOV + timedelta(days=2)
POISON = "SELECT SUM(CAST(CAST(properties.units AS TEXT) AS NUMERIC)) FROM events"
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the cast fails on PostgreSQL (SQLite reads 0)"
)


def _world(sql: str, units: dict[str, list]) -> dict[str, object]:
    """A SQL metric product at 3 a unit; one contract per customer name with its events."""
    metric = billable_metric_create(name="units", sql=sql)
    product = product_create(name="Units", type="USAGE", billable_metric=metric)
    card = rate_card_create(name="Card")
    rate_add(rate_card=card, product=product, starting_at=OCT, rate_type="FLAT", price=3)
    contracts = {}
    for name, values in units.items():
        customer = customer_create(name=name, ingest_aliases=[name])
        contracts[name] = contract_create(customer=customer, data={
            "starting_at": OCT.isoformat(), "rate_card_id": str(card.public_id),
            "usage_statement_schedule": {"frequency": "MONTHLY"},
        })  # fmt: skip
        events = [
            {"transaction_id": f"{name}-{i}", "customer_id": name, "event_type": "job",
             "timestamp": (OCT + timedelta(hours=i)).isoformat(), "properties": {"units": value}}
            for i, value in enumerate(values)
        ]  # fmt: skip
        for start in range(0, len(events), 100):
            usage_ingest(events=events[start : start + 100], now=OCT + timedelta(days=30))
    return contracts


def _close(contracts: dict) -> int:
    """The draft refresh, then the month close, as beat runs them two days into November."""
    for contract in contracts.values():
        contract_invoices_refresh(contract=contract, through=CLOSE_AT)
    return invoice_finalize_due(now=CLOSE_AT, grace=timedelta(hours=1))


def _october(contract) -> Invoice:
    return Invoice.objects.get(contract=contract, type="USAGE", period_start=OCT)


def _failing_for(customer_name: str):
    """The SQL metric fails on one customer's events (any backend): the real evaluation for
    everyone else."""
    from usage import selectors

    real = selectors._sql_values_of

    def values(metric, customer, *args, **kwargs):
        if customer.name == customer_name:
            raise SqlMetricFailed("numeric field overflow")
        return real(metric, customer, *args, **kwargs)

    return mock.patch.object(selectors, "_sql_values_of", side_effect=values)


def test_month_close_finalizes_the_others_and_records_the_failure():
    contracts = _world("SELECT SUM(properties.units) FROM events", {"good": [1, 2], "bad": [5]})
    with _failing_for("bad"):
        finalized = _close(contracts)
    good, bad = _october(contracts["good"]), _october(contracts["bad"])
    assert (finalized, good.status, good.total) == (1, InvoiceStatus.FINALIZED, Decimal(9))
    assert bad.status == InvoiceStatus.DRAFT
    assert bad.error == "sql: billable metric 'units' failed on its events: numeric field overflow"
    assert BillableMetric.objects.get(name="units").error == bad.error
    events = OutboundEvent.objects.filter(type="invoice.compute_failed")
    assert [e.payload["invoice_id"] for e in events] == [str(bad.public_id)]

    # The data is fixed (here: the failure stops): the next close bills it, the error is gone.
    _close(contracts)
    bad.refresh_from_db()
    assert (bad.status, bad.total, bad.error) == (InvoiceStatus.FINALIZED, Decimal(15), "")


def test_finalizing_a_failing_draft_by_hand_is_a_conflict_naming_the_error():
    contracts = _world("SELECT SUM(properties.units) FROM events", {"bad": [5]})
    contract_invoices_refresh(contract=contracts["bad"], through=CLOSE_AT)
    draft = _october(contracts["bad"])
    with _failing_for("bad"), pytest.raises(Exception) as raised:
        invoice_finalize(invoice=draft)
    assert "could not be computed" in str(raised.value)
    assert "numeric field overflow" in str(raised.value)


@postgres_only
def test_a_poisoning_event_on_postgresql(api, client, fiona):
    contracts = _world(POISON, {"good": [1, 2], "bad": [5, "lots"]})
    assert _close(contracts) == 1
    bad = _october(contracts["bad"])
    assert bad.status == InvoiceStatus.DRAFT and "invalid input syntax" in bad.error
    assert _october(contracts["good"]).total == Decimal(9)
    # Reads that meet the metric answer, they do not fail.
    customer_id = contracts["bad"].customer.public_id
    assert api.get(f"/v1/customers/{customer_id}/invoices").status_code == 200
    found = api.post("/v1/events/search", {"transactionIds": ["bad-1"]}, format="json")
    assert found.status_code == 200
    client.force_login(fiona)
    assert client.get(reverse("usage:event-list")).status_code == 200  # the console page too
    metric = BillableMetric.objects.get(name="units")
    metric_page = client.get(reverse("usage:metric-detail", args=[metric.public_id]))
    assert "failed on a customer" in metric_page.content.decode()


def test_division_by_zero_and_big_integer_casts_bill_alike_on_both_databases():
    # cost / units with units 0 reads NULL (the event adds nothing); a 3,000,000,000 integer
    # cast is 64-bit: 10/2 + 3,000,000,000 = 3,000,000,005 units x 3.
    sql = "SELECT SUM(CAST(properties.cost / properties.units AS INT)) FROM events"
    metric = billable_metric_create(name="ratio", sql=sql)
    product = product_create(name="Ratio", type="USAGE", billable_metric=metric)
    card = rate_card_create(name="Card")
    rate_add(rate_card=card, product=product, starting_at=OCT, rate_type="FLAT", price=3)
    customer = customer_create(name="acme", ingest_aliases=["acme"])
    contract = contract_create(customer=customer, data={
        "starting_at": OCT.isoformat(), "rate_card_id": str(card.public_id),
        "usage_statement_schedule": {"frequency": "MONTHLY"},
    })  # fmt: skip
    rows = [(10, 2), (5, 0), (3_000_000_000, 1), (10**25, 1)]
    usage_ingest(events=[
        {"transaction_id": f"r{i}", "customer_id": "acme", "event_type": "job",
         "timestamp": (OCT + timedelta(days=1)).isoformat(), "properties": {"cost": c, "units": u}}
        for i, (c, u) in enumerate(rows)
    ], now=OCT + timedelta(days=1, minutes=1))  # fmt: skip
    invoice = invoice_compute_usage(contract=contract, period=Period(OCT, NOV))
    assert invoice.total == Decimal(3 * 3_000_000_005)


@override_settings(SQL_METRIC_TIMEOUT_MS=1)
def test_a_metric_over_its_time_budget_fails_alone():
    heavy = (  # a correlated subquery: n x n rows read
        "SELECT SUM((SELECT COUNT(*) FROM events a WHERE a.timestamp <= events.timestamp "
        "AND CAST(a.properties ->> 'units' AS TEXT) <> CAST(events.properties ->> 'units' AS TEXT))) "
        "FROM events"
    )
    contracts = _world(heavy, {"big": list(range(700))})
    invoices = contract_invoices_refresh(contract=contracts["big"], through=CLOSE_AT)
    draft = _october(contracts["big"])
    assert draft.status == InvoiceStatus.DRAFT
    assert "failed on its events" in draft.error
    assert all(i.period_start <= OCT for i in invoices if i.type == "USAGE")


def test_a_page_of_breakdowns_computes_only_its_own_windows(api):
    contracts = _world("SELECT SUM(properties.units) FROM events", {"acme": [1, 2, 3]})
    contract_invoices_refresh(contract=contracts["acme"], through=CLOSE_AT)
    customer_id = contracts["acme"].customer.public_id
    from invoicing import breakdowns

    with mock.patch.object(breakdowns, "_cumulative", wraps=breakdowns._cumulative) as computed:
        response = api.get(f"/v1/customers/{customer_id}/invoices/breakdowns", {
            "starting_on": "2026-10-01T00:00:00Z", "ending_before": "2026-10-31T00:00:00Z",
            "window_size": "HOUR", "limit": 1,
        })  # fmt: skip
    assert response.status_code == 200 and len(response.json()["data"]) == 1
    assert computed.call_count <= 2  # the window's start and end, not 720 hours


def test_a_read_creates_a_bounded_number_of_statements():
    metric = billable_metric_create(name="units", sql="SELECT SUM(properties.units) FROM events")
    product = product_create(name="Units", type="USAGE", billable_metric=metric)
    card = rate_card_create(name="Card")
    rate_add(rate_card=card, product=product, starting_at=datetime(2020, 1, 1, tzinfo=UTC),
             rate_type="FLAT", price=3)  # fmt: skip
    contract = contract_create(customer=customer_create(name="old"), data={
        "starting_at": "2020-01-01T00:00:00Z", "rate_card_id": str(card.public_id),
        "usage_statement_schedule": {"frequency": "MONTHLY"},
    })  # fmt: skip
    contract_invoices_refresh(contract=contract, through=CLOSE_AT, max_new=3)
    assert Invoice.objects.filter(contract=contract, type="USAGE").count() == 3
    contract_invoices_refresh(contract=contract, through=CLOSE_AT)
    assert Invoice.objects.filter(contract=contract, type="USAGE").count() == 83  # 2020-01..2026-11
