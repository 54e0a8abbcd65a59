"""Editing one commit or credit in place (/v2/contracts/commits/edit, /credits/edit, and the
update_commits / update_credits of a contract edit).

Access schedule changes keep the ledger append-only: a new segment starts with a
SEGMENT_START entry, a changed amount appends a SEGMENT_START entry for the difference, and
only a segment nothing has drawn from yet can be removed (with its opening entry).
"""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction

from billing_console.api import ApplicationError
from billing_console.wire import Reader
from contracts.models import (
    AccessSegment,
    Commit,
    CommitInvoiceItem,
    CommitKind,
    Contract,
    LedgerEntry,
    LedgerEntryType,
)
from contracts.terms import ledger
from contracts.terms.finalized_moments import open_moment


def _segment(commit: Commit, reader: Reader) -> AccessSegment:
    from contracts.wire.read import uuid_from_wire

    public_id = uuid_from_wire(reader, "id", reader.str("id", required=True))
    segment = commit.segments.filter(public_id=public_id).first()
    if segment is None:
        raise reader.fail("id", f"no schedule item {public_id} on this commit.")
    return segment


def _window_check(reader: Reader, start: datetime, end: datetime) -> None:
    if end <= start:
        raise reader.fail("ending_before", "must be after starting_at.")


def segment_remove(segment: AccessSegment, reader: Reader, key: str = "id") -> None:
    """Remove a segment nothing has used: only its opening entries are on its ledger."""
    if segment.ledger.exclude(type=LedgerEntryType.SEGMENT_START).exists():
        raise reader.fail(key, "this schedule item has ledger activity and cannot be removed.")
    segment.ledger.all().delete()
    segment.delete()


def segment_update(
    segment: AccessSegment,
    *,
    amount: Decimal | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    reason: str = "Access schedule edited",
) -> None:
    if amount is not None and amount != segment.amount:
        LedgerEntry.objects.create(
            commit=segment.commit,
            segment=segment,
            type=LedgerEntryType.SEGMENT_START,
            amount=amount - segment.amount,
            timestamp=start or segment.starting_at,
            reason=reason,
        )
        segment.amount = amount
    segment.starting_at = start or segment.starting_at
    segment.ending_before = end or segment.ending_before
    segment.save()


def _access_schedule(commit: Commit, schedule: Reader) -> None:
    for item in schedule.children("remove_schedule_items"):
        segment_remove(_segment(commit, item), item)
    for item in schedule.children("update_schedule_items"):
        segment = _segment(commit, item)
        start = item.datetime("starting_at") or segment.starting_at
        end = item.datetime("ending_before") or segment.ending_before
        _window_check(item, start, end)
        amount = item.decimal("amount", minimum=Decimal(0))
        segment_update(segment, amount=amount, start=start, end=end)
    for item in schedule.children("add_schedule_items"):
        start = item.datetime("starting_at", required=True)
        end = item.datetime("ending_before", required=True)
        _window_check(item, start, end)  # type: ignore[arg-type]
        amount = item.decimal("amount", required=True, minimum=Decimal(0))
        ledger.segment_add(commit, amount=amount, start=start, end=end)  # type: ignore[arg-type]
    if not commit.segments.exists():
        raise schedule.fail("remove_schedule_items", "a commit keeps at least one schedule item.")


def _billed(commit: Commit, item: CommitInvoiceItem) -> bool:
    """Whether a finalized invoice already billed this invoice schedule item."""
    from django.apps import apps

    if commit.contract_id is None:
        return False
    invoice_model = apps.get_model("invoicing", "Invoice")  # invoicing sits above contracts
    return invoice_model.objects.filter(
        contract_id=commit.contract_id, type="SCHEDULED", period_start=item.timestamp,
        status__in=["FINALIZED", "PAID"],
    ).exists()  # fmt: skip


def _invoice_item(commit: Commit, reader: Reader) -> CommitInvoiceItem:
    from contracts.wire.read import uuid_from_wire

    public_id = uuid_from_wire(reader, "id", reader.str("id", required=True))
    item = commit.invoice_items.filter(public_id=public_id).first()
    if item is None:
        raise reader.fail("id", f"no invoice schedule item {public_id} on this commit.")
    if _billed(commit, item):
        raise reader.fail("id", "this invoice schedule item is on a finalized invoice.")
    return item


def _invoice_schedule(commit: Commit, schedule: Reader) -> None:
    from contracts.terms.create import invoice_items_create, invoice_moments

    if commit.kind == CommitKind.CREDIT:
        raise schedule.fail("add_schedule_items", "a credit has no invoice schedule.")
    for item in schedule.children("remove_schedule_items"):
        _invoice_item(commit, item).delete()
    for item in schedule.children("update_schedule_items"):
        row = _invoice_item(commit, item)
        moment = item.datetime("timestamp")
        if moment is not None:  # moved: not into a finalized invoice, nor to the end or after
            row.timestamp = open_moment(item, moment, *invoice_moments(commit))
        quantity = item.decimal("quantity", minimum=Decimal(0))
        unit_price = item.decimal("unit_price", minimum=Decimal(0))
        amount = item.decimal("amount", minimum=Decimal(0))
        row.quantity = quantity if quantity is not None else row.quantity
        row.unit_price = unit_price if unit_price is not None else row.unit_price
        if amount is not None:
            row.amount = amount
        elif quantity is not None or unit_price is not None:
            row.amount = row.quantity * row.unit_price
        row.save()
    if schedule.has("add_schedule_items"):
        invoice_items_create(commit, schedule, "add_schedule_items")


def _contract_ids(commit: Commit, reader: Reader) -> list[str]:
    from contracts.wire.read import uuid_from_wire

    ids = [
        uuid_from_wire(reader, "applicable_contract_ids", c)
        for c in reader.str_list("applicable_contract_ids")
    ]
    known = set(
        str(c) for c in Contract.objects.filter(customer_id=commit.customer_id, public_id__in=ids)
        .values_list("public_id", flat=True)
    )  # fmt: skip
    missing = [c for c in ids if c not in known]
    if missing:
        raise reader.fail("applicable_contract_ids", f"no contract {missing[0]} for this customer.")
    return ids


def _fields(commit: Commit, reader: Reader) -> None:
    from contracts.wire.read import product_from_wire, specifiers_from_wire, uuid_from_wire

    data = reader.data
    if reader.has("name"):
        commit.name = reader.str("name", max_length=200)
    if reader.has("description"):
        commit.description = reader.str("description")
    if "priority" in data:
        commit.priority = reader.decimal("priority")
    if reader.has("product_id"):
        commit.product = product_from_wire(reader, "product_id")  # type: ignore[assignment]
    if reader.has("rate_type"):
        commit.rate_type = reader.choice("rate_type", ("COMMIT_RATE", "LIST_RATE"))
    if "applicable_product_ids" in data:
        commit.applicable_product_ids = [
            uuid_from_wire(reader, "applicable_product_ids", p)
            for p in reader.str_list("applicable_product_ids")
        ]
    if "applicable_product_tags" in data:
        commit.applicable_product_tags = reader.str_list("applicable_product_tags")
    if "specifiers" in data:
        commit.specifiers = specifiers_from_wire(reader, "specifiers")
    if commit.specifiers and (commit.applicable_product_ids or commit.applicable_product_tags):
        raise reader.fail(
            "specifiers", "cannot be used with applicable_product_ids or applicable_product_tags."
        )
    if "applicable_contract_ids" in data:
        if commit.contract_id is not None or commit.kind == CommitKind.POSTPAID:
            raise reader.fail(
                "applicable_contract_ids", "only a customer-level prepaid commit or credit has it."
            )
        commit.applicable_contract_ids = _contract_ids(commit, reader)
    if reader.has("invoice_contract_id"):
        commit.invoice_contract = invoice_contract(commit, reader)
    if reader.has("hierarchy_configuration"):
        from contracts.terms.child_access import child_access_from_wire

        for name, value in child_access_from_wire(reader, commit.contract).items():
            setattr(commit, name, value)
    if "netsuite_sales_order_id" in data:  # null clears it
        from contracts.terms.external_ids import external_id_from_wire

        commit.netsuite_sales_order_id = external_id_from_wire(reader, "netsuite_sales_order_id")


def invoice_contract(commit: Commit, reader: Reader) -> Contract:
    from contracts.wire.read import uuid_from_wire

    value = uuid_from_wire(
        reader, "invoice_contract_id", reader.str("invoice_contract_id", required=True)
    )
    contract = Contract.objects.filter(customer_id=commit.customer_id, public_id=value).first()
    if contract is None:
        raise reader.fail("invoice_contract_id", f"no contract {value} for this customer.")
    return contract


@transaction.atomic
def commit_edit(*, commit: Commit, data: dict[str, Any], path: str = "") -> Commit:
    """Apply one commit/credit edit body; errors name the field path (under `path`)."""
    reader = Reader(data, path)
    commit = Commit.objects.select_for_update().get(pk=commit.pk)
    if commit.archived_at is not None:
        raise ApplicationError(f"{path or 'id'}: the commit is archived and cannot be edited.")
    _fields(commit, reader)
    commit.save()
    access = reader.child("access_schedule")
    if access is not None:
        _access_schedule(commit, access)
    invoice = reader.child("invoice_schedule")
    if invoice is not None:
        _invoice_schedule(commit, invoice)
    return commit


def commit_previous(commit: Commit) -> dict[str, Any]:
    """What an edit can change, before it: for the edit history's "old → new"."""
    ends = {str(s.public_id): s.ending_before.isoformat() for s in commit.segments.all()}
    priority = f"{commit.priority.normalize():f}" if commit.priority is not None else None
    return {"name": commit.name, "priority": priority, "access_ends": ends}


@transaction.atomic
def commit_update_end_date(
    *,
    commit: Commit,
    access_ending_before: datetime | None,
    invoices_ending_before: datetime | None = None,
) -> Commit:
    """End a commit's access (and invoicing) early, or extend its last segment: segments that
    would start at or after the new end are removed, the one spanning it is cut there."""
    reader = Reader({})
    if access_ending_before is not None:
        segments = list(commit.segments.order_by("starting_at", "pk"))
        for segment in segments:
            if segment.starting_at >= access_ending_before:
                segment_remove(segment, reader, "access_ending_before")
            elif segment.ending_before > access_ending_before:
                segment_update(segment, end=access_ending_before)
        kept = list(commit.segments.order_by("starting_at", "pk"))
        if not kept:
            raise reader.fail("access_ending_before", "would remove every schedule item.")
        if kept[-1].ending_before < access_ending_before:
            segment_update(kept[-1], end=access_ending_before)  # extend the last one
    if invoices_ending_before is not None:
        for item in commit.invoice_items.filter(timestamp__gte=invoices_ending_before):
            if _billed(commit, item):
                raise reader.fail(
                    "invoices_ending_before", "an item after it is on a finalized invoice."
                )
            item.delete()
    commit.save(update_fields=["updated_at"])
    return commit
