"""Contracts in relation to others: transitions (renewal, supersede) and account hierarchies
(a child contract under a parent customer's contract)."""

from typing import Any

from billing_console.wire import Reader
from contracts.lifecycle import end_date_check
from contracts.models import Contract, ContractTransition

TRANSITION_TYPES = ("RENEWAL", "SUPERSEDE")


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
    starts (it keeps an earlier end), never cutting into a finalized invoice's period."""
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
    if old.ending_before is None or old.ending_before > contract.starting_at:
        end_date_check(
            old,
            contract.starting_at,
            allow=False,
            field=child._name("from_contract_id"),
            flag="a later starting_at",
        )
        old.ending_before = contract.starting_at
        old.save(update_fields=["ending_before", "updated_at"])
    return ContractTransition.objects.create(
        from_contract=old, to_contract=contract, type=kind, future_trueup=trueup
    )


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
    customer_id = parent.str("customer_id", required=True)
    fields["parent"] = _contract_ref(parent, "contract_id", archived_at__isnull=True)
    if str(fields["parent"].customer.public_id) != customer_id:
        raise parent.fail("contract_id", f"no contract of customer {customer_id} with this id.")
    fields["hierarchy_payer"] = child.choice("payer", ("SELF", "PARENT"), default="SELF")
    fields["hierarchy_usage_statement_behavior"] = child.choice(
        "usage_statement_behavior", ("CONSOLIDATE", "SEPARATE"), default="SEPARATE"
    )
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
