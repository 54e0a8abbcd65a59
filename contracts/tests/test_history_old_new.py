"""The edit history's "old → new" for overrides (replaced: removed and re-added in one edit) and
subscriptions (name, end, quantity and seats), recorded by the one edit path the API and the
console share (contracts/edit_previous.py), read in words (contracts/console/edit_words.py)."""

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from contracts.edits import contract_edit
from contracts.models import ContractEdit, Override, Subscription
from contracts.tests.factories import HTMX, console_world

NOW = datetime(2026, 3, 14, 12, tzinfo=UTC)
JAN1 = "2026-01-01T00:00:00Z"


@pytest.fixture
def world(db):
    return console_world()


def _edit(world, body: dict) -> None:
    with time_machine.travel(NOW, tick=False):  # before the console's edits, at NOW too
        contract_edit(contract=world.contract, data=body, actor="setup")


def _history(client, world) -> list[str]:
    """The history's lines, newest edit first, as text: "Changed override : ... key"."""
    url = reverse("contracts:contract-history", args=[world.contract.public_id])
    page = client.get(url).content.decode()
    cells = re.findall(r'<td class="edit-actor">[^<]+</td>\s*<td>(.*?)</td></tr>', page, re.S)
    lines = [line for cell in cells for line in re.findall(r"<div>(.*?)</div>", cell, re.S)]
    return [" ".join(re.sub(r"<[^>]+>", " ", line).split()) for line in lines]


def _override(world, multiplier: float, starting_at: str = JAN1, **spec) -> dict:
    specifier = {"product_id": str(world.product.public_id), **spec}
    return {"type": "MULTIPLIER", "multiplier": multiplier, "starting_at": starting_at,
            "override_specifiers": [specifier]}  # fmt: skip


def _team(world, **extra) -> Subscription:
    sub = {"collection_schedule": "ADVANCE", "proration": {"is_prorated": True}, "initial_quantity": 10,
           "subscription_rate": {"billing_frequency": "MONTHLY", "product_id": str(world.seats.public_id)},
           "starting_at": "2026-02-01T00:00:00Z", "name": "Team seats", **extra}  # fmt: skip
    _edit(world, {"add_subscriptions": [{k: v for k, v in sub.items() if v is not None}]})
    return Subscription.objects.get()


# --- through the API (the official SDK) -------------------------------------------------------


@pytest.mark.sdk
def test_api_override_replaced_reads_old_to_new(sdk, world, client, bob):
    _edit(world, {"add_overrides": [_override(world, 0.8)]})
    old = Override.objects.get()
    ids = {"customer_id": str(world.customer.public_id), "contract_id": str(world.contract.public_id)}  # fmt: skip
    sdk.v2.contracts.edit(
        **ids, remove_overrides=[{"id": str(old.public_id)}], add_overrides=[_override(world, 0.75)]
    )
    edit = ContractEdit.objects.order_by("-pk").first()
    assert edit.changes["previous"]["remove_overrides"][str(old.public_id)]["multiplier"] == 0.8
    client.force_login(bob)
    assert _history(client, world)[0] == (
        "Changed override : Calls: 20% off list → 25% off list remove_overrides, add_overrides"
    )


@pytest.mark.sdk
def test_api_subscription_quantity_and_name_read_old_to_new(sdk, world, client, bob):
    team = _team(world)
    ids = {"customer_id": str(world.customer.public_id), "contract_id": str(world.contract.public_id)}  # fmt: skip
    sdk.v2.contracts.edit(**ids, update_subscriptions=[{
        "subscription_id": str(team.public_id), "name": "Seats",
        "quantity_updates": [{"starting_at": "2026-03-01T00:00:00Z", "quantity": 12},
                             {"starting_at": "2026-04-01T00:00:00Z", "quantity_delta": -3}],
    }])  # fmt: skip
    client.force_login(bob)
    assert _history(client, world)[0] == (
        "Changed subscription : Seats: name Team seats → Seats, quantity 10 → 12 from Mar 1, 2026,"
        " quantity 10 → 9 from Apr 1, 2026 update_subscriptions"
    )


# --- through the console's forms --------------------------------------------------------------


def _post(client, world, name: str, item, data: dict):
    url = reverse(f"contracts:{name}", args=[world.contract.public_id, item.public_id])
    with time_machine.travel(NOW, tick=False):
        return client.post(url, data, **HTMX)


def test_console_override_edit_reads_old_to_new(client, dave, world):
    _edit(world, {"add_overrides": [_override(world, 0.8, pricing_group_values={"region": "us"})]})
    data = {"type": "PERCENT_OFF", "percent_off": "25", "product": str(world.product.public_id),
            "group_values": "region=us", "starting_at": "2026-02-01"}  # fmt: skip
    client.force_login(dave)
    assert _post(client, world, "contract-edit-override", Override.objects.get(), data).status_code == 200  # fmt: skip
    assert _history(client, world)[:2] == [
        "Changed override : Calls · region=us: 20% off list → 25% off list,"
        " from Jan 1, 2026 → Feb 1, 2026 remove_overrides, add_overrides",
        "Added override : Calls · region=us: 20% off list from Jan 1, 2026 add_overrides",
    ]


def test_console_override_moved_to_another_product_names_both(client, dave, world):
    _edit(world, {"add_overrides": [_override(world, 0.8)]})
    data = {"type": "MULTIPLIER", "multiplier": "1.1", "product": str(world.seats.public_id),
            "starting_at": "2026-01-01"}  # fmt: skip
    client.force_login(dave)
    assert _post(client, world, "contract-edit-override", Override.objects.get(), data).status_code == 200  # fmt: skip
    assert _history(client, world)[0] == (
        "Changed override : Calls → Seats: 20% off list → 10% over list"
        " remove_overrides, add_overrides"
    )


def test_console_quantity_seats_and_end_read_old_to_new(client, dave, world):
    team = _team(world)
    client.force_login(dave)
    quantity = {"quantity": "12", "starting_at": "2026-03-01"}
    assert _post(client, world, "contract-subscription-quantity", team, quantity).status_code == 200
    end = {"ending_before": "2026-12-01"}
    assert _post(client, world, "contract-subscription-end", team, end).status_code == 200
    assert _history(client, world)[:2] == [
        "Changed subscription : Team seats: ends with the contract → before Dec 1, 2026"
        " update_subscriptions",
        "Changed subscription : Team seats: quantity 10 → 12 from Mar 1, 2026 update_subscriptions",
    ]


def test_console_seat_change_reads_the_seats_before_and_after(client, dave, world):
    named = _team(world, initial_quantity=None, quantity_management_mode="SEAT_BASED",
                  seat_config={"seat_group_key": "user_id", "initial_seat_ids": ["u1", "u2"]})  # fmt: skip
    client.force_login(dave)
    data = {"action": "add_seat_ids", "seat_ids": "u3, u4", "starting_at": "2026-03-01"}
    assert _post(client, world, "contract-subscription-seats", named, data).status_code == 200
    assert _history(client, world)[0] == (
        "Changed subscription : Team seats: add seat ids u3, u4 from Mar 1, 2026 (seats 2 → 4)"
        " update_subscriptions"
    )


def test_edits_recorded_before_old_values_read_as_before(client, bob, world):
    """An edit recorded without old values (before Dec 2026) reads as it always did."""
    _edit(world, {"add_overrides": [_override(world, 0.8)]})
    old = Override.objects.get()
    _edit(world, {"remove_overrides": [{"id": str(old.public_id)}], "add_overrides": [_override(world, 0.75)]})  # fmt: skip
    edit = ContractEdit.objects.order_by("-pk").first()
    edit.changes.pop("previous")
    edit.save(update_fields=["changes"])
    client.force_login(bob)
    assert [line.split(" : ")[0] for line in _history(client, world)[:2]] == [
        "Added override",
        "Removed override",
    ]
