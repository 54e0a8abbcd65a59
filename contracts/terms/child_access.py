"""Account hierarchies: which of a parent contract's commits and credits its children's usage
may draw (`hierarchy_configuration.child_access` of a commit or credit).

A child contract (one that names a parent) draws, besides its own commits and its customer's,
the parent contract's commits and credits whose `child_access` is ALL, or CONTRACT_IDS naming
it. NONE, or no hierarchy_configuration at all, keeps a commit for its own contract. The
parent's commits then compete with the child's own by the usual drawdown order (priority,
then soonest expiry, then age): the rating loader takes them from parent_commits_accessible.
"""

from typing import Any

from billing_console.wire import Reader
from contracts.models import Commit, Contract

CHILD_ACCESS_TYPES = ("ALL", "NONE", "CONTRACT_IDS")
NOT_ON_CUSTOMER = "only a contract's commit or credit is shared with its child contracts."


def child_access_from_wire(reader: Reader, contract: Contract | None) -> dict[str, Any]:
    """The Commit fields of `hierarchy_configuration` ({} when it is not sent). Contract ids
    must name child contracts of `contract` (so none can on the create of a parent: its
    children are created after it; name them in a v2 edit)."""
    config = reader.child("hierarchy_configuration")
    if config is None:
        return {}
    if contract is None:
        raise reader.fail("hierarchy_configuration", NOT_ON_CUSTOMER)
    access = config.child("child_access", required=True)
    assert access is not None  # required
    kind = access.choice("type", CHILD_ACCESS_TYPES, required=True)
    ids: list[str] = []
    if kind == "CONTRACT_IDS":
        ids = _child_ids(access, contract)
    elif access.has("contract_ids"):
        raise access.fail("contract_ids", "is only given with type CONTRACT_IDS.")
    return {"child_access": kind, "child_access_contract_ids": ids}


def _child_ids(access: Reader, contract: Contract) -> list[str]:
    from contracts.wire.read import uuid_from_wire

    sent = access.str_list("contract_ids")
    if not sent:
        raise access.fail("contract_ids", "must name at least one child contract.")
    ids = list(dict.fromkeys(uuid_from_wire(access, "contract_ids", value) for value in sent))
    children = set()
    if contract.pk is not None:
        children = {
            str(public_id)
            for public_id in contract.children.filter(public_id__in=ids).values_list(
                "public_id", flat=True
            )
        }
    missing = [i for i in ids if i not in children]
    if missing:
        raise access.fail("contract_ids", f"{missing[0]} is not a child contract of this contract.")
    return ids


def child_access_to_wire(commit: Commit) -> dict[str, Any] | None:
    """The SDK's CommitHierarchyConfiguration, or None when none was given."""
    if not commit.child_access:
        return None
    access: dict[str, Any] = {"type": commit.child_access}
    if commit.child_access == "CONTRACT_IDS":
        access["contract_ids"] = list(commit.child_access_contract_ids)
    return {"child_access": access}


def may_draw(commit: Commit, child: Contract) -> bool:
    """Whether `child`'s usage may draw `commit` (a commit of its parent contract)."""
    if commit.child_access == "ALL":
        return True
    return commit.child_access == "CONTRACT_IDS" and (
        str(child.public_id) in commit.child_access_contract_ids
    )


def fiat_credit_type_id(contract: Contract) -> int:
    """The pk of the fiat credit type the contract's invoices are in."""
    if contract.rate_card_id is not None:
        return contract.rate_card.fiat_credit_type_id  # type: ignore[union-attr]
    from pricing.services import credit_type_get_default

    return credit_type_get_default().pk


def parent_commits_accessible(contract: Contract) -> list[Commit]:
    """The parent contract's live commits and credits that `contract`'s usage may draw, with
    their segments (what invoicing.drawdown reads); none, without a query, for a contract
    that is not a child."""
    if contract.parent_id is None:
        return []
    parent = Contract.objects.select_related("rate_card").get(pk=contract.parent_id)
    if fiat_credit_type_id(parent) != fiat_credit_type_id(contract):
        return []  # a commit pays in its contract's currency: never another one's
    shared = (
        Commit.objects.filter(
            contract_id=contract.parent_id,
            contract__archived_at__isnull=True,
            archived_at__isnull=True,
            child_access__in=("ALL", "CONTRACT_IDS"),
        )
        .select_related("access_credit_type", "recurring_commit", "product")
        .prefetch_related("segments")
    )
    return [commit for commit in shared if may_draw(commit, contract)]
