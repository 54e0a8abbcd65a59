"""Invoice reads."""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from billing_console.api import ApplicationError
from contracts.models import Contract
from customers.models import Customer
from invoicing.models import Invoice, InvoiceStatus, LineItem

# A draft is recomputed on read when older than this: new usage shows within seconds.
DRAFT_FRESHNESS = timedelta(seconds=5)
# Statements a read may create (3 years of monthly ones); the background refresh makes the rest.
READ_MAX_NEW_STATEMENTS = 36


def invoice_list(
    *,
    customer: Customer,
    contract_id: str | None = None,
    status: str | None = None,
    starting_on: datetime | None = None,
    ending_before: datetime | None = None,
    credit_type_id: str | None = None,
    newest_first: bool = False,
) -> QuerySet[Invoice]:
    qs = Invoice.objects.filter(customer=customer).select_related(
        "credit_type", "contract__parent__customer", "customer", "regenerated_from", "external"
    )
    qs = qs.prefetch_related(
        Prefetch("lines", queryset=LineItem.objects.select_related("product")),
        "contract__reseller_royalties",  # invoicing.royalties: once per page, not per invoice
    )
    if contract_id:
        qs = qs.filter(contract__public_id=contract_id)
    if status:
        qs = qs.filter(status=status)
    if starting_on:
        qs = qs.filter(period_end__gt=starting_on)
    if ending_before:
        qs = qs.filter(period_start__lt=ending_before)
    if credit_type_id:
        qs = qs.filter(credit_type__public_id=credit_type_id)
    return (
        qs.order_by("-period_start", "-pk") if newest_first else qs.order_by("period_start", "pk")
    )


def invoice_get(*, customer: Customer, invoice_id: str) -> Invoice:
    import uuid

    try:
        uuid.UUID(str(invoice_id))
    except ValueError:
        raise ApplicationError(
            f"invoice_id: no invoice with id {invoice_id}.", "not_found"
        ) from None
    invoice = invoice_list(customer=customer).filter(public_id=invoice_id).first()
    if invoice is None:
        raise ApplicationError(f"invoice_id: no invoice with id {invoice_id}.", "not_found")
    return invoice


def customer_invoices_refresh(*, customer: Customer, now: datetime | None = None) -> None:
    """Bring each active contract's statements up to date before a read, cheaply: only when
    the current draft is missing or older than DRAFT_FRESHNESS."""
    from invoicing.services import contract_invoices_refresh

    now = now or timezone.now()
    for contract in Contract.objects.filter(
        customer=customer, archived_at__isnull=True, starting_at__lte=now
    ):
        latest = (
            Invoice.objects.filter(contract=contract, type="USAGE")
            .exclude(status=InvoiceStatus.VOID)
            .order_by("-period_start")
            .first()
        )
        current = latest is not None and latest.period_start <= now < latest.period_end
        fresh = (
            latest is not None and latest.computed_at and now - latest.computed_at < DRAFT_FRESHNESS
        )
        # Drafts computed as the contract was created (invoicing.new_contract) predate the usage
        # sent right after the create: reads in the contract's first seconds recompute.
        if fresh and latest.computed_at - contract.created_at < DRAFT_FRESHNESS:
            fresh = False
        if current and fresh:
            continue
        with transaction.atomic():
            busy = not Contract.objects.select_for_update(skip_locked=True).filter(pk=contract.pk)
            if busy and current:
                # Another request is bringing this contract up to date right now: read the
                # draft as it stands (seconds old) rather than queue behind it to redo the work.
                continue
            # A read creates a bounded number of statements; the background refresh the rest.
            contract_invoices_refresh(
                contract=contract, through=now, max_new=READ_MAX_NEW_STATEMENTS
            )
