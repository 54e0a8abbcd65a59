"""Renewals, supersedes and account hierarchies through the official metronome-sdk."""

from datetime import UTC, datetime
from decimal import Decimal

import metronome
import pytest

from billing_console.lib.periods import Period
from contracts.models import Contract
from customers.services import customer_create
from invoicing.services import invoice_compute_usage, invoice_finalize
from invoicing.tests.factories import FEB, JAN, MAR, priced_world

pytestmark = pytest.mark.sdk


@pytest.fixture
def world(db):
    return priced_world(price=5)


def _create(sdk, world, customer_id=None, **extra) -> str:
    body = {
        "customer_id": customer_id or str(world.customer.public_id),
        "starting_at": "2026-01-01T00:00:00Z",
        "rate_card_id": str(world.rate_card.public_id),
        **extra,
    }
    return sdk.v1.contracts.create(**body).data.id


def _get(sdk, world, contract_id, customer_id=None):
    customer_id = customer_id or str(world.customer.public_id)
    return sdk.v2.contracts.retrieve(customer_id=customer_id, contract_id=contract_id).data


def test_renewal_ends_the_old_contract_where_the_new_one_starts(sdk, world):
    old = _create(sdk, world, ending_before="2027-01-01T00:00:00Z")
    new = _create(
        sdk, world, starting_at="2026-07-01T00:00:00Z",
        transition={"from_contract_id": old, "type": "RENEWAL"},
    )  # fmt: skip
    old_read, new_read = _get(sdk, world, old), _get(sdk, world, new)
    assert old_read.ending_before == datetime(2026, 7, 1, tzinfo=UTC)
    expected = [{"from_contract_id": old, "to_contract_id": new, "type": "RENEWAL"}]
    assert [t.to_dict() for t in old_read.transitions] == expected
    assert [t.to_dict() for t in new_read.transitions] == expected


def test_transition_is_refused_when_it_would_cut_a_finalized_period(sdk, world):
    old = Contract.objects.get(pk=world.contract.pk)
    invoice_finalize(invoice=invoice_compute_usage(contract=old, period=Period(JAN, FEB)))
    with pytest.raises(metronome.BadRequestError) as err:
        _create(
            sdk, world, starting_at="2026-01-15T00:00:00Z",
            transition={"from_contract_id": str(old.public_id), "type": "SUPERSEDE"},
        )  # fmt: skip
    assert err.value.body["message"].startswith("transition.from_contract_id:")
    assert Contract.objects.count() == 1
    assert Contract.objects.get(pk=old.pk).ending_before == world.contract.ending_before


def test_a_contract_is_transitioned_from_once(sdk, world):
    old = str(world.contract.public_id)
    _create(sdk, world, starting_at="2026-03-01T00:00:00Z",
            transition={"from_contract_id": old, "type": "RENEWAL"})  # fmt: skip
    with pytest.raises(metronome.BadRequestError) as err:
        _create(sdk, world, starting_at="2026-04-01T00:00:00Z",
                transition={"from_contract_id": old, "type": "RENEWAL"})  # fmt: skip
    assert "already been transitioned" in err.value.body["message"]


def test_renewal_with_trueup_remove_drops_the_old_contracts_later_true_up(sdk, world):
    old = _create(sdk, world, ending_before="2026-03-01T00:00:00Z", commits=[{
        "type": "POSTPAID", "product_id": str(world.product.public_id), "priority": 1,
        "access_schedule": {"schedule_items": [{
            "amount": 10000, "starting_at": "2026-01-01T00:00:00Z",
            "ending_before": "2026-03-01T00:00:00Z"}]},
        "invoice_schedule": {"schedule_items": [
            {"amount": 10000, "timestamp": "2026-03-01T00:00:00Z"}]},
    }])  # fmt: skip
    _create(
        sdk, world, starting_at="2026-02-01T00:00:00Z",
        transition={"from_contract_id": old, "type": "RENEWAL",
                    "future_invoice_behavior": {"trueup": "REMOVE"}},
    )  # fmt: skip
    old_contract = Contract.objects.get(public_id=old)
    invoice = invoice_compute_usage(contract=old_contract, period=Period(JAN, FEB))
    # No true-up; the unused usage product keeps its $0 line (it has no pricing group key).
    assert [(line.type, line.total) for line in invoice.lines.all()] == [("USAGE", Decimal(0))]
    invoice = invoice_compute_usage(contract=old_contract, period=Period(FEB, MAR))
    assert invoice.total == Decimal(0)


def test_child_contract_names_its_parent_and_the_parent_lists_it(sdk, world):
    child_customer = customer_create(name="Acme EU", ingest_aliases=["acme-eu"])
    child_id = str(child_customer.public_id)
    parent_id = str(world.contract.public_id)
    child = _create(sdk, world, customer_id=child_id, hierarchy_configuration={
        "parent": {"customer_id": str(world.customer.public_id), "contract_id": parent_id},
        "payer": "SELF", "usage_statement_behavior": "SEPARATE",
    })  # fmt: skip
    got = _get(sdk, world, child, customer_id=child_id).hierarchy_configuration
    assert got.to_dict() == {
        "parent": {"customer_id": str(world.customer.public_id), "contract_id": parent_id},
        "payer": "SELF", "usage_statement_behavior": "SEPARATE",
    }  # fmt: skip
    parent = _get(sdk, world, parent_id).hierarchy_configuration
    assert parent.to_dict() == {"children": [{"contract_id": child, "customer_id": child_id}]}


@pytest.mark.parametrize(
    "config, message",
    [
        ({"parent": {"customer_id": "SELF", "contract_id": "PARENT"}}, "hierarchy_configuration.parent.contract_id:"),
        ({"payer": "SELF"}, "hierarchy_configuration.parent:"),
        ({"parent": {"customer_id": "SELF", "contract_id": "OWN"}, "payer": "BOTH"}, "hierarchy_configuration.payer:"),
    ],
)  # fmt: skip
def test_hierarchy_input_is_validated_by_path(sdk, world, config, message):
    parent = {"customer_id": str(world.customer.public_id), "contract_id": "not-an-id"}
    if "parent" in config:
        parent["contract_id"] = {"PARENT": "not-an-id", "OWN": str(world.contract.public_id)}[
            config["parent"]["contract_id"]
        ]
        config = {**config, "parent": parent}
    child_customer = customer_create(name="Child", ingest_aliases=["child"])
    with pytest.raises(metronome.BadRequestError) as err:
        _create(
            sdk, world, customer_id=str(child_customer.public_id), hierarchy_configuration=config
        )
    assert err.value.body["message"].startswith(message)
    assert Contract.objects.count() == 1


def test_a_parent_must_belong_to_another_customer(sdk, world):
    own = {
        "customer_id": str(world.customer.public_id),
        "contract_id": str(world.contract.public_id),
    }
    with pytest.raises(metronome.BadRequestError) as err:
        _create(sdk, world, hierarchy_configuration={"parent": own})
    assert "another customer" in err.value.body["message"]


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"usage_statement_behavior": "CONSOLIDATE"}, "hierarchy_configuration.usage_statement_behavior"),
        ({"payer": "SELF", "usage_statement_behavior": "CONSOLIDATE"}, "hierarchy_configuration.usage_statement_behavior"),
        ({"parent_behavior": {"invoice_consolidation_type": "CONCATENATE"}}, "hierarchy_configuration.parent_behavior"),
    ],
)  # fmt: skip
def test_a_child_consolidates_only_onto_a_paying_parent_and_is_not_a_parent(
    sdk, world, config, field
):
    # A statement on the parent's consolidated invoice is paid by the parent; hierarchies are
    # one level, so a child has no parent_behavior.
    child_customer = customer_create(name="Acme EU", ingest_aliases=["acme-eu"])
    parent = {
        "customer_id": str(world.customer.public_id),
        "contract_id": str(world.contract.public_id),
    }
    with pytest.raises(metronome.BadRequestError) as err:
        _create(sdk, world, customer_id=str(child_customer.public_id),
                hierarchy_configuration={"parent": parent, **config})  # fmt: skip
    assert err.value.body["message"].startswith(f"{field}: ")
    assert Contract.objects.count() == 1


def _pool(world, name: str, **hierarchy) -> dict:
    return {
        "name": name, "product_id": str(world.product.public_id), "priority": 1,
        "access_schedule": {"schedule_items": [{"amount": 1000, "starting_at": "2026-01-01T00:00:00Z",
                                                "ending_before": "2027-01-01T00:00:00Z"}]},
        **hierarchy,
    }  # fmt: skip


def _access(kind: str, *ids: str) -> dict:
    access = {"type": kind, **({"contract_ids": list(ids)} if ids else {})}
    return {"hierarchy_configuration": {"child_access": access}}


def test_child_access_reads_back_from_create_and_edit(sdk, world):
    customer_id = str(world.customer.public_id)
    parent = _create(
        sdk, world, name="Group",
        commits=[{"type": "PREPAID", **_pool(world, "Shared pool", **_access("ALL"))}],
        credits=[_pool(world, "Own credit", **_access("NONE"))],
    )  # fmt: skip
    child_customer = str(customer_create(name="Acme EU", ingest_aliases=["acme-eu"]).public_id)
    child = _create(sdk, world, customer_id=child_customer, hierarchy_configuration={
        "parent": {"customer_id": customer_id, "contract_id": parent}})  # fmt: skip
    read = _get(sdk, world, parent)
    commit, credit = read.commits[0], read.credits[0]
    assert commit.hierarchy_configuration.to_dict() == {"child_access": {"type": "ALL"}}
    assert credit.hierarchy_configuration.to_dict() == {"child_access": {"type": "NONE"}}
    sdk.v2.contracts.edit(
        customer_id=customer_id, contract_id=parent,
        add_commits=[{"type": "PREPAID", **_pool(world, "EU pool", **_access("CONTRACT_IDS", child))}],
        add_credits=[_pool(world, "EU credit", **_access("CONTRACT_IDS", child))],
        update_commits=[{"commit_id": commit.id, **_access("CONTRACT_IDS", child)}],
        update_credits=[{"credit_id": credit.id, **_access("ALL")}],
    )  # fmt: skip
    read = _get(sdk, world, parent)
    shown = {c.name: c.hierarchy_configuration.to_dict() for c in [*read.commits, *read.credits]}
    only_eu = {"child_access": {"type": "CONTRACT_IDS", "contract_ids": [child]}}
    assert shown == {
        "Shared pool": only_eu, "EU pool": only_eu, "EU credit": only_eu,
        "Own credit": {"child_access": {"type": "ALL"}},
    }  # fmt: skip
    sdk.v2.contracts.edit_commit(commit_id=commit.id, customer_id=customer_id, **_access("NONE"))
    read = _get(sdk, world, parent)
    assert read.commits[0].hierarchy_configuration.to_dict() == {"child_access": {"type": "NONE"}}


@pytest.mark.parametrize(
    ("access", "message"),
    [
        ({"type": "CONTRACT_IDS", "contract_ids": ["OTHER"]}, "is not a child contract"),
        ({"type": "CONTRACT_IDS", "contract_ids": []}, "must name at least one"),
        ({"type": "ALL", "contract_ids": ["OTHER"]}, "only given with type CONTRACT_IDS"),
        ({"type": "SOME"}, "must be one of ALL, NONE, CONTRACT_IDS"),
    ],
)  # fmt: skip
def test_child_access_names_only_children_of_the_contract(sdk, world, access, message):
    # world.contract has no child: any other contract named is refused, by its path.
    other = _create(sdk, world)
    ids = [other if i == "OTHER" else i for i in access.get("contract_ids", [])]
    access = {**access, **({"contract_ids": ids} if "contract_ids" in access else {})}
    pool = {
        "type": "PREPAID",
        **_pool(world, "Pool"),
        "hierarchy_configuration": {"child_access": access},
    }
    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v2.contracts.edit(
            customer_id=str(world.customer.public_id), contract_id=str(world.contract.public_id),
            add_commits=[pool],
        )  # fmt: skip
    body = err.value.body["message"]
    assert (
        body.startswith("add_commits[0].hierarchy_configuration.child_access.") and message in body
    )
