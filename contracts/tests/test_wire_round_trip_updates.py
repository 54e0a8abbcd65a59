"""A v2 edit's updates and archives through the official metronome-sdk read back as sent: every
field the no-silent-drop lists name this test for (contracts/wire_fields) is checked."""

from types import SimpleNamespace
from typing import Any

import pytest

from billing_console.tests.read_back import ReadBack, assert_shows
from contracts.tests.round_trip_terms import (
    END,
    START,
    WINDOW,
    contract_terms,
    prepaid,
    read_contract,
    spec,
    world,
)
from contracts.wire.fields import CONTRACT_EDIT, UPDATES

pytestmark = pytest.mark.sdk

DEC = "2026-12-01T00:00:00Z"
HALF_UP = {"decimal_places": 0, "rounding_method": "HALF_UP"}
CEILING = {"decimal_places": 1, "rounding_method": "CEILING"}


@pytest.fixture
def w(transactional_db) -> SimpleNamespace:
    return world()


def _named(got: dict[str, Any], key: str, name: str) -> dict[str, Any]:
    (item,) = [i for i in got[key] if i.get("name") == name and not i.get("recurring_commit_id")]
    return item


def _updates(w, got: dict[str, Any]) -> dict[str, Any]:
    a, b = _named(got, "commits", "Commit A"), _named(got, "commits", "Commit B")
    credit, other = _named(got, "credits", "Credit A"), _named(got, "credits", "Credit B")
    segment = a["access_schedule"]["schedule_items"][0]
    billed = a["invoice_schedule"]["schedule_items"][0]
    changed = {"name": "Renamed", "description": "Changed", "priority": 11, "product_id": w.fee,
               "applicable_product_ids": [w.seats], "applicable_product_tags": ["seats"],
               "netsuite_sales_order_id": "SO-200"}  # fmt: skip
    return {
        "update_commits": [
            {"commit_id": a["id"], **changed, "rate_type": "COMMIT_RATE",
             "access_schedule": {
                 "update_schedule_items": [{"id": segment["id"], "amount": 1100,
                                            "starting_at": START, "ending_before": DEC}],
                 "add_schedule_items": [{"amount": 50, "starting_at": DEC, "ending_before": END}]},
             "invoice_schedule": {
                 "update_schedule_items": [{"id": billed["id"], "timestamp": START,
                                            "unit_price": 550, "quantity": 2, "amount": 1100}],
                 "add_schedule_items": [{"timestamp": DEC, "unit_price": 25, "quantity": 2,
                                         "amount": 50}]}},
            {"commit_id": b["id"], "access_schedule": {
                "remove_schedule_items": [{"id": b["access_schedule"]["schedule_items"][0]["id"]}],
                "add_schedule_items": [{"amount": 400, **WINDOW}]}},
        ],
        "update_credits": [
            {"credit_id": credit["id"], **changed, "rate_type": "LIST_RATE", "access_schedule": {
                "update_schedule_items": [{"id": credit["access_schedule"]["schedule_items"][0]["id"],
                                           "amount": 350, "starting_at": START, "ending_before": DEC}],
                "add_schedule_items": [{"amount": 20, "starting_at": DEC, "ending_before": END}]}},
            {"credit_id": other["id"], "access_schedule": {
                "remove_schedule_items": [{"id": other["access_schedule"]["schedule_items"][0]["id"]}],
                "add_schedule_items": [{"amount": 250, **WINDOW}]}},
        ],
        "update_recurring_commits": [
            {"recurring_commit_id": _named(got, "recurring_commits", "Monthly commit")["id"],
             "access_amount": {"unit_price": 120, "quantity": 2}, "ending_before": DEC,
             "invoice_amount": {"unit_price": 120, "quantity": 2}, "rate_type": "COMMIT_RATE",
             "proration_rounding": {"access": CEILING, "invoice": CEILING}},
        ],
        "update_recurring_credits": [
            {"recurring_credit_id": _named(got, "recurring_credits", "Monthly credit")["id"],
             "access_amount": {"unit_price": 60, "quantity": 3}, "ending_before": DEC,
             "rate_type": "COMMIT_RATE", "proration_rounding": {"access": CEILING}},
        ],
        "update_subscriptions": [
            {"subscription_id": _named(got, "subscriptions", "Team seats")["id"],
             "name": "Team seats 2", "ending_before": "2026-11-01T00:00:00Z",
             "proration_rounding": CEILING},
            {"subscription_id": _named(got, "subscriptions", "Named seats")["id"],
             "seat_updates": {
                 "add_unassigned_seats": [{"quantity": 2, "starting_at": "2026-03-01T00:00:00Z"}],
                 "remove_unassigned_seats": [{"quantity": 1, "starting_at": "2026-04-01T00:00:00Z"}],
             }},
        ],
        "update_contract_end_date": "2027-02-01T00:00:00Z",
        "update_net_payment_terms_days": 30,
        "update_spend_threshold_configuration": {
            "commit": {"product_id": w.commit, "name": "Spend 2", "description": "New", "priority": 3},
            "is_enabled": False, "threshold_amount": 20_000,
            "payment_gate_config": {"payment_gate_type": "STRIPE", "tax_type": "NONE",
                                    "stripe_config": {"payment_type": "INVOICE",
                                                      "invoice_metadata": {"po": "PO-3"}}},
            "discount_configuration": {"payment_fraction": 0.8},
        },
        "update_prepaid_balance_threshold_configuration": {
            **prepaid(w, applicable_product_ids=[w.seats], applicable_product_tags=["seats"]),
            "threshold_amount": 2000, "recharge_to_amount": 6000,
        },
    }  # fmt: skip


def _check_updates(rb: ReadBack, sent: dict[str, Any], got: dict[str, Any]) -> None:
    """Each updated item read back by its id; each added schedule item by its start."""
    for key, id_key in (
        ("update_commits", "commit_id"),
        ("update_credits", "credit_id"),
        ("update_recurring_commits", "recurring_commit_id"),
        ("update_recurring_credits", "recurring_credit_id"),
        ("update_subscriptions", "subscription_id"),
    ):
        listed = key.removeprefix("update_")
        rb.seen |= {key, f"{key}[].{id_key}"}
        for item in sent[key]:
            (row,) = [r for r in got[listed] if r["id"] == item[id_key]]
            path = f"{key}[]"
            for schedule in ("access_schedule", "invoice_schedule"):
                _schedule(rb, item.get(schedule), row, f"{path}.{schedule}")
            rest = {k: v for k, v in item.items() if k not in (id_key, "access_schedule",
                                                                 "invoice_schedule", "seat_updates",
                                                                 "proration_rounding")}  # fmt: skip
            rb.check(rest, row, path)
            if listed == "subscriptions" and "proration_rounding" in item:
                rb.check(item["proration_rounding"], row["proration"]["rounding"], f"{path}.proration_rounding")  # fmt: skip
            elif "proration_rounding" in item:
                rb.check(item["proration_rounding"], row["proration_rounding"], f"{path}.proration_rounding")  # fmt: skip


def _schedule(rb: ReadBack, sent: dict | None, row: dict, path: str) -> None:
    if sent is None:
        return
    items = row[path.rsplit(".", 1)[1]]["schedule_items"]
    rb.seen.add(path)
    by_id = {i["id"]: i for i in items}
    for update in sent.get("update_schedule_items", []):
        rb.seen.add(f"{path}.update_schedule_items")
        rb.check(update, by_id[update["id"]], f"{path}.update_schedule_items[]")
    for removed in sent.get("remove_schedule_items", []):
        assert removed["id"] not in by_id
        rb.seen |= {f"{path}.remove_schedule_items", f"{path}.remove_schedule_items[].id"}
    added = sent.get("add_schedule_items", [])
    key = "timestamp" if "invoice" in path else "starting_at"
    rb.items(added, items, f"{path}.add_schedule_items[]", key=key)


def test_edit_updates_read_back_as_sent(sdk, w):
    body = {"customer_id": w.customer, "rate_card_id": w.card, **WINDOW, **contract_terms(w)}
    contract_id = sdk.v1.contracts.create(**body).data.id
    ids = {"customer_id": w.customer, "contract_id": contract_id}
    sent = _updates(w, read_contract(sdk, w, contract_id))
    sdk.v2.contracts.edit(**ids, **sent)
    got = read_contract(sdk, w, contract_id)
    rb = ReadBack()
    _check_updates(rb, sent, got)
    rb.check(sent["update_contract_end_date"], got["ending_before"], "update_contract_end_date")
    rb.check(30, got["net_payment_terms_days"], "update_net_payment_terms_days")
    for key in ("spend_threshold_configuration", "prepaid_balance_threshold_configuration"):
        rb.check(sent[f"update_{key}"], got[key], f"update_{key}")
    # Unassigned seats: 2 named and 1 unassigned, +2 in March, -1 in April.
    named = _named(got, "subscriptions", "Named seats")["id"]
    history = sdk.v1.contracts.get_subscription_seats_history(**ids, subscription_id=named).data
    assert [h.total_quantity for h in history] == [3, 5, 4]
    rb.seen |= {f"update_subscriptions[].seat_updates.{k}_unassigned_seats{tail}"
                for k in ("add", "remove") for tail in ("", "[].quantity", "[].starting_at")}  # fmt: skip

    # A second edit: a switch to seats, an invoice item removed, the prepaid commit scoped by
    # specifiers instead of ids and tags, and archives.
    team = _named(got, "subscriptions", "Team seats 2")["id"]
    a = _named(got, "commits", "Renamed")
    added = [i for i in a["invoice_schedule"]["schedule_items"] if i["amount"] == 50]
    scoped = {"commit": {"applicable_product_ids": None, "applicable_product_tags": None,
                         "specifiers": spec(w)}}  # fmt: skip
    archive = {
        "archive_commits": [{"id": _named(got, "commits", "Commit B")["id"]}],
        "archive_scheduled_charges": [{"id": got["scheduled_charges"][0]["id"]}],
        "remove_overrides": [{"id": got["overrides"][0]["id"]}],
    }
    sdk.v2.contracts.edit(
        **ids, **archive, update_prepaid_balance_threshold_configuration=scoped,
        update_subscriptions=[{"subscription_id": team, "quantity_management_mode_update": {
            "quantity_management_mode": "SEAT_BASED", "seat_config": {"seat_group_key": "user"}}}],
        update_commits=[{"commit_id": a["id"], "invoice_schedule": {
            "remove_schedule_items": [{"id": added[0]["id"]}]}}],
    )  # fmt: skip
    again = read_contract(sdk, w, contract_id)
    sub = _named(again, "subscriptions", "Team seats 2")
    assert (sub["quantity_management_mode"], sub["seat_config"]) == ("SEAT_BASED", {"seat_group_key": "user"})  # fmt: skip
    rb.seen |= {"update_subscriptions[].quantity_management_mode_update" + tail for tail in (
        "", ".quantity_management_mode", ".seat_config", ".seat_config.seat_group_key")}  # fmt: skip
    billed = _named(again, "commits", "Renamed")["invoice_schedule"]["schedule_items"]
    assert added[0]["id"] not in [i["id"] for i in billed]
    rb.seen |= {
        "update_commits[].invoice_schedule.remove_schedule_items" + t for t in ("", "[].id")
    }
    key = "prepaid_balance_threshold_configuration"
    rb.check(scoped["commit"]["specifiers"], again[key]["commit"]["specifiers"], f"update_{key}.commit.specifiers")  # fmt: skip
    assert "applicable_product_ids" not in again[key]["commit"]
    for archived, listed in (("archive_commits", "commits"), ("archive_scheduled_charges", "scheduled_charges"),
                             ("remove_overrides", "overrides")):  # fmt: skip
        gone = archive[archived][0]["id"]
        assert gone not in [i["id"] for i in again[listed]]
        rb.seen |= {archived, f"{archived}[].id"}
    assert_shows(rb.seen, UPDATES, CONTRACT_EDIT)
