"""Customer-level commits and credits: a Commit with no contract, usable on the customer's
contracts (all of them, or those in applicable_contract_ids) and, for a commit with an invoice
schedule, billed on its invoice contract."""

from typing import Any

from django.db import transaction

from billing_console.wire import Reader
from billing_console.wire_fields import refuse_unsupported
from contracts.models import Commit, CommitKind, Contract
from contracts.terms.commit_edits import invoice_contract
from contracts.terms.create import commit_create_from_wire, invoice_moments
from contracts.terms.finalized_moments import open_moment
from contracts.wire.fields import CUSTOMER_COMMIT_CREATE, CUSTOMER_CREDIT_CREATE
from contracts.wire.read import uuid_from_wire
from customers.models import Customer


def _applicable_contract_ids(customer: Customer, reader: Reader) -> list[str]:
    ids = []
    for index, value in enumerate(reader.str_list("applicable_contract_ids")):
        key = f"applicable_contract_ids[{index}]"
        public_id = uuid_from_wire(reader, key, value)
        if not Contract.objects.filter(customer=customer, public_id=public_id).exists():
            raise reader.fail(key, f"no contract {public_id} for this customer.")
        ids.append(public_id)
    return ids


def _invoice_moments_check(commit: Commit, reader: Reader) -> None:
    """Its invoice schedule was read before its invoice contract was known: each item is
    checked now against that contract (finalized scheduled invoices, its end)."""
    schedule = reader.child("invoice_schedule")
    if schedule is None:
        return
    finalized, end = invoice_moments(commit)
    for item in schedule.children("schedule_items"):
        open_moment(item, item.datetime("timestamp", required=True), finalized, end)  # type: ignore[arg-type]


@transaction.atomic
def customer_commit_create(
    *, customer: Customer, data: dict[str, Any], credit: bool = False
) -> Commit:
    """A customer-level commit (/customerCommits/create) or credit (/customerCredits/create)."""
    refuse_unsupported(data, CUSTOMER_CREDIT_CREATE if credit else CUSTOMER_COMMIT_CREATE)
    reader = Reader(data)
    contract_ids = _applicable_contract_ids(customer, reader)
    kind = CommitKind.CREDIT if credit else None
    if not reader.has("priority"):
        raise reader.fail("priority", "is required.")
    commit = commit_create_from_wire(reader, customer=customer, contract=None, kind=kind)
    commit.applicable_contract_ids = contract_ids
    needs_invoice_contract = commit.kind == CommitKind.POSTPAID or (
        commit.kind == CommitKind.PREPAID
        and commit.invoice_items.exists()
        and not commit.do_not_invoice
    )
    if reader.has("invoice_contract_id"):
        commit.invoice_contract = invoice_contract(commit, reader)
        _invoice_moments_check(commit, reader)
    elif needs_invoice_contract:
        raise reader.fail(
            "invoice_contract_id",
            "is required for a commit that is invoiced (the contract to bill it on).",
        )
    commit.save(update_fields=["applicable_contract_ids", "invoice_contract", "updated_at"])
    return commit
