"""The customer overview at the top of the customer page: spend this period and last, commit and
credit balances, alerts in alarm, open drafts and lifetime billings.

Reports sits above contracts, invoicing and alerts, so it may read them all; customers may not.
Figures are grouped by credit type (a customer may be billed in USD and in a custom unit), in
the credit type's unit (USD cents); templates show them with the `money` filter.

Definitions (the page says them too):
- this period: for each active contract, its usage statement period that contains now; last
  period: the statement period before it. Without an active contract, the calendar month (UTC).
- spend: the charges of those periods' usage statements before commits and credits (the
  statements' subtotal), DRAFT and FINALIZED (as last computed), VOID left out;
- invoiced: what the customer is billed for the period after commits and credits: the totals
  of those usage statements plus the scheduled invoices (commit purchases, scheduled charges,
  threshold charges) issued in the period, VOID left out;
- open drafts: totals of all DRAFT invoices; lifetime billings: totals of all FINALIZED ones.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone

from alerts.models import AlertStatus, CustomerAlert
from billing_console.lib.periods import Period, add_months
from contracts.models import Contract
from invoicing.models import Invoice, InvoiceStatus, InvoiceType, LineItem
from invoicing.services import contract_statement_periods
from pricing.models import CreditType
from reports.overview_balances import BalanceRow, balance_rows, remaining_by_credit_type

Money = tuple[Any, Decimal]  # (credit type, amount in its unit)


@dataclass
class Window:
    """One contract's statement period (or the calendar month, without a contract)."""

    contract: Contract | None
    period: Period


@dataclass
class PeriodFigures:
    windows: list[Window]
    spend: list[Money] = field(default_factory=list)
    invoiced: list[Money] = field(default_factory=list)

    @property
    def period(self) -> Period | None:
        """The period, when every contract's is the same one (else see `windows`)."""
        periods = {w.period for w in self.windows}
        return periods.pop() if len(periods) == 1 else None

    @property
    def calendar(self) -> bool:
        return any(w.contract is None for w in self.windows)


@dataclass
class Overview:
    customer: Any
    now: datetime
    this_period: PeriodFigures
    last_period: PeriodFigures
    drafts: list[Money]
    draft_count: int
    lifetime: list[Money]
    alerts: list[CustomerAlert]
    balances: list[BalanceRow]
    remaining: list[Money]
    contracts: list[Contract]  # active now: the quick actions' targets

    @property
    def active_balances(self) -> list[BalanceRow]:
        return [row for row in self.balances if row.status != "expired"]

    @property
    def expired_balances(self) -> list[BalanceRow]:
        return [row for row in self.balances if row.status == "expired"]


def calendar_month(moment: datetime) -> Period:
    """The calendar month (UTC) containing `moment`: "this period" without an active contract."""
    start = moment.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return Period(start, add_months(start, 1))


def statement_windows(
    customer: Any, now: datetime
) -> tuple[list[Contract], list[Window], list[Window]]:
    """Active contracts, and each one's statement period containing `now` and the one before."""
    contracts = list(
        Contract.objects.filter(customer=customer, archived_at__isnull=True, starting_at__lte=now)
        .exclude(ending_before__lte=now)
        .select_related("rate_card")
        .order_by("-starting_at", "pk")
    )
    this, last = [], []
    for contract in contracts:
        periods = contract_statement_periods(contract, now)
        if periods and periods[-1].contains(now):
            this.append(Window(contract, periods[-1]))
            if len(periods) > 1:
                last.append(Window(contract, periods[-2]))
    if not this:  # no statement runs now: fall back on the calendar month
        month = calendar_month(now)
        this = [Window(None, month)]
        last = [Window(None, calendar_month(add_months(month.start, -1)))]
    return contracts, this, last


def _in_windows(windows: list[Window], prefix: str = "") -> Q:
    """Invoices of these windows: the usage statement of each contract's period, and scheduled
    invoices issued in it (by any contract of the customer, for the calendar month)."""
    condition = Q(pk__in=[])
    for window in windows:
        start, end = window.period.start, window.period.end
        scheduled = Q(**{f"{prefix}type": InvoiceType.SCHEDULED,
                         f"{prefix}issued_at__gte": start, f"{prefix}issued_at__lt": end})  # fmt: skip
        if window.contract is None:
            usage = Q(**{f"{prefix}type": InvoiceType.USAGE,
                         f"{prefix}period_start__gte": start, f"{prefix}period_start__lt": end})  # fmt: skip
            condition |= usage | scheduled
            continue
        usage = Q(**{f"{prefix}type": InvoiceType.USAGE, f"{prefix}period_start": start})
        condition |= Q(**{f"{prefix}contract_id": window.contract.pk}) & (usage | scheduled)
    return condition


def _invoice_figures(customer: Any, this: list[Window], last: list[Window]) -> list[dict]:
    """One query: per credit type, spend and invoiced in each period, drafts and lifetime."""
    usage = Q(type=InvoiceType.USAGE)
    this_q, last_q = _in_windows(this), _in_windows(last)
    return list(
        Invoice.objects.filter(customer=customer)
        .exclude(status=InvoiceStatus.VOID)
        .values("credit_type_id")
        .annotate(
            this_spend=Sum("subtotal", filter=this_q & usage),
            this_invoiced=Sum("total", filter=this_q),
            this_count=Count("pk", filter=this_q),
            last_spend=Sum("subtotal", filter=last_q & usage),
            last_invoiced=Sum("total", filter=last_q),
            last_count=Count("pk", filter=last_q),
            drafts=Sum("total", filter=Q(status=InvoiceStatus.DRAFT)),
            draft_count=Count("pk", filter=Q(status=InvoiceStatus.DRAFT)),
            lifetime=Sum("total", filter=Q(status=InvoiceStatus.FINALIZED)),
        )
        .order_by()
    )


def _money(
    rows: list[dict], key: str, types: dict[int, Any], when: str | None = None
) -> list[Money]:
    """The non-empty figures of one column, fiat credit types first."""
    out = [
        (types[row["credit_type_id"]], row[key] or Decimal(0))
        for row in rows
        if row[when or key] and row["credit_type_id"] in types
    ]
    return sorted(out, key=lambda item: (not item[0].is_fiat, item[0].name))


def alerts_in_alarm(customer: Any) -> list[CustomerAlert]:
    """The customer's alert states in alarm (one per group value of a per-value alert)."""
    return list(
        CustomerAlert.objects.filter(
            customer=customer, status=AlertStatus.IN_ALARM, alert__archived_at__isnull=True
        )
        .select_related("alert__credit_type")
        .order_by("alert__name", "scope")
    )


def customer_overview(customer: Any, *, now: datetime | None = None) -> Overview:
    """Everything the overview shows, in a fixed number of queries."""
    now = now or timezone.now()
    contracts, this, last = statement_windows(customer, now)
    rows = _invoice_figures(customer, this, last)
    types = CreditType.objects.in_bulk([row["credit_type_id"] for row in rows])
    balances = balance_rows(customer, now)
    this_figures = PeriodFigures(
        this, _money(rows, "this_spend", types, "this_count"),
        _money(rows, "this_invoiced", types, "this_count"),
    )  # fmt: skip
    last_figures = PeriodFigures(
        last, _money(rows, "last_spend", types, "last_count"),
        _money(rows, "last_invoiced", types, "last_count"),
    )  # fmt: skip
    return Overview(
        customer=customer,
        now=now,
        this_period=this_figures,
        last_period=last_figures,
        drafts=_money(rows, "drafts", types, "draft_count"),
        draft_count=sum(row["draft_count"] for row in rows),
        lifetime=_money(rows, "lifetime", types),
        alerts=alerts_in_alarm(customer),
        balances=balances,
        remaining=remaining_by_credit_type(balances),
        contracts=contracts,
    )


def spend_by_product(customer: Any, windows: list[Window]) -> list[dict]:
    """This period's usage statement charges (before commits and credits) and quantities per
    product and credit type, from the statements' lines as last computed; largest first."""
    lines = (
        LineItem.objects.filter(
            _in_windows(windows, prefix="invoice__"),
            invoice__customer=customer,
            invoice__type=InvoiceType.USAGE,
        )
        .exclude(invoice__status=InvoiceStatus.VOID)
        .exclude(type__startswith="APPLIED_")
        .values("invoice__credit_type_id", "product_id", "product__name", "product__public_id")
        .annotate(total=Sum("total"), quantity=Sum("quantity"))
        .order_by()
    )
    rows = list(lines)
    types = CreditType.objects.in_bulk([row["invoice__credit_type_id"] for row in rows])
    out = [
        {
            "credit_type": types[row["invoice__credit_type_id"]],
            "name": row["product__name"] or "Other charges",
            "product_id": row["product__public_id"],
            "total": row["total"] or Decimal(0),
            "quantity": row["quantity"],
        }
        for row in rows
    ]
    return sorted(out, key=lambda e: (not e["credit_type"].is_fiat, -e["total"], e["name"]))
