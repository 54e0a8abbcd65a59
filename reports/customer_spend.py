"""The customers list's billing columns, for a whole page at once: spend this period and open
drafts, with the overview's definitions (reports/customer_overview.py), read set-based from the
invoices' stored totals rather than customer by customer.

- spend this period: the subtotals (before commits and credits) of the usage statements, DRAFT
  or FINALIZED, whose stored period [period_start, period_end) contains now, of contracts not
  archived; for a customer without an active contract, of the usage statements begun in the
  calendar month (UTC), as the overview falls back to it.
- open drafts: the totals of all DRAFT invoices.

Amounts are per credit type, in its stored unit (USD cents); the template shows them with
`money`. Sorting needs one number per customer: the sort keys add up the fiat amounts in major
units (so 1,000 JPY does not outrank $20.00); custom units are not money and count as 0.
Registered as the customers list's provider in reports/apps.py (customers/list_figures.py)."""

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from billing_console.lib.money import CURRENCY_EXPONENTS
from contracts.models import Contract
from customers.list_figures import Money
from invoicing.models import Invoice, InvoiceStatus, InvoiceType
from pricing.models import CreditType
from reports.customer_overview import calendar_month

AMOUNT = DecimalField(max_digits=28, decimal_places=12)


def spend_this_period(now: datetime) -> Q:
    """The invoices whose subtotals are a customer's spend this period (a filter on Invoice)."""
    active = Contract.objects.filter(
        customer=OuterRef("customer"), archived_at__isnull=True, starting_at__lte=now
    ).exclude(ending_before__lte=now)
    month = calendar_month(now)
    current = Q(contract__archived_at__isnull=True, period_start__lte=now, period_end__gt=now)
    fallback = ~Exists(active) & Q(period_start__gte=month.start, period_start__lt=month.end)
    return Q(type=InvoiceType.USAGE) & ~Q(status=InvoiceStatus.VOID) & (current | fallback)


OPEN_DRAFTS = Q(status=InvoiceStatus.DRAFT)


def _in_major_units(field: str) -> Case:
    """A fiat amount in major units (cents / 100, yen / 1, fils / 1000)."""
    by_exponent: dict[int, list[str]] = {}
    for code, exponent in CURRENCY_EXPONENTS.items():
        by_exponent.setdefault(exponent, []).append(code)
    return Case(
        *(
            When(credit_type__currency_code__in=codes, then=F(field) / Value(Decimal(10) ** e))
            for e, codes in sorted(by_exponent.items())
        ),
        default=F(field) / Value(Decimal(100)),
        output_field=AMOUNT,
    )


def _sort_key(condition: Q, field: str) -> Coalesce:
    per_customer = (
        Invoice.objects.filter(condition, customer=OuterRef("pk"), credit_type__is_fiat=True)
        .order_by()
        .values("customer")
        .annotate(amount=Sum(_in_major_units(field)))
        .values("amount")
    )
    return Coalesce(Subquery(per_customer, output_field=AMOUNT), Value(Decimal(0)), output_field=AMOUNT)  # fmt: skip


class CustomerListFigures:
    """The provider of customers/list_figures.py."""

    def with_sort_keys(self, customers: QuerySet, now: datetime) -> QuerySet:
        return customers.annotate(
            spend_sort=_sort_key(spend_this_period(now), "subtotal"),
            drafts_sort=_sort_key(OPEN_DRAFTS, "total"),
        )

    def figures(self, customers: Iterable[Any], now: datetime) -> dict[int, dict[str, list[Money]]]:
        """Two queries: the invoices' sums per customer and credit type, and the credit types."""
        spend = spend_this_period(now)
        rows = list(
            Invoice.objects.filter(customer__in=[c.pk for c in customers])
            .values("customer_id", "credit_type_id")
            .annotate(
                spend=Sum("subtotal", filter=spend),
                spend_count=Count("pk", filter=spend),
                drafts=Sum("total", filter=OPEN_DRAFTS),
                drafts_count=Count("pk", filter=OPEN_DRAFTS),
            )
            .filter(Q(spend_count__gt=0) | Q(drafts_count__gt=0))
            .order_by()
        )
        types = CreditType.objects.in_bulk({row["credit_type_id"] for row in rows})
        out: dict[int, dict[str, list[Money]]] = {}
        for row in rows:
            figures = out.setdefault(row["customer_id"], {"spend": [], "drafts": []})
            unit = types[row["credit_type_id"]]
            for key in ("spend", "drafts"):
                if row[f"{key}_count"]:
                    figures[key].append((unit, row[key] or Decimal(0)))
        for figures in out.values():  # fiat first, then by name, as the overview lists them
            for key in figures:
                figures[key].sort(key=lambda m: (not m[0].is_fiat, m[0].name))
        return out
