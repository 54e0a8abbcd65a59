"""Every billing scenario in shared/scenarios, reproduced to the cent through the official SDK.

The same files as test_scenarios.py, but nothing goes through a service: the catalog, the
customer and the contract are created with metronome-sdk calls, events are ingested over
/v1/ingest (with the clock moved to just after each batch, since backdating is limited to 34
days), and invoices and balances are read back over the API. Invoices of past periods are
computed (as drafts, in period order) when they are listed. A new scenario file runs here with
no code written for it.
"""

import json
from collections.abc import Iterator
from contextlib import nullcontext
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.utils.dateparse import parse_datetime

from invoicing.tests.scenario_files import (
    CUSTOMER_ALIAS,
    SCENARIO_DIR,
    SCENARIOS,
    expected_line,
    line_sort_key,
    num,
    scenario_events,
)

pytestmark = pytest.mark.sdk

# Wire `type` of the charge lines an expected invoice lists (not commit purchases or drawdowns).
CHARGE_LINES = {"usage", "composite", "scheduled", "postpaid_trueup"}
# Kind of a non-usage expected invoice -> wire `type` of the line that marks it.
KIND_LINES = {"commit purchase": "commit_purchase", "scheduled charge": "scheduled"}
# Scenario fields that name a catalog object -> (wire field, which names).
NAMED_FIELDS = {
    "product": ("product_id", "products"),
    "composite_products": ("composite_product_ids", "products"),
    "billable_metric": ("billable_metric_id", "metrics"),
    "credit_type": ("credit_type_id", "credit_types"),
}
BATCH = 100  # events per ingest request, the API's limit
BACKDATING = timedelta(days=30)  # spread of one request's events (the API allows 34 days)


def _params() -> list:
    return [pytest.param(p, id=p.stem) for p in SCENARIOS]


def _dt(value: str) -> datetime:
    return parse_datetime(value)


# -- catalog and contract -----------------------------------------------------------------------


def _to_wire(item: Any, ids: dict[str, dict[str, str]]) -> Any:
    """Scenario files name products, metrics and credit types; the wire wants their ids."""
    if isinstance(item, list):
        return [_to_wire(i, ids) for i in item]
    if not isinstance(item, dict):
        return item
    out = {}
    for key, value in item.items():
        if key in NAMED_FIELDS and isinstance(value, str | list):
            field, kind = NAMED_FIELDS[key]
            names = ids[kind]
            out[field] = [names[v] for v in value] if isinstance(value, list) else names[value]
        else:
            out[key] = _to_wire(value, ids)
    return out


def _metric_body(metric: dict) -> dict:
    body = {k: v for k, v in metric.items() if k != "event_type"}
    if metric.get("event_type"):
        body["event_type_filter"] = {"in_values": [metric["event_type"]]}
    return body


def _build_catalog(sdk, spec: dict) -> tuple[dict[str, dict[str, str]], str]:
    """Credit types, metrics, products (in file order: composites after their parts) and the
    rate card with its rates. Returns the name -> id maps and the rate card id."""
    ids: dict[str, dict[str, str]] = {"credit_types": {}, "metrics": {}, "products": {}}
    for unit in spec.get("credit_types", []):
        ids["credit_types"][unit["name"]] = sdk.v1.pricing_units.create(name=unit["name"]).data.id
    for metric in spec.get("billable_metrics", []):
        created = sdk.v1.billable_metrics.create(**_metric_body(metric))
        ids["metrics"][metric["name"]] = created.data.id
    for product in spec.get("products", []):
        created = sdk.v1.contracts.products.create(**_to_wire(product, ids))
        ids["products"][product["name"]] = created.data.id
    card = spec["rate_card"]
    conversions = [
        {
            "custom_credit_type_id": ids["credit_types"][c["credit_type"]],
            "fiat_per_custom_credit": c["fiat_per_custom_credit"],
        }
        for c in card.get("credit_type_conversions", [])
    ]
    extra = {"credit_type_conversions": conversions} if conversions else {}
    card_id = sdk.v1.contracts.rate_cards.create(name=card["name"], **extra).data.id
    for rate in card["rates"]:
        body = {"entitled": True, **_to_wire(rate, ids)}
        sdk.v1.contracts.rate_cards.rates.add(rate_card_id=card_id, **body)
    return ids, card_id


def _create_contract(sdk, spec: dict, ids: dict, card_id: str) -> tuple[str, str]:
    customer_id = sdk.v1.customers.create(
        name=spec["name"][:160], ingest_aliases=[CUSTOMER_ALIAS]
    ).data.id
    terms = _to_wire(spec["contract"], ids)
    contract_id = sdk.v1.contracts.create(
        customer_id=customer_id, rate_card_id=card_id, **terms
    ).data.id
    return customer_id, contract_id


# -- usage --------------------------------------------------------------------------------------


def _requests(events: list[dict]) -> Iterator[list[dict]]:
    """Ingest requests in time order: at most BATCH events, spread over at most BACKDATING."""
    chunk: list[dict] = []
    for event in events:
        if chunk and (
            len(chunk) == BATCH or _dt(event["timestamp"]) - _dt(chunk[0]["timestamp"]) > BACKDATING
        ):
            yield chunk
            chunk = []
        chunk.append(event)
    if chunk:
        yield chunk


def _ingest(sdk, events: list[dict]) -> None:
    """Each request is sent a minute after its last event, as a live integration would."""
    for chunk in _requests(events):
        sent_at = _dt(chunk[-1]["timestamp"]) + timedelta(minutes=1)
        with time_machine.travel(sent_at, tick=True):
            sdk.v1.usage.ingest(usage=chunk)


# -- invoices -----------------------------------------------------------------------------------


def _line_view(line: Any, product_names: dict[str, str], with_quantity: bool) -> dict:
    view = {
        "product": product_names.get(line.product_id, line.name),
        "total": num(line.total),
    }
    if with_quantity:
        view["quantity"] = num(line.quantity if line.quantity is not None else 0)
    group = {**(line.pricing_group_values or {}), **(line.presentation_group_values or {})}
    if group:
        view["group"] = group
    return view


def _charge_lines(invoice: Any, expected: list[dict], product_names: dict[str, str]) -> list:
    """The invoice's charge lines as the file writes them: quantities are compared only for the
    products whose expected lines give one."""
    no_quantity = {item["product"] for item in expected if "quantity" not in item}
    views = []
    for line in invoice.line_items:
        if line.type not in CHARGE_LINES:
            continue
        name = product_names.get(line.product_id, line.name)
        views.append(_line_view(line, product_names, with_quantity=name not in no_quantity))
    return sorted(views, key=line_sort_key)


def _list_invoices(sdk, customer_id: str, contract_id: str) -> list:
    """Listing brings every statement of the contract up to date (past periods included)."""
    return list(sdk.v1.customers.invoices.list(customer_id=customer_id, contract_id=contract_id))


def _usage_invoice(sdk, invoices: list, customer_id: str, item: dict) -> Any:
    start, end = _dt(item["start"]), _dt(item["end"])
    found = [
        i
        for i in invoices
        if i.type == "USAGE" and (i.start_timestamp, i.end_timestamp) == (start, end)
    ]
    assert len(found) == 1, f"one usage invoice for {item['start']}..{item['end']}: {found}"
    return sdk.v1.customers.invoices.retrieve(customer_id=customer_id, invoice_id=found[0].id).data


def _check_usage_invoice(sdk, invoices: list, customer_id: str, item: dict, names: dict) -> None:
    invoice = _usage_invoice(sdk, invoices, customer_id, item)
    assert num(invoice.total) == num(item["total"]), f"total of {item['start']}"
    if "line_items" in item:
        expected = sorted((expected_line(li) for li in item["line_items"]), key=line_sort_key)
        lines = _charge_lines(invoice, item["line_items"], names)
        assert lines == expected, f"lines of {item['start']}"


def _check_kind_invoices(invoices: list, expected: list[dict]) -> None:
    """Commit purchases and scheduled charges: the totals of each kind's invoices."""
    for kind in sorted({item["kind"] for item in expected}):
        assert kind in KIND_LINES, f"unknown expected invoice kind: {kind}"
        line_type = KIND_LINES[kind]
        totals = sorted(
            num(i.total)
            for i in invoices
            if i.type == "SCHEDULED" and any(li.type == line_type for li in i.line_items)
        )
        wanted = sorted(num(item["total"]) for item in expected if item["kind"] == kind)
        assert totals == wanted, f"{kind} invoices"


# -- balances -----------------------------------------------------------------------------------


def _balances(sdk, customer_id: str, at: datetime | None) -> dict[str, tuple]:
    """Each commit's and credit's (balance, unit id) by name, as the API shows them at `at` (the
    end of the last expected period: what is left after it; segments ended by then show 0)."""
    with time_machine.travel(at, tick=True) if at else nullcontext():
        rows = sdk.v1.contracts.list_balances(
            customer_id=customer_id, include_contract_balances=True, include_balance=True
        )
        return {row.name: (num(row.balance), _unit_id(row)) for row in rows}


def _unit_id(row: Any) -> str | None:
    unit = row.access_schedule.credit_type if row.access_schedule else None
    return unit.id if unit else None


def _custom_units(spec: dict, ids: dict) -> dict[str, str]:
    """Commit or credit name -> the custom credit type its access schedule is in."""
    terms = spec["contract"].get("commits", []) + spec["contract"].get("credits", [])
    return {
        t["name"]: ids["credit_types"][t["access_schedule"]["credit_type"]]
        for t in terms
        if t.get("access_schedule", {}).get("credit_type")
    }


def _check_balances(sdk, spec: dict, ids: dict, customer_id: str) -> None:
    """A custom-unit commit's balance is in its own unit, and the API must say which."""
    expect = spec["expect"]
    last_end = max((_dt(i["end"]) for i in expect["invoices"] if "end" in i), default=None)
    balances = _balances(sdk, customer_id, last_end)
    units = _custom_units(spec, ids)
    for balance in expect.get("balances", []):
        name = balance["name"]
        assert name in balances, f"no balance named {name}: {sorted(balances)}"
        assert balances[name][0] == num(balance["remaining"]), name
        if name in units:
            assert balances[name][1] == units[name], f"unit of {name}"


# -- the test -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", _params())
def test_scenario_through_the_sdk(sdk, path: Path):
    spec = json.loads(path.read_text())
    expect = spec["expect"]
    ids, card_id = _build_catalog(sdk, spec)
    customer_id, contract_id = _create_contract(sdk, spec, ids, card_id)
    _ingest(sdk, scenario_events(spec))

    invoices = _list_invoices(sdk, customer_id, contract_id)
    product_names = {v: k for k, v in ids["products"].items()}
    for item in expect["invoices"]:
        if "start" in item:
            _check_usage_invoice(sdk, invoices, customer_id, item, product_names)
    _check_kind_invoices(invoices, [i for i in expect["invoices"] if "start" not in i])

    if expect.get("balances"):
        _check_balances(sdk, spec, ids, customer_id)


def test_every_scenario_file_is_collected():
    assert len(SCENARIOS) >= 6, f"no scenarios found in {SCENARIO_DIR}"
