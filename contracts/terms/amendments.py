"""Amendments (/v1/contracts/amend): Metronome's v1 way of adding terms to a contract from a
moment on. An amendment is applied as the v2 edit that adds the same terms (`commits` is
`add_commits`, ...: contracts.wire.fields.amendments), so each term is read, validated and
billed exactly as an edit or a create would; it is recorded as that ContractEdit, marked with
the amendment's own fields, and listed in the v1 read's amendments[] with the terms it added,
read back as they are now. Errors name the amendment's fields, not the edit's.
"""

import re
from typing import Any

from django.db import transaction

from billing_console.api import ApplicationError
from billing_console.lib.wire_values import iso
from billing_console.wire import Reader
from billing_console.wire_fields import refuse_unsupported
from contracts.edits import contract_edit
from contracts.models import (
    Commit,
    Contract,
    ContractEdit,
    Discount,
    Override,
    ProfessionalService,
    ResellerRoyalty,
    ScheduledCharge,
)
from contracts.terms.discounts import discount_to_wire
from contracts.terms.external_ids import external_id_from_wire
from contracts.terms.pro_services import pro_service_to_wire
from contracts.terms.reseller_royalties import royalty_to_wire
from contracts.wire.fields.amendments import CONTRACT_AMEND, TERMS

AMENDMENT_ADDS_NOTHING = (
    "body: an amendment adds at least one term: commits, credits, overrides, scheduled_charges, "
    "discounts, professional_services or reseller_royalties."
)
STARTS_OUTSIDE = "starting_at: must be within the contract, from {start}{end}."
_EDIT_PATH = re.compile(r"^add_(" + "|".join(TERMS) + r")\b")


def _as_amendment_error(error: ApplicationError) -> ApplicationError:
    """The edit's error naming the amendment's field (add_commits[0].x -> commits[0].x)."""
    message = _EDIT_PATH.sub(lambda m: m.group(1), error.message, count=1)
    return ApplicationError(message, error.code, error.extra)


def _starting_at(reader: Reader, contract: Contract) -> Any:
    at = reader.datetime("starting_at", required=True)
    end = contract.ending_before
    if at < contract.starting_at or (end is not None and at >= end):
        until = f" until {iso(end)} (exclusive)" if end is not None else ""
        raise ApplicationError(STARTS_OUTSIDE.format(start=iso(contract.starting_at), end=until))
    return at


@transaction.atomic
def contract_amend(*, contract: Contract, data: dict[str, Any], actor: str = "") -> ContractEdit:
    """Apply one /v1/contracts/amend body; returns the edit recorded as the amendment."""
    refuse_unsupported(data, CONTRACT_AMEND)
    reader = Reader(data)
    starting_at = _starting_at(reader, contract)
    netsuite = external_id_from_wire(reader, "netsuite_sales_order_id")
    salesforce = external_id_from_wire(reader, "salesforce_opportunity_id")
    body = {edit_key: data[key] for key, edit_key in TERMS.items() if data.get(key)}
    if not body:
        raise ApplicationError(AMENDMENT_ADDS_NOTHING)
    try:
        edit = contract_edit(contract=contract, data=body, actor=actor)
    except ApplicationError as error:
        raise _as_amendment_error(error) from None
    edit.amendment_starting_at = starting_at
    edit.amendment_netsuite_sales_order_id = netsuite
    edit.amendment_salesforce_opportunity_id = salesforce
    edit.save(
        update_fields=[
            "amendment_starting_at",
            "amendment_netsuite_sales_order_id",
            "amendment_salesforce_opportunity_id",
        ]
    )
    return edit


def contract_amendments(contract: Contract) -> list[ContractEdit]:
    return list(contract.edits.filter(amendment_starting_at__isnull=False))


def _rows(model: type, edit: ContractEdit, key: str, *related: str) -> list[Any]:
    """The rows the amendment added under `key`, in the order added (archived ones too)."""
    ids = edit.changes.get(key) or []
    if not ids:
        return []
    query = model.objects.filter(contract=edit.contract_id, public_id__in=ids)
    found = {str(row.public_id): row for row in query.select_related(*related)}
    return [found[i] for i in ids if i in found]


def amendment_to_wire(edit: ContractEdit) -> dict[str, Any]:
    """One amendment in the SDK's Contract.Amendment shape (contracts.wire.write's terms)."""
    from contracts.wire.write import commit_to_wire, override_to_wire, scheduled_charge_to_wire

    def commits(key: str) -> list[dict[str, Any]]:
        rows = _rows(Commit, edit, key, "product", "contract", "recurring_commit")
        return [commit_to_wire(c) for c in rows]

    data = {
        "id": str(edit.public_id),
        "starting_at": iso(edit.amendment_starting_at),
        "created_at": iso(edit.created_at),
        "created_by": edit.actor or "api",
        "commits": commits("add_commits"),
        "credits": commits("add_credits"),
        "overrides": [
            override_to_wire(o) for o in _rows(Override, edit, "add_overrides", "product")
        ],
        "scheduled_charges": [
            scheduled_charge_to_wire(c)
            for c in _rows(ScheduledCharge, edit, "add_scheduled_charges", "product")
        ],
        "discounts": [discount_to_wire(d) for d in _rows(Discount, edit, "add_discounts")],
        "professional_services": [
            pro_service_to_wire(s)
            for s in _rows(ProfessionalService, edit, "add_professional_services")
        ],
        "reseller_royalties": [
            royalty_to_wire(r) for r in _rows(ResellerRoyalty, edit, "add_reseller_royalties")
        ],
        "netsuite_sales_order_id": edit.amendment_netsuite_sales_order_id or None,
        "salesforce_opportunity_id": edit.amendment_salesforce_opportunity_id or None,
    }
    return {k: v for k, v in data.items() if v is not None}


def amendments_to_wire(contract: Contract) -> list[dict[str, Any]]:
    return [amendment_to_wire(e) for e in contract_amendments(contract)]


# The v1 read's term lists an amendment may have added (reseller royalties carry no id).
AMENDED_LISTS = (
    "commits", "credits", "overrides", "scheduled_charges", "discounts", "professional_services",
)  # fmt: skip


def initial_terms(terms: dict[str, Any], amendments: list[dict[str, Any]]) -> dict[str, Any]:
    """The v1 read's `initial`: the contract's terms less those its amendments added."""
    added = {item["id"] for a in amendments for key in AMENDED_LISTS for item in a.get(key, [])}
    initial = dict(terms)
    for key in AMENDED_LISTS:
        if isinstance(terms.get(key), list):
            initial[key] = [item for item in terms[key] if item.get("id") not in added]
    royalties = list(terms.get("reseller_royalties") or [])
    for a in amendments:
        for royalty in a.get("reseller_royalties", []):
            if royalty in royalties:
                royalties.remove(royalty)
    initial["reseller_royalties"] = royalties
    return initial
