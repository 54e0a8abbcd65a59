"""The account hierarchy box of a contract's page: a child names its parent and who pays; a
parent lists its children, the commits they may draw and its consolidated invoices."""

from typing import Any

from contracts.models import Contract
from contracts.terms.child_access import parent_commits_accessible
from contracts.terms.hierarchy import consolidates_onto_parent, payer_contract

CONSOLIDATED = "USAGE_CONSOLIDATED"  # invoicing's InvoiceType (contracts sits below invoicing)


def hierarchy_context(contract: Contract) -> dict[str, Any] | None:
    """None for a contract outside any hierarchy."""
    if contract.parent_id is not None:
        parent = Contract.objects.select_related("customer").get(pk=contract.parent_id)
        contract.parent = parent
        return {
            "role": "child",
            "parent": parent,
            "payer": payer_contract(contract),
            "consolidated": consolidates_onto_parent(contract),
            "draws": parent_commits_accessible(contract),  # the parent's, shared with it
        }
    children = list(
        contract.children.filter(archived_at__isnull=True).select_related("customer").order_by("pk")
    )
    if not children and not contract.invoice_consolidation_type:
        return None
    names = {str(c.public_id): c.customer.name for c in children}
    shared = [
        {
            "commit": commit,
            "children": "all child contracts"
            if commit.child_access == "ALL"
            else ", ".join(
                names.get(i, "an archived child") for i in commit.child_access_contract_ids
            ),
        }
        for commit in contract.commits.filter(
            archived_at__isnull=True, child_access__in=("ALL", "CONTRACT_IDS")
        ).select_related("product")
    ]
    return {
        "role": "parent",
        "children": children,
        "concatenates": contract.invoice_consolidation_type == "CONCATENATE",
        "shared": shared,
        "consolidated_invoices": contract.invoices.filter(type=CONSOLIDATED)
        .exclude(status="VOID")
        .select_related("credit_type")
        .order_by("-period_start")[:6],
    }
