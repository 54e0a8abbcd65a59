"""Contracts are edited, not rewritten: each /v2/contracts/edit is applied atomically and
recorded as a ContractEdit (the edit history).

Idempotent by uniqueness_key: the same body retried with its key returns the edit already
applied (nothing is applied twice); the key reused with a different body is a conflict.
"""

import json
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from billing_console.api import ApplicationError
from billing_console.wire import Reader
from billing_console.wire_fields import refuse_unsupported
from contracts.edit_previous import overrides_previous, subscription_update_recorded
from contracts.end_date import contract_end_date_move
from contracts.end_date_plan import plan_to_wire
from contracts.models import Commit, CommitKind, Contract, ContractEdit, Override, ScheduledCharge
from contracts.services import remember_temporary_id, subscriptions_create_from_wire
from contracts.signals import contract_billing_changed_send
from contracts.terms.billing_provider import billing_configuration_edit
from contracts.terms.charge_edits import scheduled_charges_update_from_wire
from contracts.terms.commit_edits import commit_edit, commit_previous
from contracts.terms.create import (
    commit_create_from_wire,
    override_create_from_wire,
    scheduled_charge_create_from_wire,
)
from contracts.terms.recurring import recurring_create_from_wire, recurring_update_from_wire
from contracts.terms.reporting_terms import reporting_terms_edited
from contracts.terms.services_terms import services_terms_added
from contracts.wire.fields import CONTRACT_EDIT
from contracts.wire.read import uuid_from_wire

EDIT_KEY_REUSED = "uniqueness_key: '{key}' was already used for a different edit of this contract."
THRESHOLD_KEYS = {
    "spend_threshold_configuration": "spend_threshold_configuration",
    "prepaid_balance_threshold_configuration": "prepaid_balance_threshold_configuration",
}
IDENTITY = ("customer_id", "contract_id")
COMMIT_KINDS = (CommitKind.PREPAID, CommitKind.POSTPAID)
# Changes to what the contract's draft invoices bill (contracts.signals.contract_billing_changed).
BILLED_KEYS = {
    "update_scheduled_charges", "archive_scheduled_charges", "update_commits", "archive_commits",
    "update_contract_end_date",
}  # fmt: skip


def _canonical(data: dict[str, Any]) -> dict[str, Any]:
    """The body as JSON would carry it, without the ids that only address the contract."""
    body = {k: v for k, v in data.items() if k not in IDENTITY}
    return json.loads(json.dumps(body, default=str, sort_keys=True))


def _archive(
    model: type, contract: Contract, reader: Reader, key: str, **filters: Any
) -> list[str]:
    archived = []
    for item in reader.children(key):
        public_id = uuid_from_wire(item, "id", item.str("id", required=True))
        row = model.objects.filter(contract=contract, public_id=public_id, **filters).first()
        if row is None:
            raise item.fail("id", f"no such item on this contract: {public_id}.")
        if row.archived_at is None:
            row.archived_at = timezone.now()
            row.save(update_fields=["archived_at"])
        archived.append(public_id)
    return archived


def _end_date(contract: Contract, reader: Reader) -> dict[str, Any]:
    """The end moved by the rule of contracts/end_date.py; what it trimmed is recorded."""
    end = reader.datetime("update_contract_end_date")
    plan = contract_end_date_move(
        contract=contract,
        end=end,
        allow=bool(reader.bool("allow_contract_ending_before_finalized_invoice", True)),
        field="update_contract_end_date",
        flag="allow_contract_ending_before_finalized_invoice",
    )
    trim = plan_to_wire(plan)
    return {"update_contract_end_date": end.isoformat() if end else None,
            **({"end_date_trim": trim} if trim else {})}  # fmt: skip


def _was(changes: dict[str, Any], key: str) -> dict[str, Any]:
    """Old values of what the edit changes, by key then id: the history's "old → new"."""
    return changes.setdefault("previous", {}).setdefault(key, {})


def _updates(contract: Contract, reader: Reader, key: str, id_key: str, kinds: tuple, was: dict) -> list:  # fmt: skip
    updated = []
    for index, item in enumerate(reader.children(key)):
        public_id = uuid_from_wire(item, id_key, item.str(id_key, required=True))
        commit = Commit.objects.filter(
            contract=contract, public_id=public_id, kind__in=kinds
        ).first()
        if commit is None:
            raise item.fail(id_key, f"no such item on this contract: {public_id}.")
        body = {k: v for k, v in item.data.items() if k != id_key}
        was[str(public_id)] = commit_previous(commit)
        commit_edit(commit=commit, data=body, path=f"{key}[{index}]")
        updated.append({"id": public_id, **_canonical(body)})
    return updated


def _adds(contract: Contract, reader: Reader, changes: dict[str, Any], wire: dict) -> None:
    from contracts.terms.recurring import recurring_to_wire
    from contracts.wire.write import commit_to_wire, override_to_wire, scheduled_charge_to_wire

    customer = contract.customer
    commit_ids: dict[str, str] = {}  # temporary_id -> id, for commit-specific overrides
    for key, kind in (("add_commits", None), ("add_credits", CommitKind.CREDIT)):
        rows = []
        for item in reader.children(key):
            rows.append(
                commit_create_from_wire(item, customer=customer, contract=contract, kind=kind)
            )
            remember_temporary_id(commit_ids, item, rows[-1])
        if rows:
            changes[key] = [str(c.public_id) for c in rows]
            wire[key] = [commit_to_wire(c) for c in rows]
    charges = [
        scheduled_charge_create_from_wire(i, contract)
        for i in reader.children("add_scheduled_charges")
    ]
    if charges:
        changes["add_scheduled_charges"] = [str(c.public_id) for c in charges]
        wire["add_scheduled_charges"] = [scheduled_charge_to_wire(c) for c in charges]
    services_terms_added(contract, reader, changes, wire)  # discounts, professional services
    reporting_terms_edited(contract, reader, changes, wire)  # spend trackers, reseller royalties
    temporary_ids = _add_subscriptions(contract, reader, changes, wire)
    for key, kind in (
        ("add_recurring_commits", CommitKind.PREPAID),
        ("add_recurring_credits", CommitKind.CREDIT),
    ):
        rows = []
        for item in reader.children(key):
            rows.append(
                recurring_create_from_wire(
                    item, contract=contract, kind=kind, temporary_ids=temporary_ids
                )
            )
            remember_temporary_id(commit_ids, item, rows[-1])
        if rows:
            from contracts.terms.balances import contract_credit_type_id
            from contracts.terms.issuance import recurring_item_issue

            for row in rows:  # every period already begun is issued with the edit
                recurring_item_issue(item=row, now=timezone.now())

            credit_type_id = contract_credit_type_id(contract)
            changes[key] = [str(r.public_id) for r in rows]
            wire[key] = [recurring_to_wire(r, default_credit_type_id=credit_type_id) for r in rows]
    overrides = [
        override_create_from_wire(i, contract, commit_ids) for i in reader.children("add_overrides")
    ]
    if overrides:
        changes["add_overrides"] = [str(o.public_id) for o in overrides]
        wire["add_overrides"] = [override_to_wire(o) for o in overrides]


def _add_subscriptions(
    contract: Contract, reader: Reader, changes: dict[str, Any], wire: dict
) -> dict[str, str]:
    from contracts.terms.balances import contract_credit_type_id
    from contracts.terms.subscription_read import subscription_to_wire

    before = set(contract.subscriptions.values_list("pk", flat=True))
    temporary_ids = subscriptions_create_from_wire(reader, contract, "add_subscriptions")
    added = list(contract.subscriptions.exclude(pk__in=before).select_related("product"))
    if added:
        credit_type_id = contract_credit_type_id(contract)
        now = timezone.now()
        changes["add_subscriptions"] = [str(s.public_id) for s in added]
        wire["add_subscriptions"] = [
            subscription_to_wire(s, now=now, credit_type_id=credit_type_id) for s in added
        ]
    return temporary_ids


def _thresholds(contract: Contract, reader: Reader, changes: dict[str, Any]) -> None:
    """add_/update_ spend and prepaid balance threshold configurations (stored, validated)."""
    from contracts.terms.thresholds import (
        prepaid_threshold_from_wire,
        spend_threshold_from_wire,
        threshold_update,
    )

    for field in THRESHOLD_KEYS:
        add, update = f"add_{field}", f"update_{field}"
        if reader.has(add) and reader.has(update):
            raise reader.fail(update, f"cannot be sent together with {add}.")
        value = None
        if reader.has(add):
            child = reader.child(add)
            build = (
                spend_threshold_from_wire
                if field.startswith("spend")
                else prepaid_threshold_from_wire
            )
            value = build(child)  # type: ignore[arg-type]
            changes[add] = value
        elif reader.has(update):
            value = threshold_update(getattr(contract, field), reader, update)
            changes[update] = value
        if value is not None:
            setattr(contract, field, value)
            contract.save(update_fields=[field, "updated_at"])


def _item_updates(contract: Contract, reader: Reader, changes: dict[str, Any]) -> None:
    """update_subscriptions, update_recurring_commits, update_recurring_credits,
    update_scheduled_charges."""
    if reader.has("update_subscriptions"):
        was = _was(changes, "update_subscriptions")
        changes["update_subscriptions"] = [
            {"id": str(subscription_update_recorded(i, contract, was).public_id),
             **_canonical({k: v for k, v in i.data.items() if k != "subscription_id"})}
            for i in reader.children("update_subscriptions")
        ]  # fmt: skip
    for key, id_key, kind in (
        ("update_recurring_commits", "recurring_commit_id", CommitKind.PREPAID),
        ("update_recurring_credits", "recurring_credit_id", CommitKind.CREDIT),
    ):
        if reader.has(key):
            changes[key] = [
                {"id": str(recurring_update_from_wire(i, contract=contract, kind=kind).public_id),
                 **_canonical({k: v for k, v in i.data.items() if k != id_key})}
                for i in reader.children(key)
            ]  # fmt: skip
    if reader.has("update_scheduled_charges"):
        was = _was(changes, "schedule_items")
        updated = scheduled_charges_update_from_wire(contract, reader, was=was)
        changes["update_scheduled_charges"] = [_canonical(u) for u in updated]


def _removals(contract: Contract, reader: Reader, changes: dict[str, Any]) -> None:
    for key, model, filters in (
        ("archive_commits", Commit, {"kind__in": COMMIT_KINDS}),
        ("archive_credits", Commit, {"kind": CommitKind.CREDIT}),
        ("archive_scheduled_charges", ScheduledCharge, {}),
        ("remove_overrides", Override, {}),
    ):
        if reader.has(key):
            if key == "remove_overrides":  # an override is edited as removed + added
                _was(changes, key).update(overrides_previous(contract, reader))
            changes[key] = _archive(model, contract, reader, key, **filters)


def _terms(contract: Contract, reader: Reader, data: dict, changes: dict[str, Any]) -> None:
    if "update_contract_name" in data:
        name = data["update_contract_name"]
        if name is not None and not isinstance(name, str):
            raise reader.fail("update_contract_name", "must be a string or null.")
        _was(changes, "contract")["name"] = contract.name
        contract.name = (name or "")[:200]
        contract.save(update_fields=["name", "updated_at"])
        changes["update_contract_name"] = name
    if "update_contract_end_date" in data:
        end = contract.ending_before
        _was(changes, "contract")["ending_before"] = end.isoformat() if end else None
        changes.update(_end_date(contract, reader))
    if "update_net_payment_terms_days" in data:
        days = reader.decimal("update_net_payment_terms_days", minimum=0)  # type: ignore[arg-type]
        contract.net_payment_terms_days = int(days) if days is not None else None
        contract.save(update_fields=["net_payment_terms_days", "updated_at"])
        changes["update_net_payment_terms_days"] = contract.net_payment_terms_days


def _apply(contract: Contract, reader: Reader, data: dict) -> tuple[dict, dict]:
    changes: dict[str, Any] = {}
    wire: dict[str, Any] = {}
    _adds(contract, reader, changes, wire)
    _removals(contract, reader, changes)
    for key, id_key, kinds in (
        ("update_commits", "commit_id", COMMIT_KINDS),
        ("update_credits", "credit_id", (CommitKind.CREDIT,)),
    ):
        if reader.has(key):
            changes[key] = _updates(contract, reader, key, id_key, kinds, _was(changes, key))
    _item_updates(contract, reader, changes)
    _thresholds(contract, reader, changes)
    _terms(contract, reader, data, changes)
    if not any(changes.get("previous", {}).values()):  # nothing changed in place
        changes.pop("previous", None)
    billing = billing_configuration_edit(reader, contract)
    if billing is not None:
        changes["add_billing_provider_configuration_update"] = billing
        wire["add_billing_provider_configuration_update"] = billing
    for key in (
        "archive_commits",
        "archive_credits",
        "archive_scheduled_charges",
        "remove_overrides",
    ):
        if key in changes:
            wire[key] = [{"id": i} for i in changes[key]]
    for key in (
        "update_commits",
        "update_credits",
        "update_subscriptions",
        "update_recurring_commits",
        "update_recurring_credits",
        "update_scheduled_charges",
    ):
        if key in changes:
            wire[key] = changes[key]
            changes[key] = [u["id"] for u in changes[key]]
    for field in THRESHOLD_KEYS:
        for key in (f"add_{field}", f"update_{field}"):
            if key in changes:
                wire[key] = changes[key]
                changes[key] = "set" if key.startswith("add_") else "updated"
    for key in (
        "update_contract_name",
        "update_contract_end_date",
        "end_date_trim",
        "update_net_payment_terms_days",
    ):
        if key in changes:
            wire[key] = changes[key]
    return changes, wire


@transaction.atomic
def contract_edit(*, contract: Contract, data: dict[str, Any], actor: str = "") -> ContractEdit:
    """Apply one /v2/contracts/edit body; returns the recorded edit."""
    refuse_unsupported(data, CONTRACT_EDIT)
    reader = Reader(data)
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    key = reader.str("uniqueness_key", max_length=128) or None
    request = _canonical(data)
    if key:
        existing = ContractEdit.objects.filter(contract=contract, uniqueness_key=key).first()
        if existing is not None:
            if existing.request == request:
                return existing  # a retry of an edit already applied
            raise ApplicationError(EDIT_KEY_REUSED.format(key=key), "conflict")
    if contract.archived_at is not None:
        raise ApplicationError("contract_id: the contract is archived and cannot be edited.")
    changes, wire = _apply(contract, reader, data)
    if not changes:
        raise ApplicationError("body: the edit changes nothing.")
    if BILLED_KEYS & changes.keys():  # invoicing brings the drafts in line, in this transaction
        moved = "update_contract_end_date" in changes
        if drafts := contract_billing_changed_send(contract, end_date_moved=moved):
            changes["draft_invoices"] = drafts
    try:
        with transaction.atomic():
            return ContractEdit.objects.create(
                contract=contract,
                uniqueness_key=key,
                changes=changes,
                request=request,
                wire=json.loads(json.dumps(wire, default=str)),
                actor=actor,
            )
    except IntegrityError:  # a concurrent edit with the same key won the race
        raise ApplicationError(EDIT_KEY_REUSED.format(key=key), "conflict") from None


def edit_to_wire(edit: ContractEdit) -> dict[str, Any]:
    """One edit as /v2/contracts/edit returns it and getEditHistory lists it."""
    from contracts.wire.write import iso

    data = {"id": str(edit.public_id), "timestamp": iso(edit.created_at), **edit.wire}
    if edit.uniqueness_key:
        data["uniqueness_key"] = edit.uniqueness_key
    return data


@transaction.atomic
def commit_edit_recorded(
    *, commit: Commit, data: dict[str, Any], credit: bool, actor: str = ""
) -> Commit:
    """/v2/contracts/commits/edit and /credits/edit: edit one commit or credit; on a contract,
    the change is recorded in its edit history as an update_commits / update_credits."""
    commit = commit_edit(commit=commit, data=data)
    if commit.contract_id is not None:
        key = "update_credits" if credit else "update_commits"
        ContractEdit.objects.create(
            contract=commit.contract,
            changes={key: [str(commit.public_id)]},
            request=_canonical(data),
            wire={key: [{"id": str(commit.public_id), **_canonical(data)}]},
            actor=actor,
        )
    return commit
