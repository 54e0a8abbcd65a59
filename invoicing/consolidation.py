"""Consolidated invoices of account hierarchies (the wire's USAGE_CONSOLIDATED).

A parent contract whose `parent_behavior.invoice_consolidation_type` is CONCATENATE gets, for
each of its usage statement periods in which a child contract with `usage_statement_behavior`
CONSOLIDATE is in force, one consolidated invoice: the parent's own statement for the period,
then each such child's statements that end within it (children in creation order), line for
line. Each copied line names its `origin` (customer, contract, invoice and line it was copied
from) and the invoice lists its `constituent_invoices`. Nothing is re-rated or re-rounded: the
lines were rounded once on the statements, and the consolidated total is the sum of theirs.

The consolidated invoice is what the parent is billed: its constituents are not sent to a
billing provider on their own (billed_contract). A draft is rebuilt whenever the parent's
statements are refreshed, after the children's statements of the period are brought up to
date; it is finalized once every constituent is (the month close finalizes it after them;
finalizing it finalizes its draft constituents first). A finalized consolidated invoice is
never rebuilt: to correct a constituent, void and regenerate it, then the consolidated invoice.
"""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from billing_console.api import ApplicationError
from billing_console.lib.periods import Period
from contracts.models import Contract
from contracts.terms.hierarchy import consolidates_onto_parent, payer_contract
from invoicing.failures import statement_failed
from invoicing.models import Invoice, InvoiceStatus, InvoiceType, LineItem

CONSOLIDATED = InvoiceType.USAGE_CONSOLIDATED
# What a copied line keeps of its original: all it says, not where it sits.
COPIED = [
    f.attname
    for f in LineItem._meta.concrete_fields
    if f.name not in ("id", "public_id", "invoice", "position", "origin")
]
NOTHING_TO_CONSOLIDATE = "id: invoice {id}'s period has no consolidating child contract any more."
WAITING = "waiting for the statement of {customer} from {start}: {error}"


def _children(parent: Contract, period: Period) -> list[Contract]:
    """The parent's children whose statements go on its consolidated invoice in `period`."""
    return list(
        parent.children.filter(
            Q(ending_before__isnull=True) | Q(ending_before__gt=period.start),
            archived_at__isnull=True,
            hierarchy_usage_statement_behavior="CONSOLIDATE",
            starting_at__lt=period.end,
        )
        .select_related("customer", "rate_card__fiat_credit_type")
        .order_by("pk")
    )


def _child_periods(child: Contract, period: Period) -> list[Period]:
    """The child's statement periods that end within the parent's `period`."""
    from invoicing.services import contract_statement_periods

    return [
        p
        for p in contract_statement_periods(child, period.end)
        if period.start < p.end <= period.end
    ]


def _live(contract: Contract, kind: str, start: datetime, lock: bool = False) -> Invoice | None:
    rows = Invoice.objects.filter(contract=contract, type=kind, period_start=start)
    rows = rows.select_for_update() if lock else rows
    return rows.exclude(status=InvoiceStatus.VOID).first()


def _statement(child: Contract, period: Period, recompute: bool) -> Invoice | None:
    """The child's statement for `period`, computed when it has none (or, with `recompute`,
    when it is a draft); a failure is recorded on its draft, as a refresh records it."""
    from invoicing.services import invoice_compute_usage

    found = _live(child, InvoiceType.USAGE, period.start)
    if found is not None and not (recompute and found.is_draft):
        return found
    try:
        return invoice_compute_usage(contract=child, period=period)
    except Exception as error:  # one child's failure is recorded on its draft, never spread
        return statement_failed(contract=child, period=period, error=error) or _live(
            child, InvoiceType.USAGE, period.start
        )


@transaction.atomic
def consolidated_build(
    *, parent: Contract, period: Period, recompute: bool = False, if_free: bool = False
) -> Invoice | None:
    """Create or rebuild the draft consolidated invoice of `parent` for its statement `period`
    (children's statements missing are computed; with `recompute`, their drafts too). None
    when the period has no consolidating child or the parent has no statement for it yet (or,
    `if_free`, when another transaction holds the parent); a finalized one is returned as it is."""
    from invoicing.services import contract_credit_type

    # The parent is locked before its children (as a refresh does). `if_free`: the caller holds
    # a child already, so waiting for the parent could deadlock with a refresh of the parent.
    locked = Contract.objects.select_for_update(skip_locked=if_free).filter(pk=parent.pk)
    if locked.first() is None:
        return None
    children = _children(parent, period)
    invoice = _live(parent, CONSOLIDATED, period.start, lock=True)
    if invoice is not None and not invoice.is_draft:
        return invoice
    if not children:
        return invoice
    own = _statement(parent, period, recompute=False)  # computed first when missing
    if own is None:
        return invoice
    constituents = [own] + [
        statement
        for child in children
        for child_period in _child_periods(child, period)
        if (statement := _statement(child, child_period, recompute)) is not None
    ]
    if invoice is None:
        invoice = Invoice.objects.create(
            customer=parent.customer, contract=parent, credit_type=contract_credit_type(parent),
            type=CONSOLIDATED, period_start=period.start, period_end=period.end,
            issued_at=period.end,
        )  # fmt: skip
    _concatenate(invoice, constituents)
    return invoice


def _concatenate(invoice: Invoice, constituents: list[Invoice]) -> None:
    """Replace the draft's lines with its constituents' (copied, naming their origin), link
    the constituents to it, and total it."""
    invoice.lines.all().delete()
    rows: list[LineItem] = []
    for statement in constituents:
        for line in statement.lines.order_by("position", "pk"):
            rows.append(LineItem(
                invoice=invoice, position=len(rows), **{f: getattr(line, f) for f in COPIED},
                origin={
                    "contract_id": str(statement.contract.public_id),
                    "customer_id": str(statement.customer.public_id),
                    "invoice_id": str(statement.public_id),
                    "line_item_id": str(line.public_id),
                },
            ))  # fmt: skip
    LineItem.objects.bulk_create(rows)
    keep = {statement.pk for statement in constituents}
    for gone in invoice.constituents.exclude(pk__in=keep):  # voided since the last build
        gone.consolidated_into = None
        gone.save(update_fields=["consolidated_into", "updated_at"])
    for statement in constituents:
        if statement.consolidated_into_id != invoice.pk:
            statement.consolidated_into = invoice
            statement.save(update_fields=["consolidated_into", "updated_at"])
    invoice.subtotal = sum((s.subtotal for s in constituents), Decimal(0))
    invoice.total = sum((row.total for row in rows), Decimal(0))
    invoice.computed_at = timezone.now()
    failed = next((s for s in constituents if s.is_draft and s.error), None)
    invoice.error = _waiting(failed) if failed is not None else ""
    invoice.error_at = failed.error_at if failed is not None else None
    invoice.save()


def _waiting(statement: Invoice) -> str:
    start = statement.period_start
    return WAITING.format(
        customer=statement.customer.name,
        start=f"{start:%b} {start.day}, {start.year}",
        error=statement.error,
    )


def consolidated_refresh(*, contract: Contract, through: datetime) -> list[Invoice]:
    """After `contract`'s statements were refreshed: when it is a consolidating parent, its
    consolidated drafts rebuilt (its children's statements of those periods first)."""
    if contract.invoice_consolidation_type != "CONCATENATE":
        return []
    children = contract.children.filter(
        archived_at__isnull=True, hierarchy_usage_statement_behavior="CONSOLIDATE"
    ).values_list("pk", "starting_at")
    if not children:
        return []
    from invoicing.recurring_due import recurring_issue_due

    # A child whose issuance fails has it recorded by its own refresh, and stays unfinalized.
    recurring_issue_due(contract_ids=[pk for pk, _start in children], now=through)
    first = min(start for _pk, start in children)  # no consolidated invoice before a child
    final = Invoice.objects.filter(contract=contract, type=CONSOLIDATED).exclude(
        status__in=[InvoiceStatus.DRAFT, InvoiceStatus.VOID]
    )
    statements = (
        Invoice.objects.filter(
            contract=contract,
            type=InvoiceType.USAGE,
            period_start__lte=through,
            period_end__gt=first,
        )
        .exclude(status=InvoiceStatus.VOID)
        .exclude(period_start__in=final.values("period_start"))
        .order_by("period_start")
    )
    built = [
        consolidated_build(
            parent=contract,
            period=Period(statement.period_start, statement.period_end),
            recompute=True,
        )
        for statement in statements
    ]
    return [invoice for invoice in built if invoice is not None]


def consolidated_regenerate(voided: Invoice) -> Invoice:
    """The consolidated invoice rebuilt for the period of `voided` (already void) from its
    constituents as they stand (invoicing.services.invoice_regenerate)."""
    built = consolidated_build(parent=voided.contract, period=_period(voided))
    if built is None:
        raise ApplicationError(NOTHING_TO_CONSOLIDATE.format(id=voided.public_id), "conflict")
    return built


# -- the close (invoicing.close) ----------------------------------------------------------------


def constituents_to_close(invoice_ids: list[int]) -> list[int]:
    """The draft statements to finalize with the consolidated drafts among `invoice_ids`
    (finalizing a consolidated invoice finalizes what it concatenates)."""
    ids: list[int] = []
    for draft in Invoice.objects.filter(
        pk__in=invoice_ids, type=CONSOLIDATED, status=InvoiceStatus.DRAFT
    ).select_related("contract__customer"):
        built = consolidated_build(parent=draft.contract, period=_period(draft))
        if built is not None:
            drafts = built.constituents.filter(status=InvoiceStatus.DRAFT)
            ids += drafts.values_list("pk", flat=True)
    return ids


def consolidated_close(*, invoice_ids: list[int], finalized: list[Invoice]) -> list[Invoice]:
    """After the close finalized `finalized`: each consolidated invoice they belong to (or
    asked for among `invoice_ids`) rebuilt, and finalized when every constituent is final."""
    from invoicing.services import next_numbers

    targets: dict[tuple[int, datetime], tuple[Contract, Period]] = {}
    for draft in Invoice.objects.filter(
        pk__in=invoice_ids, type=CONSOLIDATED, status=InvoiceStatus.DRAFT
    ).select_related("contract__customer"):
        targets[(draft.contract_id, draft.period_start)] = (draft.contract, _period(draft))
    asked = set(targets)
    for statement in finalized:
        found = _parent_period(statement)
        if found is not None:
            targets.setdefault((found[0].pk, found[1].start), found)
    done = []
    for key, (parent, period) in sorted(targets.items(), key=lambda t: (t[0][1], t[0][0])):
        invoice = consolidated_build(parent=parent, period=period, if_free=key not in asked)
        if invoice is None or not invoice.is_draft or invoice.error:
            continue
        if invoice.constituents.filter(status=InvoiceStatus.DRAFT).exists():
            continue  # a constituent is still open (its period has not closed)
        invoice.status, invoice.finalized_at = InvoiceStatus.FINALIZED, timezone.now()
        invoice.number = next_numbers("INV", 1)[0]
        invoice.customer_name = parent.customer.name
        invoice.save()
        done.append(invoice)
    return done


def _parent_period(statement: Invoice) -> tuple[Contract, Period] | None:
    """The parent and period of the consolidated invoice a usage statement belongs on."""
    if statement.type != InvoiceType.USAGE:
        return None
    contract = statement.contract
    if contract.invoice_consolidation_type == "CONCATENATE":
        return contract, _period(statement)
    if not consolidates_onto_parent(contract):
        return None
    from invoicing.services import contract_statement_periods

    parent = Contract.objects.select_related("customer", "rate_card").get(pk=contract.parent_id)
    end = statement.period_end  # the parent's period it ends in (none once the parent ended)
    periods = [p for p in contract_statement_periods(parent, end) if p.start < end <= p.end]
    return (parent, periods[-1]) if periods else None


def _period(invoice: Invoice) -> Period:
    return Period(invoice.period_start, invoice.period_end)


# -- who is billed ------------------------------------------------------------------------------


def billed_contract(invoice: Invoice) -> Contract | None:
    """The contract whose billing configuration collects `invoice`: its payer's (the parent's
    for a child with payer PARENT, and for a consolidated invoice); None for a statement that
    is collected through a consolidated invoice instead."""
    if invoice.type == InvoiceType.USAGE and _on_consolidated(invoice):
        return None
    return payer_contract(invoice.contract)


def _on_consolidated(statement: Invoice) -> bool:
    """Whether the statement is on a live consolidated invoice, or belongs on one still to be
    built (a consolidating child's ending within its live parent's term, or a consolidating
    parent's for a period with a consolidating child)."""
    into = statement.consolidated_into
    if into is not None:
        return into.status != InvoiceStatus.VOID
    found = _parent_period(statement)
    return found is not None and bool(_children(*found))


def hierarchy_invoice_to_wire(invoice: Invoice) -> dict[str, Any]:
    """The SDK Invoice's `payer` (on a child contract's invoices and on consolidated ones:
    the contract and customer that pay it) and `constituent_invoices` (consolidated ones)."""
    data: dict[str, Any] = {}
    contract = invoice.contract
    if invoice.type == CONSOLIDATED or contract.parent_id is not None:
        payer = payer_contract(contract)
        data["payer"] = _ref(payer.public_id, payer.customer.public_id)
    if invoice.type == CONSOLIDATED and invoice.pk is not None:
        data["constituent_invoices"] = [
            {**_ref(c.contract.public_id, c.customer.public_id), "invoice_id": str(c.public_id)}
            for c in invoice.constituents.select_related("contract", "customer").order_by(
                "contract_id", "period_start", "pk"
            )
        ]
    return data


def _ref(contract_id: Any, customer_id: Any) -> dict[str, str]:
    return {"contract_id": str(contract_id), "customer_id": str(customer_id)}


# -- the console's invoice page -----------------------------------------------------------------


def invoice_hierarchy_context(invoice: Invoice) -> dict[str, Any]:
    """What the invoice page says of a hierarchy: who pays (`payer`, a contract, when not the
    invoice's own), the consolidated invoice a statement is billed on (`consolidated_into`),
    and for a consolidated invoice its constituents with their lines (`sections`)."""
    contract = invoice.contract
    payer = payer_contract(contract) if contract.parent_id is not None else contract
    context: dict[str, Any] = {"payer": payer if payer.pk != contract.pk else None}
    if invoice.consolidated_into_id is not None:
        context["consolidated_into"] = invoice.consolidated_into
    if invoice.type != CONSOLIDATED:
        return context
    by_invoice: dict[str, list[LineItem]] = {}
    for line in invoice.lines.all():
        by_invoice.setdefault((line.origin or {}).get("invoice_id", ""), []).append(line)
    context["sections"] = [
        {
            "statement": statement,
            "charges": [x for x in lines if not _applied(x)],
            "applied": [x for x in lines if _applied(x)],
            "total": sum((x.total for x in lines), Decimal(0)),  # as copied onto this invoice
        }
        for statement in invoice.constituents.select_related("customer", "contract").order_by(
            "contract_id", "period_start", "pk"
        )
        for lines in [by_invoice.get(str(statement.public_id), [])]
    ]
    context["applied_total"] = invoice.total - invoice.subtotal  # commits and credits, negative
    return context


def _applied(line: LineItem) -> bool:
    return line.type.startswith("APPLIED_")
