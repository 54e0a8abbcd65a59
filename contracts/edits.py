"""Contracts are edited, not rewritten: each /v2/contracts/edit is applied atomically and
recorded as a ContractEdit (the edit history). A reused uniqueness_key is a conflict."""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from billing_console.api import ApplicationError
from billing_console.wire import Reader
from contracts.models import Commit, CommitKind, Contract, ContractEdit, Override, ScheduledCharge
from contracts.services import (
    _override_create,
    _scheduled_charge_create,
    _uuid,
    commit_create_from_wire,
)

EDIT_KEY_REUSED = "uniqueness_key: '{key}' was already used for an edit of this contract."
END_BEFORE_FINALIZED = (
    "update_contract_end_date: the contract has a finalized invoice through {end}; "
    "set allow_contract_ending_before_finalized_invoice to end it earlier."
)


def _archive(
    model: type, contract: Contract, reader: Reader, key: str, **filters: Any
) -> list[str]:
    archived = []
    for item in reader.children(key):
        public_id = _uuid(item, "id", item.str("id", required=True))
        row = model.objects.filter(contract=contract, public_id=public_id, **filters).first()
        if row is None:
            raise item.fail("id", f"no such item on this contract: {public_id}.")
        if row.archived_at is None:
            row.archived_at = timezone.now()
            row.save(update_fields=["archived_at"])
        archived.append(public_id)
    return archived


def _latest_finalized_end(contract: Contract) -> datetime | None:
    from django.apps import apps

    invoice_model = apps.get_model("invoicing", "Invoice")  # invoicing sits above contracts
    latest = (
        invoice_model.objects.filter(contract=contract, status="FINALIZED")
        .order_by("-period_end")
        .first()
    )
    return latest.period_end if latest else None


def _end_date(contract: Contract, reader: Reader) -> dict[str, Any]:
    end = reader.datetime("update_contract_end_date")
    if end is not None and end <= contract.starting_at:
        raise reader.fail("update_contract_end_date", "must be after the contract's starting_at.")
    finalized_end = _latest_finalized_end(contract)
    if (
        end is not None
        and finalized_end
        and end < finalized_end
        and not reader.bool("allow_contract_ending_before_finalized_invoice", False)
    ):
        raise ApplicationError(END_BEFORE_FINALIZED.format(end=finalized_end.isoformat()))
    contract.ending_before = end
    contract.save(update_fields=["ending_before", "updated_at"])
    return {"update_contract_end_date": end.isoformat() if end else None}


@transaction.atomic
def contract_edit(*, contract: Contract, data: dict[str, Any], actor: str = "") -> ContractEdit:
    reader = Reader(data)
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    key = reader.str("uniqueness_key", max_length=128) or None
    if key and ContractEdit.objects.filter(contract=contract, uniqueness_key=key).exists():
        raise ApplicationError(EDIT_KEY_REUSED.format(key=key), "conflict")
    changes: dict[str, Any] = {}
    customer = contract.customer
    added = [
        commit_create_from_wire(i, customer=customer, contract=contract)
        for i in reader.children("add_commits")
    ]
    added += [
        commit_create_from_wire(i, customer=customer, contract=contract, kind=CommitKind.CREDIT)
        for i in reader.children("add_credits")
    ]
    if added:
        changes["added_commits_and_credits"] = [str(c.public_id) for c in added]
    overrides = [_override_create(i, contract) for i in reader.children("add_overrides")]
    if overrides:
        changes["add_overrides"] = [str(o.public_id) for o in overrides]
    charges = [
        _scheduled_charge_create(i, contract) for i in reader.children("add_scheduled_charges")
    ]
    if charges:
        changes["add_scheduled_charges"] = [str(c.public_id) for c in charges]
    for wire_key, kinds in (
        ("archive_commits", (CommitKind.PREPAID, CommitKind.POSTPAID)),
        ("archive_credits", (CommitKind.CREDIT,)),
    ):
        if reader.has(wire_key):
            changes[wire_key] = _archive(Commit, contract, reader, wire_key, kind__in=kinds)
    if reader.has("archive_scheduled_charges"):
        changes["archive_scheduled_charges"] = _archive(
            ScheduledCharge, contract, reader, "archive_scheduled_charges"
        )
    if reader.has("remove_overrides"):
        changes["remove_overrides"] = _archive(Override, contract, reader, "remove_overrides")
    if "update_contract_name" in data:
        name = data["update_contract_name"]
        if name is not None and not isinstance(name, str):
            raise reader.fail("update_contract_name", "must be a string or null.")
        contract.name = (name or "")[:200]
        contract.save(update_fields=["name", "updated_at"])
        changes["update_contract_name"] = name
    if "update_contract_end_date" in data:
        changes.update(_end_date(contract, reader))
    if not changes:
        raise ApplicationError("body: the edit changes nothing.")
    return ContractEdit.objects.create(
        contract=contract, uniqueness_key=key, changes=changes, actor=actor
    )
