"""Pricing terms on the wire: each field is honoured as Metronome documents it or refused with a
400 naming it (and nothing stored), and /v1/contracts/create, /v2/contracts/edit and the
customer-level commit and credit creates agree on which."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from contracts.models import Commit, Contract, ContractEdit, Override, RecurringCommit
from contracts.terms.customer_commits import customer_commit_create
from contracts.terms.issuance import contract_recurring_issue
from invoicing.tests.factories import priced_world
from pricing.models import CreditType, Rate
from pricing.services import credit_type_create, credit_type_get_default, product_create
from usage.services import billable_metric_create

pytestmark = pytest.mark.django_db

JAN = datetime(2026, 1, 1, tzinfo=UTC)
YEAR = {"starting_at": "2026-01-01T00:00:00Z", "ending_before": "2027-01-01T00:00:00Z"}


@pytest.fixture
def w(db) -> SimpleNamespace:
    """A USD contract (the priced world: Calls at 5 cents), a FIXED product for commits, a custom
    pricing unit "Tokens", and a customer-level commit that overrides can name by id."""
    world = priced_world()
    fixed = product_create(name="Prepaid", type="FIXED")
    shared = customer_commit_create(customer=world.customer, data={
        "type": "PREPAID", "product_id": str(fixed.public_id), "priority": 9,
        "access_schedule": {"schedule_items": [{"amount": 10, **YEAR}]},
    })  # fmt: skip
    return SimpleNamespace(
        customer_id=str(world.customer.public_id),
        contract_id=str(world.contract.public_id),
        card=str(world.rate_card.public_id),
        calls=str(world.product.public_id),
        fixed=str(fixed.public_id),
        shared=str(shared.public_id),
        tokens=str(credit_type_create(name="Tokens").public_id),
        usd=str(credit_type_get_default().public_id),
        eur=str(_eur().public_id),
    )


def _eur() -> CreditType:
    # Shipped by a data migration, which a transactional (SDK) test's flush removes.
    eur, _ = CreditType.objects.get_or_create(
        currency_code="EUR", defaults={"name": "EUR (cents)", "is_fiat": True}
    )
    return eur


def _commit(w: SimpleNamespace, key: str, **access: Any) -> dict[str, Any]:
    item = {
        "product_id": w.fixed, "priority": 1, "name": "C",
        "access_schedule": {"schedule_items": [{"amount": 1000, **YEAR}], **access},
    }  # fmt: skip
    return {"type": "PREPAID", **item} if key == "commits" else item


def _recurring(w: SimpleNamespace, **access: Any) -> dict[str, Any]:
    return {
        "product_id": w.fixed, "priority": 1, "name": "R", "commit_duration": {"value": 1},
        "starting_at": YEAR["starting_at"], "recurrence_frequency": "MONTHLY",
        "access_amount": {"unit_price": 100, "quantity": 1, **access},
    }  # fmt: skip


def _override(**terms: Any) -> dict[str, Any]:
    return {"starting_at": YEAR["starting_at"], "type": "MULTIPLIER", "multiplier": 0.5, **terms}


def _send(api, w: SimpleNamespace, where: str, key: str, item: dict) -> tuple[Any, str]:
    """POST one `key` item through /v1/contracts/create, /v2/contracts/edit (as add_<key>) or
    customerCommits / customerCredits create; returns the response and the item's path."""
    if where == "create":
        body = {"customer_id": w.customer_id, "rate_card_id": w.card, **YEAR, key: [item]}
        return api.post("/v1/contracts/create", body, format="json"), f"{key}[0]."
    if where == "edit":
        body = {"customer_id": w.customer_id, "contract_id": w.contract_id, f"add_{key}": [item]}
        return api.post("/v2/contracts/edit", body, format="json"), f"add_{key}[0]."
    path = {"commits": "customerCommits", "credits": "customerCredits"}[key]
    body = {"customer_id": w.customer_id, **item}
    return api.post(f"/v1/contracts/{path}/create", body, format="json"), ""


def _stored() -> tuple[int, ...]:
    models = (Contract, ContractEdit, Commit, Override, RecurringCommit, Rate)
    return tuple(model.objects.count() for model in models)


def _assert_refused(response, field: str, before: tuple[int, ...]) -> None:
    assert response.status_code == 400, response.content
    assert response.json()["message"].startswith(f"{field}: "), response.json()
    assert _stored() == before


# -- 1. refusals: a 400 naming the field, nothing stored, on every path that takes the field ------

UNKNOWN = "00000000-0000-4000-8000-000000000000"
ACCESS_REFUSALS = {
    "quantity access": ("access_type", lambda w: {"access_type": "QUANTITY"}),
    "another fiat type": ("credit_type_id", lambda w: {"credit_type_id": w.eur}),
    "an unknown credit type": ("credit_type_id", lambda w: {"credit_type_id": UNKNOWN}),
}


@pytest.mark.parametrize("case", ACCESS_REFUSALS)
@pytest.mark.parametrize("key", ["commits", "credits"])
@pytest.mark.parametrize("where", ["create", "edit", "customer"])
def test_access_schedule_refusals(api, w, where, key, case):
    field, access = ACCESS_REFUSALS[case]
    before = _stored()
    response, path = _send(api, w, where, key, _commit(w, key, **access(w)))
    _assert_refused(response, f"{path}access_schedule.{field}", before)


@pytest.mark.parametrize("case", ACCESS_REFUSALS)
@pytest.mark.parametrize("key", ["recurring_commits", "recurring_credits"])
@pytest.mark.parametrize("where", ["create", "edit"])
def test_recurring_access_amount_refusals(api, w, where, key, case):
    field, access = ACCESS_REFUSALS[case]
    before = _stored()
    response, path = _send(api, w, where, key, _recurring(w, **access(w)))
    _assert_refused(response, f"{path}access_amount.{field}", before)


def _on_calls(w, **spec: Any) -> list[dict[str, Any]]:
    return [{"product_id": w.calls, **spec}]


OVERRIDE_REFUSALS = {
    "target without is_commit_specific": (
        "target", lambda w: _override(target="LIST_RATE", override_specifiers=_on_calls(w))),
    "commit_ids, not commit-specific": (
        "override_specifiers[0].commit_ids",
        lambda w: _override(override_specifiers=_on_calls(w, commit_ids=[w.shared]))),
    "recurring_commit_ids, not commit-specific": (
        "override_specifiers[0].recurring_commit_ids",
        lambda w: _override(override_specifiers=_on_calls(w, recurring_commit_ids=[UNKNOWN]))),
    "any_commit_or_credit_ids, not commit-specific": (
        "override_specifiers[0].any_commit_or_credit_ids",
        lambda w: _override(override_specifiers=_on_calls(w, any_commit_or_credit_ids=[w.shared]))),
    "billing_frequency": (
        "override_specifiers[0].billing_frequency",
        lambda w: _override(override_specifiers=_on_calls(w, billing_frequency="MONTHLY"))),
    "overwrite_rate.credit_type_id": (
        "overwrite_rate.credit_type_id",
        lambda w: _override(type="OVERWRITE", override_specifiers=_on_calls(w), overwrite_rate={
            "rate_type": "FLAT", "price": 1, "credit_type_id": w.usd})),
    # Commit-specific, but not as Metronome documents the ids: alone, mixed, or naming nothing.
    "commit ids without a product, tags or group values": (
        "override_specifiers[0].commit_ids",
        lambda w: _override(is_commit_specific=True,
                            override_specifiers=[{"commit_ids": [w.shared]}])),
    "any_commit_or_credit_ids with commit_ids": (
        "override_specifiers[0].any_commit_or_credit_ids",
        lambda w: _override(is_commit_specific=True, override_specifiers=_on_calls(
            w, commit_ids=[w.shared], any_commit_or_credit_ids=[w.shared]))),
    "commit_ids naming no commit": (
        "override_specifiers[0].commit_ids",
        lambda w: _override(is_commit_specific=True,
                            override_specifiers=_on_calls(w, commit_ids=[UNKNOWN]))),
}  # fmt: skip


@pytest.mark.parametrize("case", OVERRIDE_REFUSALS)
@pytest.mark.parametrize("where", ["create", "edit"])
def test_override_refusals(api, w, where, case):
    field, override = OVERRIDE_REFUSALS[case]
    before = _stored()
    response, path = _send(api, w, where, "overrides", override(w))
    _assert_refused(response, f"{path}{field}", before)


@pytest.mark.parametrize(
    ("commit_rate", "field"),
    [
        ({"rate_type": "PERCENTAGE", "price": 10}, "commit_rate.rate_type"),
        ({"rate_type": "FLAT"}, "commit_rate.price"),
        ({"rate_type": "TIERED"}, "commit_rate.tiers"),
    ],
)
@pytest.mark.parametrize("endpoint", ["addRate", "addRates"])
def test_commit_rate_refusals(api, w, endpoint, commit_rate, field):
    metric = billable_metric_create(
        name="tokens", event_type_filter={"in_values": ["token"]}, aggregation_type="COUNT"
    )
    product = str(product_create(name="Tokens API", type="USAGE", billable_metric=metric).public_id)
    rate = {"product_id": product, "entitled": True, "rate_type": "FLAT", "price": 2,
            "starting_at": YEAR["starting_at"]}  # fmt: skip
    url = f"/v1/contract-pricing/rate-cards/{endpoint}"

    def post(extra: dict) -> Any:
        body = {"rate_card_id": w.card, **rate, **extra}
        if endpoint == "addRates":
            body = {"rate_card_id": w.card, "rates": [{**rate, **extra}]}
        return api.post(url, body, format="json")

    before = _stored()
    prefix = "rates[0]." if endpoint == "addRates" else ""
    _assert_refused(post({"commit_rate": commit_rate}), f"{prefix}{field}", before)
    # The same rate with a FLAT commit rate that has its price is taken.
    assert post({"commit_rate": {"rate_type": "FLAT", "price": 1}}).status_code == 200
    assert Rate.objects.get(product__public_id=product).commit_rate["price"] == "1"


# -- 2. accepted forms are stored and read back, on create, edit and customer-level creates -------


def _commit_on(sdk, w, where: str, key: str, response) -> tuple[str, Any]:
    """The id of the item just sent, and the contract that holds it (None: customer-level)."""
    if where == "customer":
        return response.json()["data"]["id"], None
    contract_id = response.json()["data"]["id"] if where == "create" else w.contract_id
    contract = sdk.v2.contracts.retrieve(contract_id=contract_id, customer_id=w.customer_id).data
    (item,) = [c for c in (contract.commits if key == "commits" else contract.credits) or []
               if c.name == "C"]  # fmt: skip
    return item.id, item


@pytest.mark.sdk
@pytest.mark.parametrize("unit", ["tokens", "usd"])
@pytest.mark.parametrize("key", ["commits", "credits"])
@pytest.mark.parametrize("where", ["create", "edit", "customer"])
def test_access_schedule_credit_type_reads_back(api, sdk, w, where, key, unit):
    name = {"tokens": "Tokens", "usd": "USD (cents)"}[unit]
    response, _ = _send(api, w, where, key, _commit(w, key, credit_type_id=getattr(w, unit)))
    assert response.status_code == 200, response.content
    commit_id, on_contract = _commit_on(sdk, w, where, key, response)
    if on_contract is not None:
        credit_type = on_contract.access_schedule.credit_type
        assert (credit_type.id, credit_type.name) == (getattr(w, unit), name)
    balances = sdk.v1.contracts.list_balances(
        customer_id=w.customer_id, include_contract_balances=True
    )
    (listed,) = [b for b in balances if b.id == commit_id]
    credit_type = listed.access_schedule.credit_type
    assert (credit_type.id, credit_type.name) == (getattr(w, unit), name)
    stored = Commit.objects.get(public_id=commit_id).access_credit_type
    assert (stored.name if stored else "fiat") == ("Tokens" if unit == "tokens" else "fiat")


@pytest.mark.sdk
@pytest.mark.parametrize("key", ["recurring_commits", "recurring_credits"])
@pytest.mark.parametrize("where", ["create", "edit"])
def test_recurring_custom_unit_is_the_issued_commits_unit(api, sdk, w, where, key):
    response, _ = _send(api, w, where, key, _recurring(w, credit_type_id=w.tokens))
    assert response.status_code == 200, response.content
    contract_id = response.json()["data"]["id"] if where == "create" else w.contract_id
    contract_recurring_issue(
        contract=Contract.objects.get(public_id=contract_id), now=JAN + timedelta(days=1)
    )
    data = sdk.v2.contracts.retrieve(contract_id=contract_id, customer_id=w.customer_id).data
    (recurring,) = data.recurring_commits if key == "recurring_commits" else data.recurring_credits
    assert recurring.access_amount.credit_type_id == w.tokens
    # Every period begun is issued with the create or edit; each commit is in the unit.
    issued = [c for c in (data.commits or []) + (data.credits or []) if c.name == "R"]
    assert issued and all(
        c.access_schedule.credit_type.to_dict() == {"id": w.tokens, "name": "Tokens"}
        and c.access_schedule.schedule_items[0].amount == 100
        for c in issued
    )


@pytest.mark.sdk
@pytest.mark.parametrize("where", ["create", "edit"])
def test_commit_specific_override_reads_back_as_sent(api, sdk, w, where):
    # Commits named by id (a customer-level commit's) and by the temporary_id of a commit and
    # of a recurring commit sent in the same payload: temporary ids read back as the real ids.
    commit = {**_commit(w, "commits"), "temporary_id": "c1", "rate_type": "COMMIT_RATE"}
    recurring = {**_recurring(w), "temporary_id": "r1"}
    override = _override(is_commit_specific=True, target="COMMIT_RATE", override_specifiers=[
        {"product_id": w.calls, "commit_ids": [w.shared]},
        {"product_id": w.calls, "commit_ids": ["c1"]},
        {"product_id": w.calls, "recurring_commit_ids": ["r1"]},
        {"product_tags": ["usage"], "any_commit_or_credit_ids": [w.shared, "r1"]},
    ])  # fmt: skip
    if where == "create":
        body = {
            "customer_id": w.customer_id,
            "rate_card_id": w.card,
            **YEAR,
            "commits": [commit],
            "recurring_commits": [recurring],
            "overrides": [override],
        }
        response = api.post("/v1/contracts/create", body, format="json")
    else:
        body = {
            "customer_id": w.customer_id,
            "contract_id": w.contract_id,
            "add_commits": [commit],
            "add_recurring_commits": [recurring],
            "add_overrides": [override],
        }
        response = api.post("/v2/contracts/edit", body, format="json")
    assert response.status_code == 200, response.content
    contract_id = response.json()["data"]["id"] if where == "create" else w.contract_id
    data = sdk.v2.contracts.retrieve(contract_id=contract_id, customer_id=w.customer_id).data
    (c1,) = [c for c in data.commits if c.name == "C"]
    (r1,) = data.recurring_commits
    assert c1.rate_type == "COMMIT_RATE"
    (read,) = [o for o in data.overrides if o.is_commit_specific]
    assert (read.is_commit_specific, read.target, read.multiplier) == (True, "COMMIT_RATE", 0.5)
    assert [s.to_dict() for s in read.override_specifiers] == [
        {"product_id": w.calls, "commit_ids": [w.shared]},
        {"product_id": w.calls, "commit_ids": [c1.id]},
        {"product_id": w.calls, "recurring_commit_ids": [r1.id]},
        {"product_tags": ["usage"], "any_commit_or_credit_ids": [w.shared, r1.id]},
    ]


# -- 3. create and edit agree on what they refuse and what they take, for every term above --------


@pytest.mark.parametrize("key", ["commits", "credits", "recurring_commits", "recurring_credits"])
def test_a_custom_unit_is_taken_alike_on_create_edit_and_customer_level(api, w, key):
    recurring = key.startswith("recurring")
    access = {"credit_type_id": w.tokens, "access_type": "SPEND"}
    item = _recurring(w, **access) if recurring else _commit(w, key, **access)
    places = ["create", "edit"] if recurring else ["create", "edit", "customer"]
    statuses = [_send(api, w, where, key, item)[0].status_code for where in places]
    assert statuses == [200] * len(places)
    if recurring:
        amounts = [r.access_amount for r in RecurringCommit.objects.all()]
        assert amounts == [{"unit_price": 100, "quantity": 1, **access}] * 2
    else:
        units = Commit.objects.filter(name="C").values_list("access_credit_type__name", flat=True)
        assert list(units) == ["Tokens"] * 3
