"""The one loader of the rating core: a usage statement's snapshot, in a fixed number of
queries whatever the number of products, rates, overrides, commits or subscriptions.

Reads (a batch's statements share the first three, invoicing.close prefetches the next ones):
- the rate card: its rates, its products' versions, its custom-unit conversions (Cards);
- the contract's overrides and usage filter entries (unless prefetched);
- its subscriptions and their quantity changes (unless prefetched), and the versions of their
  products when the card does not price them;
- the commits and credits it may draw or true up, with their segments (unless prefetched);
- what each segment can give this invoice, from the ledger (one grouped query); the
  shortfall of postpaid segments ending in the period, and the contract's renewal, when
  there are any;
- usage: the customer's ingest aliases, then the quantities the core asks for, in two rounds
  (the questions about merged pieces and earlier statements of a tier block depend on the
  answers to the first ones), each read in one batch (usage.batch_usage: a fixed number of
  queries, plus one run per question about a SQL metric). A caller's usage source (a cost
  preview's events, an alert's scoped usage) is asked the same questions instead.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from django.db.models import Prefetch, Q, Sum, prefetch_related_objects

from billing_console.lib.periods import Period
from contracts.models import (
    AccessSegment,
    Commit,
    Contract,
    LedgerEntry,
    LedgerEntryType,
    Subscription,
)
from contracts.terms.child_access import parent_commits_accessible
from customers.models import Customer
from invoicing.models import Invoice
from invoicing.rating.snapshot import (
    ContractTerms,
    StatementSnapshot,
    SubscriptionTerms,
    UsageQuestion,
)
from invoicing.rating.statement import usage_questions
from invoicing.rating.terms import (
    Cards,
    HeldCard,
    commit_terms,
    contract_terms,
    held_card,
    rows_products,
    subscription_terms,
)
from invoicing.usage_charges import consolidated_items, usage_charge_terms
from pricing.models import Product
from pricing.rates_in_force import versions_by_product
from usage.batch_usage import Answers, UsageAsk, metric_usage_many
from usage.selectors import event_ids_held

# metric_usage's keywords (metric=, customer=, starting_at=, ending_before=, group_by=, only=)
UsageSource = Callable[..., dict[tuple, Decimal]]
ROUNDS = 3  # usage reads happen in the first two; the third finds nothing left to ask


class UsageReader(Protocol):
    """A usage source answering many questions at once (invoicing.close_usage.BatchUsage)."""

    def read_many(self, customer: Customer, asks: list[UsageAsk]) -> Answers: ...


class StoredUsage:
    """The stored events, read in one batch per round."""

    def read_many(self, customer: Customer, asks: list[UsageAsk]) -> Answers:
        return metric_usage_many(customer=customer, asks=asks)


class OneByOne:
    """A source answering one question at a time (metric_usage's keywords)."""

    def __init__(self, source: UsageSource) -> None:
        self.source = source

    def read_many(self, customer: Customer, asks: list[UsageAsk]) -> Answers:
        answers = {}
        for ask in asks:
            extra = {"only": ask.only} if ask.only is not None else {}
            answers[ask] = self.source(
                metric=ask.metric, customer=customer, starting_at=ask.starting_at,
                ending_before=ask.ending_before, group_by=list(ask.group_by) or None, **extra,
            )  # fmt: skip
        return answers


def usage_reader(usage: UsageSource | UsageReader | None) -> UsageReader:
    if usage is None:
        return StoredUsage()
    if hasattr(usage, "read_many"):
        return usage  # type: ignore[return-value]
    return OneByOne(usage)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Rows:
    """The rows behind the snapshot's values, to give the core's lines and draws back as rows
    (invoicing.rating.apply)."""

    products: dict[int, Product]
    commits: dict[int, Commit]
    segments: dict[int, AccessSegment]


@dataclass(frozen=True)
class Loaded:
    snapshot: StatementSnapshot
    rows: Rows


def contracts_load(contract_ids: Any) -> dict[int, Contract]:
    """Many contracts with what their statements read of them (customer, rate card and its
    credit type, overrides, usage filters, subscriptions, commits and credits with their
    segments), by pk, in a fixed number of queries whatever their number: the batch's side of
    statement_load (the month close, the batched draft refresh). Contracts on one rate card
    share its row (and so its rates, read once by Cards)."""
    contracts = {
        c.pk: c
        for c in Contract.objects.filter(pk__in=list(contract_ids))
        .select_related("customer", "rate_card__fiat_credit_type", "transition_out__to_contract")
        .prefetch_related(
            "overrides",
            "usage_filters",
            Prefetch(
                "subscriptions",
                queryset=Subscription.objects.filter(archived_at__isnull=True)
                .select_related("product", "contract")
                .prefetch_related("quantity_changes"),
                to_attr="prefetched_subscriptions",
            ),
        )
    }
    commits = list(
        Commit.objects.filter(
            Q(customer_id__in={c.customer_id for c in contracts.values()})
            | Q(contract_id__in=list(contracts)),
            archived_at__isnull=True,
        )
        .select_related("access_credit_type", "recurring_commit", "product")
        .prefetch_related("segments")
    )
    # each contract's own commits and its customer's, in the order read (by position in it)
    own: dict[int, list[tuple[int, Commit]]] = {}
    customers: dict[int, list[tuple[int, Commit]]] = {}
    for index, commit in enumerate(commits):
        if commit.contract_id is not None:
            own.setdefault(commit.contract_id, []).append((index, commit))
        else:
            customers.setdefault(commit.customer_id, []).append((index, commit))
    cards: dict[int, Any] = {}
    for contract in contracts.values():
        if contract.rate_card is not None:
            contract.rate_card = cards.setdefault(contract.rate_card_id, contract.rate_card)
        mine = own.get(contract.pk, []) + customers.get(contract.customer_id, [])
        contract.prefetched_commits = [commit for _i, commit in sorted(mine, key=lambda p: p[0])]
    return contracts


def statement_load(
    contract: Contract, invoice: Invoice, period: Period, places: int, *,
    usage: UsageSource | UsageReader | None = None, cards: Cards | None = None,
) -> Loaded:  # fmt: skip
    """The snapshot of `contract`'s usage statement `invoice` over `period` (the invoice's
    period, or part of it for a breakdown), its lines rounded to `places`."""
    cards = cards or Cards()
    card = held_card(contract, cards)
    held = getattr(contract, "_prefetched_objects_cache", {})
    unread = [name for name in ("overrides", "usage_filters") if name not in held]
    if unread:  # read once for the contract object, however many statements it computes
        prefetch_related_objects([contract], *unread)
    shared = parent_commits_accessible(contract)  # a child's: its parent's, by child_access
    commits = _commits(contract, invoice) + shared
    subscriptions = _subscriptions(contract)
    sub_versions = _versions_of([sub.product for sub in subscriptions], card)
    segments = {s.pk: s for c in commits for s in c.segments.all()}
    invoice_period = Period(invoice.period_start, invoice.period_end)
    charge_items = consolidated_items(contract, invoice_period, period)  # none: no query
    removed_from, shortfalls = _true_ups(contract, commits, period)
    snapshot = StatementSnapshot(
        contract=contract_terms(contract, card),
        period=period,
        invoice_period=invoice_period,
        invoice_customer_id=invoice.customer_id,
        places=places,
        commits=tuple(commit_terms(c, from_parent=c in shared) for c in commits),
        available=_available(
            [s for s in segments.values() if _overlaps(s, invoice_period)], invoice
        ),
        shortfalls=shortfalls,
        true_ups_removed_from=removed_from,
        subscriptions=tuple(
            subscription_terms(sub, period.end, sub_versions[sub.product_id])
            for sub in subscriptions
        ),
        usage={},
        usage_charges=tuple(usage_charge_terms(item) for item in charge_items),
    )
    with event_ids_held(contract.customer):
        snapshot = with_usage(snapshot, contract.customer, usage_reader(usage), card)
    rows = Rows(
        products=rows_products(
            card.products.values() if card else [],
            [s.product for s in subscriptions],
            [c.product for c in commits],
            [item.charge.product for item in charge_items],
        ),
        commits={c.pk: c for c in commits},
        segments=segments,
    )
    return Loaded(snapshot, rows)


def with_usage(
    snapshot: StatementSnapshot, customer: Customer, reader: UsageReader, card: HeldCard | None
) -> StatementSnapshot:
    """The snapshot with every usage quantity the core will ask for."""
    for _round in range(ROUNDS):
        questions = usage_questions(snapshot)
        if not questions:
            return snapshot
        assert card is not None  # only a rate card's products ask for usage
        asks = {q: _ask(q, card) for q in questions}
        answers = reader.read_many(customer, list(dict.fromkeys(asks.values())))
        known: dict[UsageQuestion, Any] = dict(snapshot.usage)
        known.update({q: answers[ask] for q, ask in asks.items()})
        snapshot = replace(snapshot, usage=known)
    raise RuntimeError("rating kept asking for usage after its rounds")  # a bug, not data


def _ask(question: UsageQuestion, card: HeldCard) -> UsageAsk:
    return UsageAsk(
        card.metrics[question.metric_id], question.starting_at, question.ending_before,
        question.group_by, question.only,
    )  # fmt: skip


def _commits(contract: Contract, invoice: Invoice) -> list[Commit]:
    """The commits and credits of the contract, and the customer's own, not archived."""
    prefetched = getattr(contract, "prefetched_commits", None)  # see invoicing.close
    if prefetched is not None:
        return prefetched
    return list(
        Commit.objects.filter(archived_at__isnull=True)
        .filter(Q(contract=contract) | Q(contract__isnull=True, customer_id=invoice.customer_id))
        .select_related("access_credit_type", "recurring_commit", "product")
        .prefetch_related("segments")
    )


def _subscriptions(contract: Contract) -> list[Any]:
    prefetched = getattr(contract, "prefetched_subscriptions", None)  # see invoicing.close
    if prefetched is not None:
        return prefetched
    return list(
        contract.subscriptions.filter(archived_at__isnull=True)
        .select_related("product", "contract")
        .prefetch_related("quantity_changes")
    )


def _versions_of(products: list[Product], card: HeldCard | None) -> dict[int, list]:
    """Versions of these products: the card's when it prices them, else read together."""
    known = card.versions if card is not None else {}
    missing = {p.pk for p in products if p.pk not in known}
    return {**versions_by_product(missing), **known}


def _overlaps(segment: AccessSegment, period: Period) -> bool:
    return segment.starting_at < period.end and segment.ending_before > period.start


def _available(segments: list[AccessSegment], invoice: Invoice) -> dict[int, Decimal]:
    """What each segment can give `invoice`, by segment pk, in one query: its balance from
    earlier invoices (entries dated before the period; grants before its end), capped by what
    remains overall, never below zero."""
    zero = Decimal(0)
    if not segments:
        return {}
    earlier = Q(type=LedgerEntryType.USAGE_DEDUCTION, timestamp__lt=invoice.period_start) | (
        ~Q(type__in=[LedgerEntryType.USAGE_DEDUCTION, LedgerEntryType.EXPIRATION])
        & Q(timestamp__lt=invoice.period_end)
    )
    rows = (
        LedgerEntry.objects.filter(segment_id__in=[s.pk for s in segments])
        .exclude(invoice_public_id=invoice.public_id)
        .values("segment_id")
        .annotate(earlier=Sum("amount", filter=earlier), overall=Sum("amount"))
        .order_by()
    )
    sums = {r["segment_id"]: (r["earlier"] or zero, r["overall"] or zero) for r in rows}
    return {s.pk: max(zero, min(*sums.get(s.pk, (zero, zero)))) for s in segments}


def _true_ups(
    contract: Contract, commits: list[Commit], period: Period
) -> tuple[datetime | None, dict[int, Decimal]]:
    """(when a renewal drops true-ups from, {postpaid segment ending in the period: its
    balance leaving out deductions from the period on}) in one query, when there are any."""
    ending = [
        s.pk
        for c in commits
        if c.contract_id == contract.pk and c.kind == "POSTPAID"
        for s in c.segments.all()
        if period.start < s.ending_before <= period.end
    ]
    if not ending:
        return None, {}
    transition = getattr(contract, "transition_out", None)
    removed_from = (
        transition.to_contract.starting_at
        if transition and transition.future_trueup == "REMOVE"
        else None
    )
    late = Q(type=LedgerEntryType.USAGE_DEDUCTION) & Q(timestamp__gte=period.start)
    rows = (
        LedgerEntry.objects.filter(segment_id__in=ending)
        .exclude(late)
        .values("segment_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    sums = {r["segment_id"]: r["total"] or Decimal(0) for r in rows}
    return removed_from, {pk: sums.get(pk, Decimal(0)) for pk in ending}


def subscriptions_load(
    contract: Contract, until: datetime, cards: Cards | None = None
) -> tuple[ContractTerms, tuple[SubscriptionTerms, ...], dict[int, Product]]:
    """(contract terms, subscription terms with their periods starting before `until`, the
    product rows): what pricing a contract's subscriptions needs, outside a statement."""
    card = held_card(contract, cards or Cards())
    subscriptions = _subscriptions(contract)
    versions = _versions_of([sub.product for sub in subscriptions], card)
    terms = tuple(subscription_terms(sub, until, versions[sub.product_id]) for sub in subscriptions)
    return contract_terms(contract, card), terms, rows_products([s.product for s in subscriptions])
