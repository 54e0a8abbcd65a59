"""Spend trackers: sent through the official metronome-sdk with a create and a v2 edit and read
back as sent (v1 and v2 get and list); what each one accumulates in its billing period, to the
cent, from the contract's invoices; the refusals, each a 400 naming its path; a package's
trackers on the contracts made from it; and the contract page."""

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from billing_console.tests.read_back import ReadBack, assert_shows
from contracts.models import Contract, SpendTracker
from contracts.tests.round_trip_terms import WINDOW, access, read_contract, world
from contracts.wire.fields import CONTRACT_CREATE, CONTRACT_EDIT
from contracts.wire.fields.reporting_terms import ACCUMULATED, TRACKER_TRIP
from invoicing.models import Invoice
from invoicing.services import contract_scheduled_invoices_sync, invoice_void
from invoicing.tests.factories import priced_world
from invoicing.thresholds import contract_thresholds_evaluate
from pricing.services import credit_type_create, credit_type_get_default, product_create

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
JAN, FEB = "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"
BOTH = ["MANUAL", "THRESHOLD_RECHARGE"]


def tracker(alias: str, usd: str, sources: list[str], discounted: str | None = None) -> dict:
    spec: dict[str, Any] = {"spend_type": "COMMIT_PURCHASE", "sources": sources}
    if discounted:
        spec["discounted"] = discounted
    return {"alias": alias, "credit_type_id": usd, "reset_frequency": "BILLING_PERIOD",
            "applicable_spend_specifiers": [spec]}  # fmt: skip


# -- read back as sent, through the SDK -----------------------------------------------------


@pytest.fixture
def w(transactional_db) -> SimpleNamespace:
    return world()


def _commit(w, name: str, discounted: bool) -> dict[str, Any]:
    return {"type": "PREPAID", "product_id": w.commit, "name": name, "priority": 1,
            "access_schedule": access(w, 1000),
            "spend_tracker_attributes": {"counts_as_discounted": discounted}}  # fmt: skip


@pytest.mark.sdk
def test_trackers_read_back_from_create_and_edit_as_sent(sdk, w):
    sent = {
        "spend_trackers": [
            tracker("promo-cap", w.usd, ["THRESHOLD_RECHARGE"], "DISCOUNTED_ONLY"),
            {**tracker("all-purchases", w.usd, ["MANUAL"]), "applicable_spend_specifiers": [
                {"spend_type": "COMMIT_PURCHASE", "sources": ["MANUAL"], "discounted": "ANY"},
                {"spend_type": "COMMIT_PURCHASE", "sources": ["THRESHOLD_RECHARGE"],
                 "discounted": "UNDISCOUNTED_ONLY"}]},
        ],
        "commits": [_commit(w, "Promo pack", True)],
    }  # fmt: skip
    contract_id = sdk.v1.contracts.create(
        customer_id=w.customer, rate_card_id=w.card, **WINDOW, **sent
    ).data.id
    got = read_contract(sdk, w, contract_id)
    rb = ReadBack()
    rb.items(sent["spend_trackers"], got["spend_trackers"], "spend_trackers[]", key="alias")
    rb.items(sent["commits"], got["commits"], "commits[]")
    # v1 get and list: the trackers on the contract and in its terms, the royalties flat
    v1 = sdk.v1.contracts.retrieve(customer_id=w.customer, contract_id=contract_id).data
    [listed] = sdk.v1.contracts.list(customer_id=w.customer).data
    for contract in (v1, listed):
        data = contract.to_dict(mode="json")
        for trackers in (data["spend_trackers"], data["current"]["spend_trackers"]):
            ReadBack().items(sent["spend_trackers"], trackers, "v1", key="alias")

    # A v2 edit archives one (its alias free again), adds it anew and another, and a commit.
    added = {
        "add_spend_trackers": [
            tracker("promo-cap", w.usd, BOTH, "UNDISCOUNTED_ONLY"),
            tracker("manual", w.usd, ["MANUAL"]),
        ],
        "add_commits": [_commit(w, "Plain pack", False)],
    }
    edit = sdk.v2.contracts.edit(
        customer_id=w.customer, contract_id=contract_id, archive_spend_trackers=["promo-cap"],
        **added,
    ).data.id  # fmt: skip
    got = read_contract(sdk, w, contract_id)
    assert [t["alias"] for t in got["spend_trackers"]] == ["all-purchases", "promo-cap", "manual"]
    rb.items(added["add_spend_trackers"], got["spend_trackers"], "add_spend_trackers[]", "alias")
    rb.items(added["add_commits"], got["commits"], "add_commits[]")
    assert SpendTracker.objects.filter(alias="promo-cap", archived_at__isnull=False).count() == 1
    rb.seen.add("archive_spend_trackers")
    assert_shows(rb.seen, TRACKER_TRIP, CONTRACT_CREATE, CONTRACT_EDIT)
    # The edit history records them under the request's keys.
    history = sdk.v2.contracts.get_edit_history(customer_id=w.customer, contract_id=contract_id)
    [recorded] = history.to_dict(mode="json")["data"]
    assert recorded["id"] == edit
    assert recorded["archive_spend_trackers"] == ["promo-cap"]
    assert [t["alias"] for t in recorded["add_spend_trackers"]] == ["promo-cap", "manual"]


# -- accumulated spend, to the cent ----------------------------------------------------------


def _purchase(fixed: str, name: str, items: list[tuple[str, dict]], **more: Any) -> dict:
    return {
        "type": "PREPAID", "product_id": fixed, "name": name, "priority": 1,
        "access_schedule": {"schedule_items": [{"amount": 100, "starting_at": JAN,
                                                "ending_before": FEB}]},
        "invoice_schedule": {"schedule_items": [{"timestamp": at, **amount}
                                                for at, amount in items]},
        **more,
    }  # fmt: skip


def _accounting_world():
    """A monthly contract from Jan 1, at Mar 20: manual commit purchases in and out of March,
    a recurring commit invoiced each month, a voided purchase, and an auto-recharge invoiced
    at a discount."""
    usd = str(credit_type_get_default().public_id)
    fixed = str(product_create(name="Prepaid credits", type="FIXED").public_id)
    discounted = {"spend_tracker_attributes": {"counts_as_discounted": True}}
    commits = [
        _purchase(fixed, "Promo pack", [("2026-02-10T00:00:00Z", {"amount": 12345}),
                                        ("2026-03-05T00:00:00Z", {"amount": 10000}),
                                        ("2026-03-25T00:00:00Z", {"amount": 5000})], **discounted),
        _purchase(fixed, "Top-up", [("2026-03-10T00:00:00Z", {"unit_price": 1025.25,
                                                               "quantity": 2})]),
        _purchase(fixed, "Voided", [("2026-03-12T00:00:00Z", {"amount": 777})]),
    ]  # fmt: skip
    recurring = {
        "product_id": fixed, "name": "Monthly pack", "priority": 5, "starting_at": JAN,
        "commit_duration": {"value": 1, "unit": "PERIODS"}, "recurrence_frequency": "MONTHLY",
        "access_amount": {"unit_price": 100, "quantity": 1},
        "invoice_amount": {"credit_type_id": usd, "unit_price": 700, "quantity": 1},
    }  # fmt: skip
    recharge = {
        "commit": {"product_id": fixed, "name": "Auto-recharge"}, "is_enabled": True,
        "payment_gate_config": {"payment_gate_type": "NONE"}, "threshold_amount": 1000,
        "recharge_to_amount": 5000, "discount_configuration": {"payment_fraction": 0.8},
    }  # fmt: skip
    world = priced_world(contract_extra={
        "commits": commits, "recurring_commits": [recurring],
        "prepaid_balance_threshold_configuration": recharge,
        "spend_trackers": [
            tracker("all", usd, BOTH, "ANY"),
            tracker("discounted", usd, BOTH, "DISCOUNTED_ONLY"),
            tracker("manual-undiscounted", usd, ["MANUAL"], "UNDISCOUNTED_ONLY"),
        ],
    })  # fmt: skip
    contract = world.contract
    contract_scheduled_invoices_sync(contract=contract)
    # Balance 100 (the March pack) < 1000: recharged by 4900, invoiced 4900 x 0.8 = 3920.
    [charge] = contract_thresholds_evaluate(contract=contract, now=NOW)
    assert (charge.amount, charge.invoice_amount) == (4900, 3920)
    voided = Invoice.objects.get(contract=contract, period_start=datetime(2026, 3, 12, tzinfo=UTC))
    invoice_void(invoice=voided)
    return world, usd


@pytest.mark.django_db
def test_accumulated_spend_counts_commit_purchases_of_the_period_to_the_cent(api, alice, client):
    with time_machine.travel(NOW, tick=False):
        world, usd = _accounting_world()
        ids = {"customer_id": str(world.customer.public_id),
               "contract_id": str(world.contract.public_id)}  # fmt: skip
        edit = {**ids, "add_spend_trackers": [tracker("recharges", usd, ["THRESHOLD_RECHARGE"])]}
        assert api.post("/v2/contracts/edit", edit, format="json").status_code == 200
        got = api.post("/v2/contracts/get", ids, format="json").json()["data"]
        v1 = api.post("/v1/contracts/get", ids, format="json").json()["data"]
        client.force_login(alice)
        page = client.get(reverse("contracts:contract-detail", args=[world.contract.public_id]))
    # In March (to Apr 1), issued by Mar 20, not void:
    #   Promo pack (manual, discounted) Mar 5: 10000; its Feb 10 12345 and Mar 25 5000 are not
    #   Top-up (manual) Mar 10: 1025.25 x 2 = 2050.5, invoiced 2051 (rounded half up)
    #   Voided (manual) Mar 12: 777, void; the recurring Monthly pack Mar 1: 700, no source
    #   Auto-recharge (threshold, discounted) Mar 20: 3920
    expected = {"all": 15971, "discounted": 13920, "manual-undiscounted": 2051, "recharges": 3920}
    for trackers in (got["spend_trackers"], v1["spend_trackers"]):
        amounts = {t["alias"]: t["accumulated_spend"]["amount"] for t in trackers}
        assert amounts == expected
    window = got["spend_trackers"][0]["accumulated_spend"]
    assert (window["period_starting_at"], window["period_ending_before"]) == (
        "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z",
    )  # fmt: skip
    # The page shows each in dollars.
    assert page.status_code == 200
    for text in (
        "$159.71",
        "$139.20",
        "$20.51",
        "$39.20",
        "manual commits, threshold recharges",
        "recharges: Commit purchases: threshold recharges",
    ):  # the edit, in words
        assert text in page.content.decode()
    seen = {
        f"{prefix}{path}"
        for prefix in ("spend_trackers[].", "add_spend_trackers[].")
        for path in ("reset_frequency", "applicable_spend_specifiers[].spend_type",
                     "applicable_spend_specifiers[].sources",
                     "applicable_spend_specifiers[].discounted")
    }  # fmt: skip
    assert_shows(seen, ACCUMULATED, CONTRACT_CREATE, CONTRACT_EDIT)


@pytest.mark.django_db
def test_no_window_outside_the_contract_term(api):
    world = priced_world(contract_extra={"ending_before": "2026-03-01T00:00:00Z"})
    usd = str(credit_type_get_default().public_id)
    ids = {"customer_id": str(world.customer.public_id),
           "contract_id": str(world.contract.public_id)}  # fmt: skip
    body = {**ids, "add_spend_trackers": [tracker("t", usd, BOTH)]}
    assert api.post("/v2/contracts/edit", body, format="json").status_code == 200
    with time_machine.travel(NOW, tick=False):  # after the contract's end
        [got] = api.post("/v2/contracts/get", ids, format="json").json()["data"]["spend_trackers"]
    assert "accumulated_spend" not in got
    assert got["alias"] == "t"


# -- refusals ------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t, usd: {"spend_trackers": [t, t]},
         "spend_trackers[1].alias: 'a' is already the alias of a spend tracker on this contract."),
        (lambda t, usd: {"spend_trackers": [{**t, "credit_type_id": "5f4a1c04-7d1c-4b35-9a3b-2d2f9f6b1e11"}]},
         "spend_trackers[0].credit_type_id: no credit type with id 5f4a1c04-7d1c-4b35-9a3b-2d2f9f6b1e11."),
        (lambda t, usd: {"spend_trackers": [{**t, "applicable_spend_specifiers": [
            {"spend_type": "COMMIT_PURCHASE", "sources": ["MANUAL", "USAGE"]}]}]},
         "spend_trackers[0].applicable_spend_specifiers[0].sources[1]: must be one of THRESHOLD_RECHARGE, MANUAL."),
        (lambda t, usd: {"spend_trackers": [{**t, "applicable_spend_specifiers": []}]},
         "spend_trackers[0].applicable_spend_specifiers: needs at least one specifier."),
        (lambda t, usd: {"spend_trackers": [{**t, "reset_frequency": "MONTHLY"}]},
         "spend_trackers[0].reset_frequency: must be one of BILLING_PERIOD."),
    ],
)  # fmt: skip
def test_a_bad_tracker_is_a_400_naming_its_path_and_writes_nothing(api, change, message):
    usd = str(credit_type_get_default().public_id)
    customer = priced_world().customer
    body = {"customer_id": str(customer.public_id), "starting_at": JAN,
            **change(tracker("a", usd, BOTH), usd)}  # fmt: skip
    before = Contract.objects.count()
    response = api.post("/v1/contracts/create", body, format="json")
    assert (response.status_code, response.json()["message"]) == (400, message)
    assert Contract.objects.count() == before


@pytest.mark.django_db
def test_edit_refusals_name_their_paths(api):
    world = priced_world()
    usd = str(credit_type_get_default().public_id)
    gpu = str(credit_type_create(name="GPU hours").public_id)
    ids = {"customer_id": str(world.customer.public_id),
           "contract_id": str(world.contract.public_id)}  # fmt: skip
    assert api.post("/v2/contracts/edit", {**ids, "add_spend_trackers": [tracker("a", usd, BOTH)]},
                    format="json").status_code == 200  # fmt: skip
    cases = [
        ({"add_spend_trackers": [tracker("a", usd, BOTH)]},
         "add_spend_trackers[0].alias: 'a' is already the alias of a spend tracker on this contract."),
        ({"add_spend_trackers": [tracker("b", gpu, BOTH)]},
         f"add_spend_trackers[0].credit_type_id: must be the contract's credit type ({usd}): "
         "commit purchases are invoiced in it, so a tracker in another unit would never accumulate."),
        ({"archive_spend_trackers": ["a", "nope"]},
         "archive_spend_trackers[1]: no live spend tracker with the alias 'nope' on this contract."),
        ({"add_commits": [{"type": "PREPAID", "product_id": str(world.product.public_id),
                           "access_schedule": {"schedule_items": [
                               {"amount": 1, "starting_at": JAN, "ending_before": FEB}]},
                           "spend_tracker_attributes": {}}]},
         "add_commits[0].spend_tracker_attributes.counts_as_discounted: is required."),
    ]  # fmt: skip
    for change, message in cases:
        response = api.post("/v2/contracts/edit", {**ids, **change}, format="json")
        assert (response.status_code, response.json()["message"]) == (400, message)
    # nothing of a refused edit stays: "a" is still live
    assert list(world.contract.spend_trackers.values_list("alias", "archived_at")) == [("a", None)]


@pytest.mark.django_db
def test_a_contract_from_a_package_takes_its_trackers(api):
    world = priced_world()
    usd = str(credit_type_get_default().public_id)
    sent = tracker("from-package", usd, ["MANUAL"], "DISCOUNTED_ONLY")
    package = api.post("/v1/packages/create", {
        "name": "Starter", "rate_card_id": str(world.rate_card.public_id), "spend_trackers": [sent],
    }, format="json").json()["data"]["id"]  # fmt: skip
    created = api.post("/v1/contracts/create", {
        "customer_id": str(world.customer.public_id), "package_id": package, "starting_at": JAN,
        "spend_trackers": [tracker("own", usd, BOTH)],
    }, format="json")  # fmt: skip
    assert created.status_code == 200, created.content
    ids = {
        "customer_id": str(world.customer.public_id),
        "contract_id": created.json()["data"]["id"],
    }
    got = api.post("/v2/contracts/get", ids, format="json").json()["data"]["spend_trackers"]
    assert [{k: v for k, v in t.items() if k != "accumulated_spend"} for t in got] == [
        sent, tracker("own", usd, BOTH),
    ]  # fmt: skip
