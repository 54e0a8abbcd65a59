"""What moving a contract's end date trims (the rule is contracts/end_date.py): the plan,
read under the contract's lock (or, for the console's preview, without writing anything), its
application, and its record (`end_date_trim` of the edit)."""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone

from billing_console.api import ApplicationError
from billing_console.lib.wire_values import iso, number
from billing_console.wire import Reader
from contracts.models import (
    AccessSegment,
    Commit,
    CommitInvoiceItem,
    CommitKind,
    Contract,
    DiscountItem,
    LedgerEntryType,
    ScheduledChargeItem,
)
from contracts.terms.commit_edits import segment_remove, segment_update
from contracts.terms.finalized_moments import finalized_scheduled_invoices

SEGMENT_KEEPS = (
    "{field}: the access of {name} from {start} holds {what}; it cannot be removed. End the "
    "contract on {start} or later, or void what drew from it first."
)
SEGMENT_CLOSED = (
    "{field}: the access of {name} ({start} to {end}) has already ended and what remained of it "
    "expired or rolled over; the contract cannot end before {end}."
)
LASTING = {
    LedgerEntryType.USAGE_DEDUCTION: "usage on a finalized or voided invoice",
    LedgerEntryType.MANUAL: "a manual entry",
    LedgerEntryType.ROLLOVER: "a rollover",
    LedgerEntryType.EXPIRATION: "an expiration",
    LedgerEntryType.SEAT_BASED_ADJUSTMENT: "a seat adjustment",
    LedgerEntryType.TRUE_UP: "a true-up",
}


@dataclass(frozen=True)
class Trimmed:
    """One scheduled charge item, commit invoice item or discount item to remove, or one that
    stays because a finalized invoice bills it (`invoice` is then its number)."""

    kind: str  # "scheduled_charge" | "commit" | "customer_commit" (customer-level) | "discount"
    owner_id: str  # the charge's, commit's or discount's public id
    name: str
    item_id: str
    timestamp: datetime
    # In the contract's credit type unit (USD cents); a discount's is the size of its reduction
    # (positive, as on the wire).
    amount: Decimal
    invoice: str = ""


@dataclass(frozen=True)
class AccessCut:
    """An access segment removed (`new_end` None) or cut at `new_end`."""

    commit_id: str
    name: str
    kind: str  # PREPAID | POSTPAID | CREDIT
    segment_id: str
    amount: Decimal  # granted, in the commit's unit (USD cents)
    unused: Decimal  # what its ledger holds now: expires at the cut (0 when removed)
    starting_at: datetime
    ending_before: datetime
    new_end: datetime | None
    credit_type: Any = None  # a custom pricing unit of the commit; None: the contract's


@dataclass(frozen=True)
class DraftEffect:
    """What the move does to one draft invoice (invoicing applies it): voided, shortened to
    the new end, or recomputed without the removed items."""

    invoice_id: str
    type: str  # USAGE | SCHEDULED
    period_start: datetime
    period_end: datetime
    total: Decimal
    effect: str  # voided | shortened | recomputed


@dataclass(frozen=True)
class EndDatePlan:
    end: datetime | None
    charges: tuple[Trimmed, ...] = ()
    invoice_items: tuple[Trimmed, ...] = ()
    access: tuple[AccessCut, ...] = ()
    kept: tuple[Trimmed, ...] = ()
    drafts: tuple[DraftEffect, ...] = ()
    archived: tuple[tuple[str, str], ...] = ()  # (commit id, name): no access left
    discounts: tuple[Trimmed, ...] = ()

    @property
    def trims(self) -> bool:
        return bool(self.charges or self.invoice_items or self.access or self.discounts)

    @property
    def shows(self) -> bool:
        """Whether a person should see it before it applies."""
        return self.trims or bool(self.kept or self.drafts)

    def fingerprint(self) -> str:
        """Identifies the plan: a confirmation applies only the plan that was shown."""
        body = {"end": iso(self.end), **plan_to_wire(self)}
        drafts = [(d.invoice_id, d.effect) for d in self.drafts]
        text = json.dumps([body, drafts], sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:20]


def _name(row: Any) -> str:
    return row.name or row.product.name


def _trimmed(kind: str, owner: Any, item: Any, finalized: dict[datetime, str]) -> Trimmed:
    return Trimmed(kind, str(owner.public_id), _name(owner), str(item.public_id),
                   item.timestamp, item.amount, finalized.get(item.timestamp, ""))  # fmt: skip


def _items(
    contract: Contract, end: datetime, emptied: set[str]
) -> tuple[list[Trimmed], list[Trimmed], list[Trimmed], list[Trimmed]]:
    """Scheduled charge, commit invoice and discount items to remove (dated at or after the
    end, or of a commit archived for having no access left), and those a finalized invoice
    keeps. A customer-level commit invoiced on this contract loses its items dated then too:
    they would land on the ended contract's scheduled invoices (its access is the customer's,
    not the contract's, and stays)."""
    finalized = finalized_scheduled_invoices(contract)
    charges, invoice_items, discounts, kept = [], [], [], []
    for item in (
        ScheduledChargeItem.objects.filter(
            charge__contract=contract, charge__archived_at__isnull=True, timestamp__gte=end
        )
        .select_related("charge__product")
        .order_by("timestamp", "pk")
    ):
        row = _trimmed("scheduled_charge", item.charge, item, finalized)
        (kept if row.invoice else charges).append(row)
    customer_level = Q(commit__contract__isnull=True, commit__invoice_contract=contract,
                       commit__do_not_invoice=False, timestamp__gte=end)  # fmt: skip
    for item in CommitInvoiceItem.objects.filter(
        (Q(timestamp__gte=end) | Q(commit__public_id__in=emptied)) & Q(commit__contract=contract)
        | customer_level,
        commit__archived_at__isnull=True, commit__kind=CommitKind.PREPAID,
    ).select_related("commit__product").order_by("timestamp", "pk"):  # fmt: skip
        kind = "commit" if item.commit.contract_id else "customer_commit"
        row = _trimmed(kind, item.commit, item, finalized)
        (kept if row.invoice else invoice_items).append(row)
    for item in (
        DiscountItem.objects.filter(discount__contract=contract, timestamp__gte=end)
        .select_related("discount__product")
        .order_by("timestamp", "pk")
    ):
        row = _trimmed("discount", item.discount, item, finalized)
        (kept if row.invoice else discounts).append(row)
    return charges, invoice_items, discounts, kept


def _draft_ids() -> Q:
    from django.apps import apps

    invoice_model = apps.get_model("invoicing", "Invoice")  # invoicing sits above contracts
    return Q(invoice_public_id__in=invoice_model.objects.filter(status="DRAFT").values("public_id"))


def _access(contract: Contract, end: datetime, field: str) -> tuple[list[AccessCut], dict]:
    """The segments to remove or cut, and the commits left with no access ({id: name}): those
    are archived, and what they were still to invoice goes with them."""
    cuts = []
    provisional = Q(type=LedgerEntryType.SEGMENT_START) | (
        Q(type=LedgerEntryType.USAGE_DEDUCTION) & _draft_ids()
    )
    for segment in (
        AccessSegment.objects.filter(
            commit__contract=contract, commit__archived_at__isnull=True, ending_before__gt=end
        )
        .select_related("commit__product", "commit__access_credit_type")
        .order_by("starting_at", "pk")
    ):
        commit, ledger = segment.commit, segment.ledger.all()
        what = {"name": f"'{_name(commit)}'", "start": iso(segment.starting_at), "field": field}
        if segment.starting_at >= end:
            lasting = ledger.exclude(provisional).order_by("timestamp", "pk").first()
            if lasting is not None:
                raise ApplicationError(SEGMENT_KEEPS.format(what=LASTING[lasting.type], **what))
            unused = Decimal(0)
        else:
            closing = Q(
                type__in=[LedgerEntryType.EXPIRATION, LedgerEntryType.ROLLOVER], amount__lt=0
            )
            if ledger.filter(closing).exists():
                raise ApplicationError(
                    SEGMENT_CLOSED.format(end=iso(segment.ending_before), **what)
                )
            unused = max(sum((e.amount for e in ledger), Decimal(0)), Decimal(0))
        cuts.append(AccessCut(
            str(commit.public_id), _name(commit), commit.kind, str(segment.public_id),
            segment.amount, unused, segment.starting_at, segment.ending_before,
            None if segment.starting_at >= end else end, commit.access_credit_type,
        ))  # fmt: skip
    touched = {c.commit_id: c.name for c in cuts}
    kept = AccessSegment.objects.filter(commit__public_id__in=touched, starting_at__lt=end)
    left = {str(i) for i in kept.values_list("commit__public_id", flat=True)}
    return cuts, {commit_id: name for commit_id, name in touched.items() if commit_id not in left}


def _owner(line: Any) -> str:
    """The term a SCHEDULED invoice line bills: its charge, commit or discount ("" for another)."""
    owner = line.scheduled_charge_public_id or line.commit_public_id
    return str(owner or (line.explanation or {}).get("discount_id", ""))


def _drafts(contract: Contract, end: datetime, removed: list[Trimmed]) -> list[DraftEffect]:
    """What invoicing will do to each draft (contract_drafts_refresh does it)."""
    from django.apps import apps

    invoice_model = apps.get_model("invoicing", "Invoice")  # invoicing sits above contracts
    gone = {(r.owner_id, r.timestamp) for r in removed}
    effects = []
    touched = Q(type="USAGE", period_end__gt=end) | Q(
        type="SCHEDULED", period_start__in={r.timestamp for r in removed}
    )
    drafts = invoice_model.objects.filter(touched, contract=contract, status="DRAFT")
    drafts = drafts.prefetch_related("lines")
    for invoice in drafts.order_by("period_start", "pk"):
        if invoice.type == "USAGE":
            effect = "voided" if invoice.period_start >= end else "shortened"
        else:
            owners = [_owner(line) for line in invoice.lines.all()]
            left = [o for o in owners if (o, invoice.period_start) not in gone]
            effect = "recomputed" if left else "voided"
        effects.append(DraftEffect(
            str(invoice.public_id), invoice.type, invoice.period_start, invoice.period_end,
            invoice.total, effect,
        ))  # fmt: skip
    return effects


def end_date_plan(contract: Contract, end: datetime | None, *, field: str) -> EndDatePlan:
    """What setting the end to `end` trims; reads only. Refusals name `field`."""
    if end is None:
        return EndDatePlan(end=None)
    access, emptied = _access(contract, end, field)
    charges, invoice_items, discounts, kept = _items(contract, end, set(emptied))
    drafts = _drafts(contract, end, charges + invoice_items + discounts)
    return EndDatePlan(end, tuple(charges), tuple(invoice_items), tuple(access), tuple(kept),
                       tuple(drafts), tuple(emptied.items()), tuple(discounts))  # fmt: skip


def end_date_apply(plan: EndDatePlan, *, field: str) -> None:
    """Trim what the plan says (computed in the same transaction, under the contract's lock)."""
    for row in plan.charges:
        ScheduledChargeItem.objects.get(public_id=row.item_id).delete()  # one by one: audited
    for row in plan.invoice_items:
        CommitInvoiceItem.objects.get(public_id=row.item_id).delete()
    for row in plan.discounts:
        DiscountItem.objects.get(public_id=row.item_id).delete()
    for cut in plan.access:
        segment = AccessSegment.objects.get(public_id=cut.segment_id)
        if cut.new_end is None:
            # Only provisional draws of drafts are left on it (checked by the plan): those
            # drafts are voided or recomputed right after, in the same transaction.
            segment.ledger.filter(type=LedgerEntryType.USAGE_DEDUCTION).delete()
            segment_remove(segment, Reader({}), field)
        else:
            segment_update(segment, end=cut.new_end)
    for commit in Commit.objects.filter(public_id__in=[i for i, _name in plan.archived]):
        commit.archived_at = timezone.now()
        commit.save(update_fields=["archived_at", "updated_at"])


OWNER_KEYS = {"scheduled_charge": "scheduled_charge_id", "discount": "discount_id"}


def _trimmed_to_wire(row: Trimmed) -> dict[str, Any]:
    owner = OWNER_KEYS.get(row.kind, "commit_id")
    data = {owner: row.owner_id, "name": row.name, "id": row.item_id,
            "timestamp": iso(row.timestamp), "amount": number(row.amount)}  # fmt: skip
    return {**data, "invoice_number": row.invoice} if row.invoice else data


def _cut_to_wire(cut: AccessCut) -> dict[str, Any]:
    data = {"commit_id": cut.commit_id, "name": cut.name, "id": cut.segment_id,
            "amount": number(cut.amount), "starting_at": iso(cut.starting_at),
            "ending_before": iso(cut.ending_before)}  # fmt: skip
    if cut.new_end is not None:
        data.update(ending_before=iso(cut.new_end), previous_ending_before=iso(cut.ending_before))
    if cut.credit_type is not None:
        data["credit_type_id"] = str(cut.credit_type.public_id)
    return data


def plan_to_wire(plan: EndDatePlan) -> dict[str, Any]:
    """The trim as the edit records it (`end_date_trim`: an extension of Metronome's edit
    record; the SDK keeps unknown keys). Empty lists are left out; nothing trimmed is {}."""
    lists = {
        "scheduled_charge_items_removed": [_trimmed_to_wire(r) for r in plan.charges],
        "commit_invoice_items_removed": [
            _trimmed_to_wire(r) for r in plan.invoice_items if r.kind == "commit"
        ],
        "customer_commit_invoice_items_removed": [
            _trimmed_to_wire(r) for r in plan.invoice_items if r.kind == "customer_commit"
        ],
        "discount_items_removed": [_trimmed_to_wire(r) for r in plan.discounts],
        "access_schedule_items_removed": [
            _cut_to_wire(c) for c in plan.access if c.new_end is None
        ],
        "access_schedule_items_cut": [_cut_to_wire(c) for c in plan.access if c.new_end],
        "commits_archived": [{"commit_id": i, "name": name} for i, name in plan.archived],
        "kept_on_finalized_invoices": [_trimmed_to_wire(r) for r in plan.kept],
    }
    return {key: rows for key, rows in lists.items() if rows}
