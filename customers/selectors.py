import uuid
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from django.db.models import Q, QuerySet, Sum

from billing_console.api import ApplicationError
from customers.models import Customer


def customer_list(
    *,
    search: str = "",
    archived: bool | None = False,
    customer_ids: list[str] | None = None,
    ingest_alias: str | None = None,
    salesforce_account_ids: list[str] | None = None,
) -> QuerySet[Customer]:
    """Customers with their aliases; archived=None means both active and archived."""
    qs = Customer.objects.prefetch_related("aliases")
    if archived is True:
        qs = qs.filter(archived_at__isnull=False)
    elif archived is False:
        qs = qs.filter(archived_at__isnull=True)
    if customer_ids:
        qs = qs.filter(public_id__in=[_uuid_or_none(c) for c in customer_ids if _uuid_or_none(c)])
    if ingest_alias:
        qs = qs.filter(aliases__alias=ingest_alias).distinct()
    if salesforce_account_ids:
        qs = qs.filter(salesforce_account_id__in=salesforce_account_ids)
    if search:
        term = search.strip()
        condition = Q(name__icontains=term) | Q(aliases__alias__icontains=term)
        if _uuid_or_none(term):
            condition |= Q(public_id=term)
        qs = qs.filter(condition).distinct()
    return qs


def customer_get(public_id: str) -> Customer:
    if not _uuid_or_none(public_id):
        raise ApplicationError(f"customer_id: no customer with id {public_id}.", "not_found")
    customer = Customer.objects.prefetch_related("aliases").filter(public_id=public_id).first()
    if customer is None:
        raise ApplicationError(f"customer_id: no customer with id {public_id}.", "not_found")
    return customer


def customer_aliases(customer: Customer) -> list[str]:
    return [a.alias for a in customer.aliases.all()]


def _uuid_or_none(value: str) -> str | None:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None


def customers_named(customer_refs) -> QuerySet:
    """The customers that events' customer_ids name: customer ids or active ingest aliases
    (the pks, as a subquery)."""
    ids = [found for ref in customer_refs if (found := _uuid_or_none(ref))]
    return Customer.objects.filter(
        Q(public_id__in=ids) | Q(aliases__alias__in=list(customer_refs), aliases__active=True)
    ).values("pk")


def customer_lifetime_billings(customers: list[Customer]) -> dict[int, list[tuple[Any, Decimal]]]:
    """Finalized invoice totals per customer and credit type (through the reverse relation,
    so customers needs no import of invoicing)."""
    rows = (
        Customer.objects.filter(pk__in=[c.pk for c in customers], invoices__status="FINALIZED")
        .values(
            "pk",
            "invoices__credit_type__name",
            "invoices__credit_type__is_fiat",
            "invoices__credit_type__currency_code",
        )
        .annotate(total=Sum("invoices__total"))
        .order_by("pk", "invoices__credit_type__name")
    )
    out: dict[int, list[tuple[Any, Decimal]]] = {}
    for row in rows:
        credit_type = SimpleNamespace(
            name=row["invoices__credit_type__name"],
            is_fiat=row["invoices__credit_type__is_fiat"],
            currency_code=row["invoices__credit_type__currency_code"],
        )
        out.setdefault(row["pk"], []).append((credit_type, row["total"]))
    return out
