"""Every billing scenario in shared/scenarios, reproduced to the cent through the real paths.

Catalog and contract are built with the services, events go through the ingest service (dedupe
included), statements are computed, finalized in period order and compared with `expect`.
A new scenario file runs here with no code written for it.
"""

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils.dateparse import parse_datetime

from billing_console.lib.periods import Period
from contracts.models import Commit
from contracts.selectors import commit_balance
from contracts.services import contract_create, segments_expire
from customers.services import customer_create
from invoicing.models import Invoice, InvoiceType, LineType
from invoicing.services import (
    contract_scheduled_invoices_sync,
    invoice_compute_usage,
    invoice_finalize,
)
from invoicing.tests.scenario_files import (
    CUSTOMER_ALIAS,
    SCENARIO_DIR,
    SCENARIOS,
    expected_line,
    line_sort_key,
    num,
    scenario_events,
)
from pricing.services import credit_type_create, product_create, rate_add, rate_card_create
from usage.models import BillableMetric
from usage.rollups import rollups_advance, rollups_backfill
from usage.services import billable_metric_create, usage_ingest

CHARGE_LINES = {LineType.USAGE, LineType.COMPOSITE, LineType.SCHEDULED, LineType.POSTPAID_TRUEUP}
# Invoices that the files name by kind, and the line that marks each kind.
KINDS = {"commit purchase": LineType.COMMIT_PURCHASE, "scheduled charge": LineType.SCHEDULED}


def _dt(value: str):
    return parse_datetime(value)


def _with_ids(item: Any, products: dict[str, Any], credit_types: dict[str, Any]) -> Any:
    """Scenario files name products and credit types; the wire wants their ids."""
    if isinstance(item, list):
        return [_with_ids(i, products, credit_types) for i in item]
    if not isinstance(item, dict):
        return item
    out = {}
    for key, value in item.items():
        if key == "product" and isinstance(value, str):
            out["product_id"] = str(products[value].public_id)
        elif key == "credit_type" and isinstance(value, str):
            out["credit_type_id"] = str(credit_types[value].public_id)
        else:
            out[key] = _with_ids(value, products, credit_types)
    return out


def _build_catalog(spec: dict) -> tuple[dict, dict, Any]:
    credit_types = {
        c["name"]: credit_type_create(name=c["name"]) for c in spec.get("credit_types", [])
    }
    metrics = {}
    for m in spec.get("billable_metrics", []):
        metrics[m["name"]] = billable_metric_create(
            name=m["name"],
            event_type_filter={"in_values": [m["event_type"]]} if m.get("event_type") else None,
            property_filters=m.get("property_filters"),
            aggregation_type=m["aggregation_type"],
            aggregation_key=m.get("aggregation_key"),
            group_keys=m.get("group_keys"),
        )
    products = {}
    for p in spec.get("products", []):
        products[p["name"]] = product_create(
            name=p["name"],
            type=p["type"],
            billable_metric=metrics[p["billable_metric"]] if p.get("billable_metric") else None,
            pricing_group_key=p.get("pricing_group_key"),
            presentation_group_key=p.get("presentation_group_key"),
            quantity_conversion=p.get("quantity_conversion"),
            quantity_rounding=p.get("quantity_rounding"),
            tags=p.get("tags"),
            composite_product_ids=[
                str(products[name].public_id) for name in p.get("composite_products", [])
            ]
            or None,
        )
    card = rate_card_create(
        name=spec["rate_card"]["name"],
        credit_type_conversions=[
            (credit_types[c["credit_type"]], num(c["fiat_per_custom_credit"]))
            for c in spec["rate_card"].get("credit_type_conversions", [])
        ],
    )
    for r in spec["rate_card"]["rates"]:
        rate_add(
            rate_card=card,
            product=products[r["product"]],
            starting_at=_dt(r["starting_at"]),
            ending_before=_dt(r["ending_before"]) if r.get("ending_before") else None,
            rate_type=r["rate_type"],
            price=r.get("price"),
            tiers=r.get("tiers"),
            pricing_group_values=r.get("pricing_group_values"),
            entitled=r.get("entitled", True),
            commit_rate=r.get("commit_rate"),
            credit_type=credit_types[r["credit_type"]] if r.get("credit_type") else None,
        )
    return products, credit_types, card


def _ingest(events: list[dict]) -> None:
    """Through the ingest service, 100 at a time, each batch 'sent' a minute after its events."""
    for start in range(0, len(events), 100):
        chunk = events[start : start + 100]
        usage_ingest(events=chunk, now=_dt(chunk[-1]["timestamp"]) + timedelta(minutes=1))


def _line_view(line, with_quantity: bool) -> dict:
    view = {"product": line.product.name if line.product else line.name, "total": line.total}
    if with_quantity:
        view["quantity"] = line.quantity
    group = {**line.pricing_group_values, **line.presentation_group_values}
    if any(v is not None for v in group.values()):
        view["group"] = group
    return view


def _compare_lines(invoice: Invoice, item: dict, what: str) -> None:
    """The invoice's charge lines against the file's, where the file gives them: product,
    group values and total, and quantity where the file states it."""
    if "line_items" not in item:
        return
    expected = sorted((expected_line(li) for li in item["line_items"]), key=line_sort_key)
    quantities = {e["product"] for e in expected if "quantity" in e}
    lines = sorted(
        (
            _line_view(li, li.product is not None and li.product.name in quantities)
            for li in invoice.lines.all()
            if li.type in CHARGE_LINES
        ),
        key=line_sort_key,
    )
    assert lines == expected, f"lines of {what}"


def _kind_invoices(contract, line_type: str) -> list:
    return list(
        Invoice.objects.filter(
            contract=contract, type=InvoiceType.SCHEDULED, lines__type=line_type
        ).distinct()
    )


@pytest.mark.parametrize("storage", ["raw", "rollups"])
@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
@pytest.mark.django_db(transaction=False)
def test_scenario(path: Path, storage: str):
    """Each scenario to the cent, with quantities read from raw events, and again from hourly
    rollups (metrics backfilled first, some ingested batches rolled up, others still pending)."""
    spec = json.loads(path.read_text())
    expect = spec["expect"]
    products, credit_types, card = _build_catalog(spec)
    if storage == "rollups":
        for metric in BillableMetric.objects.all():
            rollups_backfill(metric=metric)
    customer = customer_create(name=spec["name"][:160], ingest_aliases=[CUSTOMER_ALIAS])
    contract_data = _with_ids(spec["contract"], products, credit_types)
    contract_data["rate_card_id"] = str(card.public_id)
    contract = contract_create(customer=customer, data=contract_data)
    _ingest(scenario_events(spec))
    if storage == "rollups":
        rollups_advance(max_batches=1)

    periods = sorted(
        {(_dt(i["start"]), _dt(i["end"])) for i in expect["invoices"] if "start" in i},
        key=lambda p: p[0],
    )
    contract_scheduled_invoices_sync(contract=contract)
    usage_invoices = {
        p: invoice_compute_usage(contract=contract, period=Period(*p)) for p in periods
    }
    for invoice in usage_invoices.values():  # month close, in period order
        invoice_finalize(invoice=invoice)
    last_end = max((p[1] for p in periods), default=None)
    if last_end is not None:
        segments_expire(now=last_end)

    for item in expect["invoices"]:
        if "start" in item:
            invoice = Invoice.objects.get(
                pk=usage_invoices[(_dt(item["start"]), _dt(item["end"]))].pk
            )
            assert invoice.total == num(item["total"]), f"total of {item['start']}"
            _compare_lines(invoice, item, item["start"])
        elif item.get("kind") in KINDS:
            invoices = _kind_invoices(contract, KINDS[item["kind"]])
            assert [i.total for i in invoices] == [num(item["total"])], item["kind"]
            _compare_lines(invoices[0], item, item["kind"])
        else:
            pytest.fail(f"unknown expected invoice: {item}")

    for balance in expect.get("balances", []):
        commit = Commit.objects.get(contract=contract, name=balance["name"])
        assert commit_balance(commit) == num(balance["remaining"]), balance["name"]


def test_every_scenario_file_is_collected():
    assert len(SCENARIOS) >= 6, f"no scenarios found in {SCENARIO_DIR}"
