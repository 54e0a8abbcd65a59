"""Contract datasets: contracts, customers' contracts (plans) with what they billed, and commits
and credits with their balances.

Amounts are in the contract's credit type unit (USD cents by default; a custom-unit commit's in
its unit), named by the `credit_type` column; reports.datasets.major_units adds them in major
units (dollars). The date range selects contracts, or commits' access segments, that
overlap it.
"""

from datetime import datetime, timedelta
from decimal import Decimal
from functools import cache

from django.db.models import (
    Count,
    DecimalField,
    Exists,
    IntegerField,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from contracts.models import (
    AccessSegment,
    Commit,
    CommitKind,
    Contract,
    LedgerEntry,
    Override,
    ScheduledCharge,
    Subscription,
)
from contracts.selectors import commit_balance
from contracts.terms.ledger import commit_available_balance
from invoicing.models import Invoice, InvoiceStatus
from pricing.models import USD_CENTS_ID, CreditType
from reports.datasets.base import (
    Filters,
    changed,
    columns,
    overlapping,
    public_id,
    queryset_dataset,
    scoped,
)


def _count(model: type[Model], **conditions: object) -> Coalesce:
    """How many live rows of `model` belong to the contract (a subquery: no join fan-out)."""
    rows = (
        model.objects.filter(contract=OuterRef("pk"), archived_at__isnull=True, **conditions)
        .order_by()
        .values("contract")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows[:1], output_field=IntegerField()), Value(0))


def _contracts(filters: Filters) -> QuerySet[Contract]:
    qs = Contract.objects.select_related(
        "customer", "rate_card__fiat_credit_type", "package"
    ).annotate(
        n_commits=_count(Commit, kind__in=[CommitKind.PREPAID, CommitKind.POSTPAID]),
        n_credits=_count(Commit, kind=CommitKind.CREDIT),
        n_overrides=_count(Override),
        n_scheduled_charges=_count(ScheduledCharge),
        n_subscriptions=_count(Subscription),
    )
    return scoped(qs, filters, period=("starting_at", "ending_before"))


def _contract_row(contract: Contract, filters: Filters) -> tuple:
    card, package = contract.rate_card, contract.package
    return (
        str(contract.public_id), contract.name, str(contract.customer.public_id),
        contract.customer.name, public_id(card), card.name if card else None,
        public_id(package), package.name if package else None, contract.starting_at,
        contract.ending_before, contract.usage_statement_frequency,
        contract.net_payment_terms_days, contract.salesforce_opportunity_id or None,
        contract.netsuite_sales_order_id or None, contract.total_contract_value,
        _credit_type_name(contract), contract.n_commits, contract.n_credits,
        contract.n_overrides, contract.n_scheduled_charges, contract.n_subscriptions,
        contract.created_at, contract.updated_at, contract.archived_at,
    )  # fmt: skip


CONTRACTS = queryset_dataset(
    name="contracts",
    label="Contracts",
    description=(
        "One row per contract: rate card, package, term, its Salesforce and NetSuite ids and "
        "total contract value (in credit_type), and how many live items it has."
    ),
    columns=columns(
        """
        contract_id name customer_id customer_name rate_card_id rate_card_name package_id
        package_name starting_at:datetime ending_before:datetime usage_statement_frequency
        net_payment_terms_days:int salesforce_opportunity_id netsuite_sales_order_id
        total_contract_value:decimal credit_type commits:int credits:int overrides:int
        scheduled_charges:int subscriptions:int created_at:datetime updated_at:datetime
        archived_at:datetime
        """
    ),
    queryset=_contracts,
    row=_contract_row,
)


@cache  # credit types cannot be renamed: one query per process, not one per row
def _default_credit_type_name() -> str:
    found = CreditType.objects.filter(public_id=USD_CENTS_ID).values_list("name", flat=True)
    return found.first() or "USD (cents)"


def _credit_type_name(contract: Contract | None) -> str:
    card = contract.rate_card if contract is not None else None
    if card is not None and card.fiat_credit_type_id:
        return card.fiat_credit_type.name
    return _default_credit_type_name()


def _as_of(filters: Filters) -> datetime:
    """Balances and statuses at the end of the range: the last moment before `ending_before`
    (exclusive), so what is dated at ending_before itself belongs to the next range."""
    if filters.as_of is not None:
        return filters.as_of
    if filters.ending_before is not None:
        return filters.ending_before - timedelta(microseconds=1)
    return timezone.now()


def _contract_status(contract: Contract, at: datetime) -> str:
    if contract.archived_at is not None:
        return "ARCHIVED"
    if contract.starting_at > at:
        return "UPCOMING"
    if contract.ending_before is not None and contract.ending_before <= at:
        return "ENDED"
    return "ACTIVE"


def _customer_contracts(filters: Filters) -> QuerySet[Contract]:
    finalized = (
        Invoice.objects.filter(contract=OuterRef("pk"), status=InvoiceStatus.FINALIZED)
        .exclude(type="USAGE_CONSOLIDATED")  # its statements are counted on their contracts
        .order_by()
        .values("contract")
        .annotate(total=Sum("total"))
        .values("total")
    )
    zero = Value(Decimal(0), output_field=DecimalField(max_digits=19, decimal_places=4))
    qs = (
        Contract.objects.select_related("customer", "rate_card__fiat_credit_type", "package")
        .prefetch_related("customer__aliases")
        .annotate(
            billed_total=Coalesce(
                Subquery(finalized[:1], output_field=DecimalField(max_digits=19, decimal_places=4)),
                zero,
            )
        )
    )
    stamps = ("created_at", "updated_at", "customer__updated_at")
    return scoped(qs, filters, period=("starting_at", "ending_before"), stamps=stamps)


def _customer_contract_row(contract: Contract, filters: Filters) -> tuple:
    customer, card, package = contract.customer, contract.rate_card, contract.package
    aliases = ";".join(alias.alias for alias in customer.aliases.all() if alias.active)
    plan = package.name if package else (card.name if card else "")
    return (
        str(customer.public_id), customer.name, aliases, str(contract.public_id), contract.name,
        plan, card.name if card else None, contract.starting_at, contract.ending_before,
        _contract_status(contract, _as_of(filters)), _credit_type_name(contract),
        contract.billed_total,
    )  # fmt: skip


CUSTOMER_CONTRACTS = queryset_dataset(
    name="customer_contracts",
    label="Customer contracts and plans",
    description=(
        "One row per customer contract: the plan (package, else rate card), its status as of "
        "the end of the range (or now), and the total of its finalized invoices."
    ),
    columns=columns(
        """
        customer_id customer_name ingest_aliases contract_id contract_name plan rate_card_name
        starting_at:datetime ending_before:datetime status credit_type billed_total:decimal
        """
    ),
    queryset=_customer_contracts,
    row=_customer_contract_row,
)


def _commits(filters: Filters) -> QuerySet[Commit]:
    qs = Commit.objects.select_related(
        "customer",
        "product",
        "contract__rate_card__fiat_credit_type",
        "access_credit_type",
        "invoice_contract__rate_card__fiat_credit_type",
    ).prefetch_related("segments", "invoice_items")
    if filters.starting_on is not None or filters.ending_before is not None:
        segments = overlapping(
            AccessSegment.objects.filter(commit=OuterRef("pk")),
            filters,
            "starting_at",
            "ending_before",
        )
        qs = qs.filter(Exists(segments))
    if filters.customer_pk is not None:
        qs = qs.filter(customer_id=filters.customer_pk)
    if filters.incremental:
        # A balance changes with every ledger entry, which does not touch the commit row.
        entries = LedgerEntry.objects.filter(commit=OuterRef("pk")).filter(
            changed(filters, "created_at")
        )
        qs = qs.filter(Q(changed(filters, "created_at", "updated_at")) | Q(Exists(entries)))
    return qs


def _commit_row(commit: Commit, filters: Filters) -> tuple:
    at = _as_of(filters)
    segments = list(commit.segments.all())
    invoiced = sum((item.amount for item in commit.invoice_items.all()), Decimal(0))
    contract = commit.contract or commit.invoice_contract
    # a custom-unit commit's amounts are in its own unit, not the contract's currency
    custom = commit.access_credit_type
    return (
        str(commit.public_id), commit.kind, str(commit.customer.public_id), commit.customer.name,
        public_id(commit.contract), str(commit.product.public_id), commit.product.name,
        commit.name, commit.priority, custom.name if custom else _credit_type_name(contract),
        min((s.starting_at for s in segments), default=None),
        max((s.ending_before for s in segments), default=None),
        sum((s.amount for s in segments), Decimal(0)), invoiced,
        commit_available_balance(commit, at=at), commit_balance(commit, as_of=at), at,
        commit.rollover_fraction, commit.netsuite_sales_order_id or None,
        commit.salesforce_opportunity_id or None, commit.archived_at, commit.created_at,
        commit.updated_at,
    )  # fmt: skip


COMMITS_AND_CREDITS = queryset_dataset(
    name="commits_and_credits",
    label="Commits and credits with balances",
    description=(
        "One row per commit or credit: access granted, amount invoiced, and its balance at "
        "the end of the range (or now): available, as Metronome shows it (the ledgers of the "
        "segments in access then, drafts' provisional drawdowns included), and remaining "
        "(every ledger entry dated up to then, never below zero)."
    ),
    columns=columns(
        """
        commit_id kind customer_id customer_name contract_id product_id product_name name
        priority:decimal credit_type access_starting_at:datetime access_ending_before:datetime
        access_amount:decimal invoiced_amount:decimal available_balance:decimal
        remaining_balance:decimal balance_as_of:datetime rollover_fraction:decimal
        netsuite_sales_order_id salesforce_opportunity_id archived_at:datetime
        created_at:datetime updated_at:datetime
        """
    ),
    queryset=_commits,
    row=_commit_row,
)
