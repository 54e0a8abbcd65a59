"""Reading shared/scenarios: the files, their events and expected lines, for the harnesses that
bill them through the services (test_scenarios.py) and through the SDK (test_scenarios_sdk.py)."""

import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

# The repository is checked out beside shared/ (locally and in CI).
SCENARIO_DIR = Path(
    os.environ.get("SCENARIOS_DIR", Path(__file__).resolve().parents[3] / "shared" / "scenarios")
)
SCENARIOS = sorted(SCENARIO_DIR.glob("*.json"))
CUSTOMER_ALIAS = "scenario-customer"


def num(value: Any) -> Decimal:
    """A file (or wire) number as an exact Decimal."""
    return Decimal(str(value))


def scenario_events(spec: dict) -> list[dict]:
    """The file's events and event batches (`count` events with distinct transaction ids), for
    the scenario's customer, in time order."""
    events = [dict(e) for e in spec.get("events", [])]
    for b_index, batch in enumerate(spec.get("event_batches", [])):
        events += [
            {"transaction_id": f"batch{b_index}-{i}", "timestamp": batch["timestamp"],
             "event_type": batch["event_type"], "properties": dict(batch.get("properties", {}))}
            for i in range(batch["count"])
        ]  # fmt: skip
    for event in events:
        event["customer_id"] = CUSTOMER_ALIAS
    return sorted(events, key=lambda e: e["timestamp"])


def expected_line(item: dict) -> dict:
    """An expected line as compared: product, total, and quantity and group where given."""
    view = {"product": item["product"], "total": num(item["total"])}
    if "quantity" in item:
        view["quantity"] = num(item["quantity"])
    if item.get("group"):
        view["group"] = item["group"]
    return view


def line_sort_key(view: dict) -> tuple:
    return (
        view["product"],
        json.dumps(view.get("group", {}), sort_keys=True),
        str(view.get("quantity", "")),
        view["total"],
    )
