"""The contract page's per-row forms: each applies one contract edit (recorded with its author),
shows form and service errors beside the field at fault (422, nothing written), and is refused
to read-only users."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from contracts.edits import contract_edit
from contracts.models import (
    Commit,
    ContractEdit,
    Override,
    RecurringCommit,
    Subscription,
    SubscriptionQuantityChange,
)
from contracts.tests.factories import HTMX, console_world, field_error

NOW = datetime(2026, 3, 14, 12, tzinfo=UTC)


@pytest.fixture
def world(db):
    return console_world()


def _url(name: str, world, *args) -> str:
    return reverse(f"contracts:{name}", args=[world.contract.public_id, *args])


def _post(client, url: str, data: dict):
    with time_machine.travel(NOW, tick=False):
        return client.post(url, data, **HTMX)


def _edit(world, body: dict) -> None:
    contract_edit(contract=world.contract, data=body, actor="setup")


def _segment(start: str, end: str, amount: int = 10000) -> dict:
    return {"access_schedule": {"schedule_items": [
        {"amount": amount, "starting_at": f"{start}T00:00:00Z", "ending_before": f"{end}T00:00:00Z"}]}}  # fmt: skip


def _last_edit() -> ContractEdit:
    return ContractEdit.objects.order_by("-pk").first()


# --- commits and credits ---------------------------------------------------------------------


@pytest.fixture
def commit(world):
    _edit(world, {"add_commits": [{"type": "PREPAID", "product_id": str(world.fixed.public_id),
                                   "name": "Annual", "priority": 5, **_segment("2026-01-01", "2027-01-01")}]})  # fmt: skip
    return Commit.objects.get()


def test_commit_priority_name_and_access_end_edited(client, dave, world, commit):
    client.force_login(dave)
    url = _url("contract-edit-commit", world, commit.public_id)
    data = {"name": "Annual 2026", "priority": "2", "ending_before": "2026-10-01"}
    response = _post(client, url, data)
    assert response.status_code == 200 and response["HX-Redirect"]
    commit.refresh_from_db()
    assert (commit.name, commit.priority) == ("Annual 2026", Decimal("2"))
    assert commit.segments.get().ending_before == datetime(2026, 10, 1, tzinfo=UTC)
    edit = _last_edit()
    assert edit.actor == "dave" and edit.changes["update_commits"] == [str(commit.public_id)]
    was = edit.changes["previous"]["update_commits"][str(commit.public_id)]  # for "old → new"
    assert (was["name"], was["priority"]) == ("Annual", "5")
    # Nothing changed: no edit recorded.
    assert _post(client, url, data).status_code == 200 and _last_edit() == edit


def test_commit_edit_error_from_the_service_beside_the_field(client, dave, world, commit):
    client.force_login(dave)
    url = _url("contract-edit-commit", world, commit.public_id)
    response = _post(
        client, url, {"name": "Annual", "priority": "1", "ending_before": "2025-12-01"}
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert field_error(body, "ending_before") == "must be after starting_at."
    assert body.lstrip().startswith(f'<form id="commit-edit-{commit.public_id}"')
    commit.refresh_from_db()
    assert commit.priority == Decimal("5")  # the whole edit rolled back, priority too


def test_credit_priority_edited_through_update_credits(client, fiona, world):
    _edit(world, {"add_credits": [{"product_id": str(world.fixed.public_id), "priority": 1,
                                   **_segment("2026-01-01", "2026-07-01")}]})  # fmt: skip
    credit = Commit.objects.get()
    client.force_login(fiona)
    response = _post(client, _url("contract-edit-commit", world, credit.public_id),
                     {"name": "", "priority": "7", "ending_before": "2026-07-01"})  # fmt: skip
    assert response.status_code == 200
    credit.refresh_from_db()
    assert credit.priority == Decimal("7")
    assert _last_edit().changes["update_credits"] == [str(credit.public_id)]


def test_commit_edit_refused_to_read_only(client, bob, world, commit):
    client.force_login(bob)
    response = _post(client, _url("contract-edit-commit", world, commit.public_id),
                     {"name": "X", "priority": "1"})  # fmt: skip
    assert response.status_code == 403
    commit.refresh_from_db()
    assert commit.name == "Annual"


def test_archived_commit_cannot_be_edited(client, dave, world, commit):
    _edit(world, {"archive_commits": [{"id": str(commit.public_id)}]})
    client.force_login(dave)
    response = _post(
        client, _url("contract-edit-commit", world, commit.public_id), {"priority": "1"}
    )
    assert response.status_code == 404


# --- overrides ------------------------------------------------------------------------------


@pytest.fixture
def override(world):
    _edit(world, {"add_overrides": [{"type": "MULTIPLIER", "multiplier": 0.9, "starting_at": "2026-01-01T00:00:00Z",
                                     "override_specifiers": [{"product_id": str(world.product.public_id),
                                                              "pricing_group_values": {"region": "us-east-1"}}]}]})  # fmt: skip
    return Override.objects.get()


def _override_data(world, **changes) -> dict:
    data = {"type": "MULTIPLIER", "product": str(world.product.public_id), "group_values": "region=us-east-1",
            "multiplier": "0.8", "starting_at": "2026-02-01"}  # fmt: skip
    data.update(changes)
    return data


def test_override_edited_as_one_remove_and_add(client, dave, world, override):
    client.force_login(dave)
    page = client.get(_url("contract-detail", world)).content.decode()
    assert f'id="override-edit-{override.public_id}"' in page and 'value="region=us-east-1"' in page
    response = _post(
        client, _url("contract-edit-override", world, override.public_id), _override_data(world)
    )
    assert response.status_code == 200
    old, new = Override.objects.order_by("pk")
    assert old.archived_at is not None and new.archived_at is None
    assert new.multiplier == Decimal("0.8") and new.starting_at == datetime(2026, 2, 1, tzinfo=UTC)
    assert new.override_specifiers == [
        {
            "product_id": str(world.product.public_id),
            "pricing_group_values": {"region": "us-east-1"},
        }
    ]
    changes = _last_edit().changes
    assert set(changes) == {"add_overrides", "remove_overrides", "previous"}
    assert changes["previous"]["remove_overrides"][str(old.public_id)]["multiplier"] == 0.9


def test_override_edit_errors_inline(client, dave, world, override):
    client.force_login(dave)
    url = _url("contract-edit-override", world, override.public_id)
    response = _post(client, url, _override_data(world, multiplier=""))
    assert response.status_code == 422
    assert (
        field_error(response.content.decode(), "multiplier")
        == "A multiplier override needs a multiplier."
    )
    response = _post(
        client, url, _override_data(world, starting_at="2026-05-01", ending_before="2026-04-01")
    )
    assert field_error(response.content.decode(), "ending_before") == "must be after starting_at."
    assert Override.objects.get().archived_at is None


def test_override_edit_refused_to_read_only(client, bob, world, override):
    client.force_login(bob)
    response = _post(
        client, _url("contract-edit-override", world, override.public_id), _override_data(world)
    )
    assert response.status_code == 403
    assert Override.objects.count() == 1


# --- recurring commits and credits ----------------------------------------------------------


def _recurring_data(world, **changes) -> dict:
    data = {"kind": "COMMIT", "name": "Monthly commit", "product": str(world.fixed.public_id), "priority": "1",
            "frequency": "MONTHLY", "access_amount": "500", "invoice_amount": "", "periods": "1",
            "proration": "NONE", "starting_at": "2026-02-01", "ending_before": ""}  # fmt: skip
    data.update(changes)
    return data


def test_recurring_commit_added_in_dollars(client, dave, world):
    client.force_login(dave)
    response = _post(client, _url("contract-add-recurring", world), _recurring_data(world))
    assert response.status_code == 200
    item = RecurringCommit.objects.get()
    assert (item.kind, item.frequency, item.proration) == ("PREPAID", "MONTHLY", "NONE")
    assert item.access_amount == {"unit_price": 50000, "quantity": 1}  # $500.00 in cents
    assert item.invoice_amount["unit_price"] == 50000  # defaults to the access amount
    assert item.commit_duration == {"value": 1, "unit": "PERIODS"}
    assert _last_edit().actor == "dave"


def test_recurring_credit_per_seat(client, dave, world):
    _edit(world, {"add_subscriptions": [{
        "collection_schedule": "ADVANCE", "proration": {"is_prorated": True}, "quantity_management_mode": "SEAT_BASED",
        "subscription_rate": {"billing_frequency": "MONTHLY", "product_id": str(world.seats.public_id)},
        "seat_config": {"seat_group_key": "user_id", "initial_seat_ids": ["u1", "u2"]}}]})  # fmt: skip
    sub = Subscription.objects.get()
    client.force_login(dave)
    data = _recurring_data(world, kind="CREDIT", access_amount="10", subscription=str(sub.public_id),
                           allocation="INDIVIDUAL")  # fmt: skip
    assert _post(client, _url("contract-add-recurring", world), data).status_code == 200
    item = RecurringCommit.objects.get()
    assert (item.kind, item.invoice_amount, item.access_amount) == (
        "CREDIT",
        None,
        {"unit_price": 1000},
    )
    assert item.subscription_config["allocation"] == "INDIVIDUAL"


def test_recurring_add_errors_inline(client, dave, world):
    client.force_login(dave)
    url = _url("contract-add-recurring", world)
    response = _post(client, url, _recurring_data(world, kind="CREDIT", invoice_amount="5"))
    assert response.status_code == 422
    assert (
        field_error(response.content.decode(), "invoice_amount")
        == "A recurring credit is not invoiced."
    )
    response = _post(client, url, _recurring_data(world, access_amount=""))
    body = response.content.decode()
    assert field_error(body, "access_amount") == "This field is required."
    assert body.lstrip().startswith('<form id="recurring-form"')
    assert not RecurringCommit.objects.exists()


def test_recurring_add_refused_to_read_only(client, bob, world):
    client.force_login(bob)
    assert (
        _post(client, _url("contract-add-recurring", world), _recurring_data(world)).status_code
        == 403
    )
    assert not RecurringCommit.objects.exists()


@pytest.fixture
def recurring(world):
    _edit(world, {"add_recurring_commits": [{
        "product_id": str(world.fixed.public_id), "priority": 1, "starting_at": "2026-02-01T00:00:00Z",
        "access_amount": {"unit_price": 50000, "quantity": 1}, "commit_duration": {"value": 1},
        "invoice_amount": {"unit_price": 45000, "quantity": 1,
                           "credit_type_id": str(world.rate_card.fiat_credit_type.public_id)}}]})  # fmt: skip
    return RecurringCommit.objects.get()


def test_recurring_end_and_amounts_edited_in_place(client, dave, world, recurring):
    client.force_login(dave)
    data = {"ending_before": "2026-12-01", "access_amount": "600", "invoice_amount": "550.50"}
    response = _post(client, _url("contract-edit-recurring", world, recurring.public_id), data)
    assert response.status_code == 200
    recurring.refresh_from_db()
    assert recurring.ending_before == datetime(2026, 12, 1, tzinfo=UTC)
    assert recurring.access_amount == {"unit_price": 60000, "quantity": 1}
    assert recurring.invoice_amount["unit_price"] == 55050
    assert RecurringCommit.objects.count() == 1  # edited, not recreated
    assert _last_edit().changes == {"update_recurring_commits": [str(recurring.public_id)]}


def test_recurring_edit_service_error_beside_the_field(client, dave, world, recurring):
    client.force_login(dave)
    data = {"ending_before": "2026-01-15", "access_amount": "700", "invoice_amount": "450"}
    response = _post(client, _url("contract-edit-recurring", world, recurring.public_id), data)
    assert response.status_code == 422
    assert (
        field_error(response.content.decode(), "ending_before")
        == "must be after the item's starting_at."
    )
    recurring.refresh_from_db()
    assert recurring.access_amount["unit_price"] == 50000 and recurring.ending_before is None


def test_recurring_edit_refused_to_read_only(client, bob, world, recurring):
    client.force_login(bob)
    data = {"ending_before": "2026-12-01", "access_amount": "600", "invoice_amount": "450"}
    assert (
        _post(client, _url("contract-edit-recurring", world, recurring.public_id), data).status_code
        == 403
    )


# --- subscriptions and seats ----------------------------------------------------------------


def _subscription_data(world, **changes) -> dict:
    data = {"product": str(world.seats.public_id), "name": "Team", "mode": "QUANTITY_ONLY", "frequency": "MONTHLY",
            "collection": "ADVANCE", "is_prorated": "on", "quantity": "10", "starting_at": "2026-02-01"}  # fmt: skip
    data.update(changes)
    return data


def _quantity_now(sub) -> list:
    return list(sub.quantity_changes.values_list("type", "quantity", "seat_ids"))


def test_subscriptions_added_by_quantity_or_named_seats(client, dave, world):
    client.force_login(dave)
    assert (
        _post(
            client, _url("contract-add-subscription", world), _subscription_data(world)
        ).status_code
        == 200
    )
    data = _subscription_data(world, name="Seats", mode="SEAT_BASED", quantity="", seat_group_key="user_id",
                              seat_ids="u1, u2", unassigned_seats="3")  # fmt: skip
    assert _post(client, _url("contract-add-subscription", world), data).status_code == 200
    team, seats = Subscription.objects.order_by("pk")
    assert (team.quantity_management_mode, team.starting_at) == (
        "QUANTITY_ONLY",
        datetime(2026, 2, 1, tzinfo=UTC),
    )
    assert _quantity_now(team) == [("SET", Decimal("10"), [])]
    assert (seats.quantity_management_mode, seats.seat_group_key) == ("SEAT_BASED", "user_id")
    assert _quantity_now(seats) == [
        ("ADD_SEATS", None, ["u1", "u2"]),
        ("ADD_UNASSIGNED", Decimal("3"), []),
    ]
    page = client.get(_url("contract-detail", world)).content.decode()
    assert f'id="quantity-{team.public_id}"' in page and f'id="seats-{seats.public_id}"' in page


def test_subscription_add_errors_inline(client, dave, world):
    client.force_login(dave)
    url = _url("contract-add-subscription", world)
    response = _post(client, url, _subscription_data(world, quantity=""))
    assert response.status_code == 422
    assert (
        field_error(response.content.decode(), "quantity")
        == "A quantity subscription needs a quantity."
    )
    # No QUARTERLY rate on the rate card: the service says so beside the product.
    response = _post(client, url, _subscription_data(world, frequency="QUARTERLY"))
    assert response.status_code == 422
    assert field_error(response.content.decode(), "product") == (
        f"the rate card has no QUARTERLY SUBSCRIPTION rate for product {world.seats.public_id}."
    )
    assert not Subscription.objects.exists()


def test_subscription_add_refused_to_read_only(client, bob, world):
    client.force_login(bob)
    assert (
        _post(
            client, _url("contract-add-subscription", world), _subscription_data(world)
        ).status_code
        == 403
    )


@pytest.fixture
def team(world):
    _edit(world, {"add_subscriptions": [{
        "collection_schedule": "ADVANCE", "proration": {"is_prorated": True}, "initial_quantity": 10,
        "subscription_rate": {"billing_frequency": "MONTHLY", "product_id": str(world.seats.public_id)},
        "starting_at": "2026-02-01T00:00:00Z"}]})  # fmt: skip
    return Subscription.objects.get()


def test_quantity_changed_from_a_date(client, dave, world, team):
    client.force_login(dave)
    url = _url("contract-subscription-quantity", world, team.public_id)
    assert _post(client, url, {"quantity": "14", "starting_at": "2026-04-01"}).status_code == 200
    change = SubscriptionQuantityChange.objects.order_by("pk").last()
    assert (change.type, change.quantity, change.starting_at) == (
        "SET",
        Decimal("14"),
        datetime(2026, 4, 1, tzinfo=UTC),
    )
    with time_machine.travel(NOW, tick=False):
        page = client.get(_url("contract-detail", world)).content.decode()
    assert "<div>10 from Feb 1, 2026</div><div>14 from Apr 1, 2026</div>" in page
    assert _last_edit().actor == "dave"


def test_quantity_change_before_the_subscription_errors_inline(client, dave, world, team):
    client.force_login(dave)
    url = _url("contract-subscription-quantity", world, team.public_id)
    response = _post(client, url, {"quantity": "14", "starting_at": "2026-01-15"})
    assert response.status_code == 422
    body = response.content.decode()
    assert field_error(body, "starting_at") == "may not be before the subscription starts."
    assert body.lstrip().startswith(f'<form id="quantity-{team.public_id}"')
    assert team.quantity_changes.count() == 1


def test_quantity_change_refused_to_read_only(client, bob, world, team):
    client.force_login(bob)
    url = _url("contract-subscription-quantity", world, team.public_id)
    assert _post(client, url, {"quantity": "14", "starting_at": "2026-04-01"}).status_code == 403


@pytest.fixture
def named(world):
    _edit(world, {"add_subscriptions": [{
        "collection_schedule": "ADVANCE", "proration": {"is_prorated": True}, "quantity_management_mode": "SEAT_BASED",
        "subscription_rate": {"billing_frequency": "MONTHLY", "product_id": str(world.seats.public_id)},
        "seat_config": {"seat_group_key": "user_id", "initial_seat_ids": ["u1", "u2"]}}]})  # fmt: skip
    return Subscription.objects.get()


def test_seats_assigned_and_removed_from_a_date(client, dave, world, named):
    client.force_login(dave)
    url = _url("contract-subscription-seats", world, named.public_id)
    data = {"action": "add_seat_ids", "seat_ids": "u3, u4", "starting_at": "2026-03-01"}
    assert _post(client, url, data).status_code == 200
    data = {"action": "remove_seat_ids", "seat_ids": "u1", "starting_at": "2026-03-10"}
    assert _post(client, url, data).status_code == 200
    with time_machine.travel(NOW, tick=False):
        page = client.get(_url("contract-detail", world)).content.decode()
    seats = page.split(f'id="subscription-{named.public_id}"', 1)[1].split("</tr>", 1)[0]
    assert '<td class="num" data-label="Quantity now">3</td>' in seats
    assert [s for s in ("u1", "u2", "u3", "u4") if f">{s}<" in seats] == ["u2", "u3", "u4"]


def test_seat_change_errors_inline(client, dave, world, named):
    client.force_login(dave)
    url = _url("contract-subscription-seats", world, named.public_id)
    response = _post(
        client, url, {"action": "remove_seat_ids", "seat_ids": " , ", "starting_at": "2026-03-01"}
    )
    assert response.status_code == 422
    assert field_error(response.content.decode(), "seat_ids") == "Give at least one seat id."
    response = _post(client, url, {"action": "add_unassigned_seats", "starting_at": "2026-03-01"})
    assert field_error(response.content.decode(), "count") == "Give how many seats."
    assert named.quantity_changes.count() == 2  # the initial ones only


def test_seat_change_refused_to_read_only(client, bob, world, named):
    client.force_login(bob)
    url = _url("contract-subscription-seats", world, named.public_id)
    data = {"action": "add_unassigned_seats", "count": "2", "starting_at": "2026-03-01"}
    assert _post(client, url, data).status_code == 403


def test_subscription_ended_and_error_inline(client, dave, bob, world, team):
    client.force_login(dave)
    url = _url("contract-subscription-end", world, team.public_id)
    response = _post(client, url, {"ending_before": "2026-01-20"})
    assert response.status_code == 422
    assert field_error(response.content.decode(), "ending_before") == (
        "must be after the subscription's starting_at."
    )
    assert _post(client, url, {"ending_before": "2026-09-01"}).status_code == 200
    team.refresh_from_db()
    assert team.ending_before == datetime(2026, 9, 1, tzinfo=UTC)
    client.force_login(bob)
    assert _post(client, url, {"ending_before": ""}).status_code == 403


def test_without_htmx_the_whole_page_comes_back_with_the_row_form_open(client, dave, world, commit):
    client.force_login(dave)
    url = _url("contract-edit-commit", world, commit.public_id)
    with time_machine.travel(NOW, tick=False):
        response = client.post(
            url, {"name": "Annual", "priority": "x", "ending_before": "2027-01-01"}
        )
    assert response.status_code == 422
    body = response.content.decode()
    assert body.startswith("<!doctype html>")
    row = body.split(f'id="commit-{commit.public_id}"', 1)[1].split("</section>", 1)[0]
    assert '<details class="edit" open>' in row
    assert field_error(row, "priority") == "Enter a number."


def test_tiered_override_is_removable_but_not_edited_here(client, dave, world):
    _edit(world, {"add_overrides": [{"type": "TIERED", "starting_at": "2026-01-01T00:00:00Z",
                                     "product_id": str(world.product.public_id),
                                     "tiers": [{"size": 100, "multiplier": 1}, {"multiplier": 0.5}]}]})  # fmt: skip
    override = Override.objects.get()
    client.force_login(dave)
    page = client.get(_url("contract-detail", world)).content.decode()
    assert f'id="override-{override.public_id}"' in page
    assert f'id="override-edit-{override.public_id}"' not in page
    response = _post(
        client, _url("contract-edit-override", world, override.public_id), _override_data(world)
    )
    assert response.status_code == 404
    assert Override.objects.get().archived_at is None
