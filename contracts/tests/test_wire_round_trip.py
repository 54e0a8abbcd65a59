"""Round trips through the official metronome-sdk: every term a contract create accepts reads
back as sent, a v2 edit adding the same terms reads back alike, and customer-level commits and
credits too; and a TIERED overwrite bills its tiers. Each round trip checks every field the
no-silent-drop lists (contracts/wire_fields) name it for, so they cannot name a test for a field
it does not show."""

from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from billing_console.lib.periods import Period
from billing_console.tests.read_back import ReadBack, assert_shows
from contracts.models import Contract
from contracts.services import contract_create
from contracts.tests.round_trip_terms import (
    LISTS,
    START,
    WINDOW,
    contract_terms,
    prepaid,
    read_contract,
    spec,
    world,
)
from contracts.wire.fields import (
    CONTRACT_CREATE,
    CONTRACT_EDIT,
    CUSTOMER_COMMIT_CREATE,
    CUSTOMER_CREDIT_CREATE,
)
from contracts.wire.fields.terms import EDIT_ADDS, ROUND_TRIP
from invoicing.services import invoice_compute_usage
from invoicing.tests.factories import FEB, JAN, priced_world, send_calls

TRIP = "contracts.tests.test_wire_round_trip::"


@pytest.fixture
def w(transactional_db) -> SimpleNamespace:
    return world()


def _temporary_ids(got: dict[str, Any]) -> dict[str, str]:
    by_name = {i["name"]: i["id"] for key in LISTS for i in got.get(key) or [] if i.get("name")}
    names = {"ca": "Commit A", "rc": "Monthly commit", "rcr": "Monthly credit"}
    return {tid: by_name[name] for tid, name in {**names, "team": "Team seats"}.items()}


def _subscriptions(sdk, w, contract_id: str, got: dict, sent: list, path: str, rb: ReadBack):
    """initial_quantity and seat_config read back as the quantity and seat history."""
    ids = {"customer_id": w.customer, "contract_id": contract_id}
    for item in sent:
        (sub,) = [s for s in got["subscriptions"] if s["name"] == item["name"]]
        if "initial_quantity" in item:
            history = sdk.v1.contracts.retrieve_subscription_quantity_history(
                **ids, subscription_id=sub["id"]
            ).data.history
            assert history[0].data[0].quantity == item["initial_quantity"]
            rb.seen.add(f"{path}.initial_quantity")
        else:
            seats = item["seat_config"]
            first = sdk.v1.contracts.get_subscription_seats_history(
                **ids, subscription_id=sub["id"]
            ).data[0]
            assert first.assigned_seat_ids == seats["initial_seat_ids"]
            assert first.total_quantity == 3  # two named seats and one unassigned
            rb.seen |= {f"{path}.seat_config.initial_seat_ids", f"{path}.seat_config"}
            rb.seen.add(f"{path}.seat_config.initial_unassigned_seats")
            rb.check(seats["seat_group_key"], sub["seat_config"]["seat_group_key"], f"{path}.seat_config.seat_group_key")  # fmt: skip
        rb.check(
            {k: v for k, v in item.items() if k not in ("initial_quantity", "seat_config")},
            sub,
            path,
        )


def _read_back(sdk, w, contract_id: str, terms: dict, prefix: str = "") -> ReadBack:
    """Each of `terms` (sent under `prefix`: "" for a create, "add_" for an edit) checked
    against the contract as read back."""
    got = read_contract(sdk, w, contract_id)
    rb = ReadBack(_temporary_ids(got))
    for key in (
        "commits",
        "credits",
        "scheduled_charges",
        "recurring_commits",
        "recurring_credits",
    ):
        rb.items(terms[key], got[key], f"{prefix}{key}[]")
    rb.items(terms["overrides"], got["overrides"], f"{prefix}overrides[]", key="starting_at")
    rb.seen.add(f"{prefix}subscriptions")
    _subscriptions(sdk, w, contract_id, got, terms["subscriptions"], f"{prefix}subscriptions[]", rb)
    for key in ("spend_threshold_configuration", "prepaid_balance_threshold_configuration"):
        if key in terms:
            rb.check(terms[key], got[key], f"{prefix}{key}")
    # A temporary id is shown by what names it reading back as the real id.
    rb.seen |= {f"{prefix}{k}[].temporary_id" for k in ("commits", "recurring_commits",
                                                          "recurring_credits", "subscriptions")}  # fmt: skip
    return rb


@pytest.mark.sdk
def test_contract_create_reads_back_as_sent(sdk, w):
    body = {
        "customer_id": w.customer, "rate_card_id": w.card, **WINDOW, "name": "Round trip",
        "custom_fields": {"deal": "D-0"}, "multiplier_override_prioritization": "EXPLICIT",
        "net_payment_terms_days": 45, "uniqueness_key": "round-trip",
        "usage_statement_schedule": {"frequency": "MONTHLY", "day": "FIRST_OF_MONTH"},
        "usage_filter": {"group_key": "region", "group_values": ["eu"],
                         "starting_at": "2026-03-01T00:00:00Z"},
        "salesforce_opportunity_id": "0065e00000AbCdE", "netsuite_sales_order_id": "SO-1",
        "total_contract_value": 1_250_000.5,
        **contract_terms(w),
    }  # fmt: skip
    contract_id = sdk.v1.contracts.create(**body).data.id
    rb = _read_back(sdk, w, contract_id, body)
    got = read_contract(sdk, w, contract_id)
    ids = ("salesforce_opportunity_id", "netsuite_sales_order_id", "total_contract_value")
    for key in ("custom_fields", "multiplier_override_prioritization", "uniqueness_key", *ids):
        rb.check(body[key], got[key], key)
    rb.check(45, got["net_payment_terms_days"], "net_payment_terms_days")
    # FIRST_OF_MONTH: statements run from the 1st, so the anchor is January 1st.
    rb.check("2026-01-01T00:00:00Z", got["usage_statement_schedule"]["billing_anchor_date"],
             "usage_statement_schedule.day")  # fmt: skip
    [segment] = got["usage_filter"]
    rb.check(
        body["usage_filter"]["starting_at"], segment["starting_at"], "usage_filter.starting_at"
    )

    # The prepaid threshold's commit scoped by specifiers rather than by ids and tags.
    other = sdk.v1.contracts.create(
        customer_id=w.customer, rate_card_id=w.card, starting_at=START,
        prepaid_balance_threshold_configuration=prepaid(w, specifiers=spec(w)),
    ).data.id  # fmt: skip
    sent = prepaid(w, specifiers=spec(w))
    key = "prepaid_balance_threshold_configuration"
    rb.check(sent, read_contract(sdk, w, other)[key], key)
    assert_shows(rb.seen, ROUND_TRIP, CONTRACT_CREATE)


@pytest.mark.sdk
def test_edit_adds_every_term_as_create_does(sdk, w):
    contract_id = sdk.v1.contracts.create(
        customer_id=w.customer, rate_card_id=w.card, **WINDOW
    ).data.id
    terms = contract_terms(w)
    edit = {f"add_{key}": value for key, value in terms.items()}
    sdk.v2.contracts.edit(customer_id=w.customer, contract_id=contract_id, **edit)
    rb = _read_back(sdk, w, contract_id, terms, prefix="add_")
    # The prepaid threshold's commit scoped by specifiers, added to another contract.
    other = sdk.v1.contracts.create(customer_id=w.customer, rate_card_id=w.card, **WINDOW).data.id
    sent = prepaid(w, specifiers=spec(w))
    sdk.v2.contracts.edit(
        customer_id=w.customer, contract_id=other, add_prepaid_balance_threshold_configuration=sent
    )
    key = "prepaid_balance_threshold_configuration"
    rb.check(sent, read_contract(sdk, w, other)[key], f"add_{key}")
    assert_shows(rb.seen, EDIT_ADDS, CONTRACT_EDIT)


@pytest.mark.sdk
def test_customer_commit_and_credit_read_back_as_sent(sdk, w):
    contract_id = sdk.v1.contracts.create(
        customer_id=w.customer, rate_card_id=w.card, **WINDOW
    ).data.id
    rb = ReadBack()
    for key, create in (
        ("commits", sdk.v1.customers.commits),
        ("credits", sdk.v1.customers.credits),
    ):
        for item in contract_terms(w)[key]:
            sent = {k: v for k, v in item.items() if k not in ("rollover_fraction", "temporary_id")}
            sent["uniqueness_key"] = f"{key}: {item['name']}"
            sent["salesforce_opportunity_id"] = f"006-{item['name']}"
            if key == "commits":
                sent["invoice_contract_id"] = contract_id
            commit_id = create.create(customer_id=w.customer, **sent).data.id
            listed = getattr(sdk.v1.customers, key).list(customer_id=w.customer)
            (got,) = [c.to_dict(mode="json") for c in listed if c.id == commit_id]
            rb.check({k: v for k, v in sent.items() if k != "invoice_contract_id"}, got, "")
    rb.seen = {p.removeprefix(".") for p in rb.seen}
    assert_shows(rb.seen, TRIP + "test_customer_commit_and_credit_read_back_as_sent",
                 CUSTOMER_COMMIT_CREATE, CUSTOMER_CREDIT_CREATE)  # fmt: skip


@pytest.mark.sdk
def test_a_contract_names_its_package_by_alias(sdk, w):
    package_id = sdk.v1.packages.create(
        name="Starter", rate_card_id=w.card, aliases=[{"name": "starter"}]
    ).data.id
    contract_id = sdk.v1.contracts.create(
        customer_id=w.customer, starting_at=START, package_alias="starter"
    ).data.id
    got = read_contract(sdk, w, contract_id)
    assert (got["package_id"], got["rate_card_id"]) == (package_id, w.card)
    assert Contract.objects.get(public_id=contract_id).package.name == "Starter"


@pytest.mark.django_db
def test_a_tiered_overwrite_bills_its_tiers():
    world = priced_world(price=5)  # Calls at 5
    contract = contract_create(customer=world.customer, data={
        "starting_at": "2026-01-01T00:00:00Z", "rate_card_id": str(world.rate_card.public_id),
        "overrides": [{"type": "OVERWRITE", "starting_at": "2026-01-01T00:00:00Z",
                       "product_id": str(world.product.public_id),
                       "overwrite_rate": {"rate_type": "TIERED",
                                          "tiers": [{"size": 10, "price": 2}, {"price": 1}]}}],
    })  # fmt: skip
    send_calls(15, datetime(2026, 1, 5, tzinfo=UTC))
    invoice = invoice_compute_usage(contract=contract, period=Period(JAN, FEB))
    assert invoice.total == Decimal(25)  # 10 calls x 2 + 5 calls x 1, not 15 x 5
