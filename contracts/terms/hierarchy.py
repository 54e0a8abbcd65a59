"""Contracts in relation to others: transitions (renewal, supersede) and account hierarchies
(a child contract under a parent customer's contract)."""

from typing import Any

from billing_console.wire import Reader
from contracts.end_date import contract_end_date_recorded
from contracts.models import Contract, ContractTransition
from contracts.terms.child_access import fiat_credit_type_id

TRANSITION_TYPES = ("RENEWAL", "SUPERSEDE")
ONE_LEVEL = "a child contract cannot be a parent too: hierarchies are one level."
CONSOLIDATE_NEEDS_PARENT_PAYER = (
    'CONSOLIDATE needs payer "PARENT": the parent pays the invoice its statements are put on.'
)


def _contract_ref(reader: Reader, key: str, **filters: Any) -> Contract:
    import uuid

    value = reader.str(key, required=True)
    try:
        public_id = uuid.UUID(value)
    except ValueError:
        raise reader.fail(key, f"'{value}' is not a valid id.") from None
    found = Contract.objects.filter(public_id=public_id, **filters).select_related("customer")
    contract = found.first()
    if contract is None:
        raise reader.fail(key, f"no contract {value}.")
    return contract


def transition_from_wire(reader: Reader, contract: Contract) -> ContractTransition | None:
    """`transition` of a create: the earlier contract of the same customer ends where this one
    starts (it keeps an earlier end), never cutting into a finalized invoice's period; its terms
    after the hand-over are trimmed by the end-date rule and the move is in its edit history."""
    child = reader.child("transition")
    if child is None:
        return None
    kind = child.choice("type", TRANSITION_TYPES, required=True)
    trueup = "AS_IS"
    behaviour = child.child("future_invoice_behavior")
    if behaviour is not None:
        trueup = behaviour.choice("trueup", ("REMOVE", "AS_IS"), default="AS_IS")
    old = _contract_ref(child, "from_contract_id", customer=contract.customer)
    old = Contract.objects.select_for_update().get(pk=old.pk)
    if old.archived_at is not None:
        raise child.fail("from_contract_id", "the contract is archived.")
    if ContractTransition.objects.filter(from_contract=old).exists():
        raise child.fail("from_contract_id", "the contract has already been transitioned from.")
    if old.starting_at >= contract.starting_at:
        raise child.fail("from_contract_id", "must start before the new contract's starting_at.")
    # First, so the old contract's drafts recomputed by the move know its future_trueup.
    transition = ContractTransition.objects.create(
        from_contract=old, to_contract=contract, type=kind, future_trueup=trueup
    )
    if old.ending_before is None or old.ending_before > contract.starting_at:
        # The same move as updateEndDate's (contracts/end_date.py): what the old contract has
        # at or after the hand-over is trimmed and recorded in its edit history.
        contract_end_date_recorded(
            contract=old, end=contract.starting_at, allow=False,
            field=child._name("from_contract_id"), flag="a later starting_at",
            request={"transition": {"type": kind, "to_contract_id": str(contract.public_id)}},
        )  # fmt: skip
    return transition


def hierarchy_from_wire(reader: Reader) -> dict[str, Any]:
    """The Contract fields of a child's `hierarchy_configuration` (parent, payer, statement
    behaviour) or a parent's (`parent_behavior`)."""
    child = reader.child("hierarchy_configuration")
    if child is None:
        return {}
    fields: dict[str, Any] = {}
    behaviour = child.child("parent_behavior")
    if behaviour is not None:
        fields["invoice_consolidation_type"] = behaviour.choice(
            "invoice_consolidation_type", ("CONCATENATE", "NONE"), default="CONCATENATE"
        )
    parent = child.child("parent")
    if parent is None:
        if child.has("payer") or child.has("usage_statement_behavior"):
            raise child.fail("parent", "is required with payer or usage_statement_behavior.")
        return fields
    if behaviour is not None:
        raise child.fail("parent_behavior", ONE_LEVEL)
    customer_id = parent.str("customer_id", required=True)
    fields["parent"] = _contract_ref(parent, "contract_id", archived_at__isnull=True)
    if str(fields["parent"].customer.public_id) != customer_id:
        raise parent.fail("contract_id", f"no contract of customer {customer_id} with this id.")
    fields["hierarchy_payer"] = child.choice("payer", ("SELF", "PARENT"), default="SELF")
    fields["hierarchy_usage_statement_behavior"] = child.choice(
        "usage_statement_behavior", ("CONSOLIDATE", "SEPARATE"), default="SEPARATE"
    )
    if fields["hierarchy_usage_statement_behavior"] == "CONSOLIDATE":
        if fields["hierarchy_payer"] != "PARENT":
            raise child.fail("usage_statement_behavior", CONSOLIDATE_NEEDS_PARENT_PAYER)
    return fields


def hierarchy_check(reader: Reader, contract: Contract) -> None:
    """A child belongs to another customer than its parent, and a parent is not itself a child."""
    if contract.parent_id is None:
        return
    parent = contract.parent
    path = "hierarchy_configuration.parent.contract_id"
    if parent.customer_id == contract.customer_id:
        raise reader.fail(path, "the parent contract must belong to another customer.")
    if parent.parent_id is not None:
        raise reader.fail(path, "the parent contract is itself a child; hierarchies are one level.")
    consolidated = contract.hierarchy_usage_statement_behavior == "CONSOLIDATE"
    if consolidated and fiat_credit_type_id(parent) != fiat_credit_type_id(contract):
        raise reader.fail(
            "hierarchy_configuration.usage_statement_behavior",
            "a consolidated child's rate card must be in the parent's fiat credit type.",
        )


def payer_contract(contract: Contract) -> Contract:
    """The contract whose customer pays `contract`'s invoices: its parent's when it is a
    child with payer PARENT, else its own."""
    if contract.parent_id is not None and contract.hierarchy_payer == "PARENT":
        return contract.parent  # type: ignore[return-value]
    return contract


def consolidates_onto_parent(contract: Contract) -> bool:
    """Whether `contract`'s usage statements are concatenated onto its parent's consolidated
    invoices (CONSOLIDATE under a live parent whose invoice_consolidation_type is CONCATENATE;
    once the parent is archived, they are billed on their own)."""
    return (
        contract.parent_id is not None
        and contract.hierarchy_usage_statement_behavior == "CONSOLIDATE"
        and contract.parent.invoice_consolidation_type == "CONCATENATE"  # type: ignore[union-attr]
        and contract.parent.archived_at is None  # type: ignore[union-attr]
    )


def transitions_to_wire(contract: Contract) -> list[dict[str, str]]:
    rows = ContractTransition.objects.filter(
        from_contract=contract
    ) | ContractTransition.objects.filter(to_contract=contract)
    return [
        {
            "from_contract_id": str(t.from_contract.public_id),
            "to_contract_id": str(t.to_contract.public_id),
            "type": t.type,
        }
        for t in rows.select_related("from_contract", "to_contract").order_by("created_at", "pk")
    ]


def hierarchy_to_wire(contract: Contract) -> dict[str, Any] | None:
    if contract.parent_id is not None:
        return {
            "parent": {
                "contract_id": str(contract.parent.public_id),
                "customer_id": str(contract.parent.customer.public_id),
            },
            "payer": contract.hierarchy_payer or "SELF",
            "usage_statement_behavior": contract.hierarchy_usage_statement_behavior or "SEPARATE",
        }
    children = list(contract.children.filter(archived_at__isnull=True).select_related("customer"))
    if not children and not contract.invoice_consolidation_type:
        return None
    config: dict[str, Any] = {
        "children": [
            {"contract_id": str(c.public_id), "customer_id": str(c.customer.public_id)}
            for c in children
        ]
    }
    if contract.invoice_consolidation_type:
        config["parent_behavior"] = {
            "invoice_consolidation_type": contract.invoice_consolidation_type
        }
    return config
