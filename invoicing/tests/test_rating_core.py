"""The rating core (invoicing.rating) driven directly from snapshots: no database.

Usage quantities come from a small in-memory event store that answers the core's questions
the way the loader does (usage_questions, then the answers, until it asks for nothing)."""

import ast
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID

from hypothesis import given, settings
from hypothesis import strategies as st

from billing_console.lib.money import round_line
from billing_console.lib.periods import Period
from invoicing.rating.snapshot import (
    CommitTerms,
    ContractTerms,
    MetricTerms,
    OverrideTerms,
    ProductRef,
    ProductVersionTerms,
    RateCardTerms,
    RateTerms,
    SegmentTerms,
    StatementSnapshot,
    UsageQuestion,
)
from invoicing.rating.statement import RatedStatement, rate_statement, usage_questions
from pricing import rating

D = Decimal
JAN = datetime(2026, 1, 1, tzinfo=UTC)
FEB = datetime(2026, 2, 1, tzinfo=UTC)
JANUARY = Period(JAN, FEB)
HOURS = 31 * 24  # in January
PRODUCT = ProductRef(10, UUID(int=10), "Storage", "USAGE")
FIXED = ProductRef(11, UUID(int=11), "Commit", "FIXED")
REGIONS = ("us", "eu")

Event = tuple[int, str, Decimal]  # (hour of January, region, value)


def _version(aggregation: str, grouped: bool) -> ProductVersionTerms:
    return ProductVersionTerms(
        pk=100, starting_at=JAN - timedelta(days=400), name="Storage",
        billable_metric=MetricTerms(1, aggregation), tags=("storage",),
        pricing_group_key=("region",) if grouped else (), presentation_group_key=(),
        quantity_conversion=None, quantity_rounding=None, composite_product_ids=(),
        composite_tags=(),
    )  # fmt: skip


def _rate(pk: int, start: datetime, end: datetime | None, price: Decimal) -> RateTerms:
    return RateTerms(
        pk=pk, public_id=UUID(int=1000 + pk), product_id=PRODUCT.pk, starting_at=start,
        ending_before=end, entitled=True, rate_type="FLAT", price=price, tiers=(),
        pricing_group_values={}, credit_type_id=1, custom_unit=False, commit_rate=None,
        billing_frequency="", tier_reset_frequency=1,
    )  # fmt: skip


def _tiered(tiers: list[rating.Tier], reset: int) -> RateTerms:
    raw = tuple({"size": str(t.size), "price": str(t.price)} if t.size is not None
                else {"price": str(t.price)} for t in tiers)  # fmt: skip
    return replace(
        _rate(1, JAN, None, D(0)), rate_type="TIERED", price=None, tiers=raw,
        tier_reset_frequency=reset,
    )  # fmt: skip


def _snapshot(
    rates: list[RateTerms], *, aggregation: str = "SUM", grouped: bool = False,
    commits: tuple[CommitTerms, ...] = (), available: dict[int, Decimal] | None = None,
    period: Period = JANUARY,
) -> StatementSnapshot:  # fmt: skip
    card = RateCardTerms(
        rates=tuple(rates),
        products={PRODUCT.pk: PRODUCT},
        versions={PRODUCT.pk: (_version(aggregation, grouped),)},
        custom_units={},
    )
    contract = ContractTerms(
        pk=1, public_id=UUID(int=1), customer_id=1, starting_at=JAN, ending_before=None,
        usage_statement_anchor=JAN, usage_statement_frequency="MONTHLY",
        multiplier_override_prioritization="LOWEST_MULTIPLIER", rate_card=card, overrides=(),
        usage_filter=(),
    )  # fmt: skip
    return StatementSnapshot(
        contract=contract, period=period, invoice_period=period, invoice_customer_id=1, places=0,
        commits=commits, available=available or {}, shortfalls={}, true_ups_removed_from=None,
        subscriptions=(), usage={},
    )  # fmt: skip


def _answer(events: list[Event], aggregation: str, question: UsageQuestion) -> dict[tuple, Decimal]:
    """What the usage store answers: SUM or MAX of the values per group in the window."""
    out: dict[tuple, Decimal] = {}
    for hour, region, value in events:
        at = JAN + timedelta(hours=hour, minutes=30)
        if not question.starting_at <= at < question.ending_before:
            continue
        key = tuple(region if k == "region" else None for k in question.group_by)
        if key not in out:
            out[key] = value
        else:
            out[key] = out[key] + value if aggregation == "SUM" else max(out[key], value)
    return out


def _rated(snapshot: StatementSnapshot, events: list[Event], aggregation: str = "SUM"):
    """The statement rated as the loader drives the core: two rounds of questions at most."""
    for _round in range(2):
        questions = usage_questions(snapshot)
        answers = {q: _answer(events, aggregation, q) for q in questions}
        snapshot = replace(snapshot, usage={**snapshot.usage, **answers})
    assert usage_questions(snapshot) == []  # two rounds of reads are always enough
    return rate_statement(snapshot)


def _usage(rated: RatedStatement) -> list:
    return [line for line in rated.lines if line.type == "USAGE"]


values = st.decimals("0", "500", places=3)
events = st.lists(
    st.tuples(st.integers(0, HOURS - 1), st.sampled_from(REGIONS), values), max_size=30
)
prices = st.decimals("0", "40", places=4)


@settings(max_examples=200, deadline=None)
@given(events=events, price=prices, grouped=st.booleans())
def test_a_line_is_its_quantity_times_its_price_rounded_once(events, price, grouped):
    rated = _rated(_snapshot([_rate(1, JAN, None, price)], grouped=grouped), events)
    lines = _usage(rated)
    for line in lines:
        assert line.total_unrounded == line.quantity * price
        assert line.total == round_line(line.total_unrounded, 0)
    assert sum(line.quantity for line in lines) == sum(v for _h, _r, v in events)
    if grouped:  # one line per region with usage, none for a region without
        assert sorted(line.pricing_group_values["region"] for line in lines) == sorted(
            {r for _h, r, _v in events}
        )
    else:  # one line, a $0 line without usage
        assert len(lines) == 1


@settings(max_examples=200, deadline=None)
@given(events=events, change=st.integers(1, HOURS - 1), before=prices, after=prices)
def test_splitting_a_period_at_a_rate_change_conserves_quantity(events, change, before, after):
    moment = JAN + timedelta(hours=change)
    rates = [_rate(1, JAN, moment, before), _rate(2, moment, None, after)]
    lines = _usage(_rated(_snapshot(rates, grouped=True), events))
    for region in REGIONS:
        used = [e for e in events if e[1] == region]
        mine = [line for line in lines if line.pricing_group_values["region"] == region]
        assert sum(line.quantity for line in mine) == sum(v for _h, _r, v in used)
        for line in mine:  # each piece priced by the rate in force, rounded once
            price = before if line.starting_at < moment else after
            assert (line.starting_at, line.ending_before) in ((JAN, moment), (moment, FEB))
            assert line.total == round_line(line.quantity * price, 0)


def _elsewhere(start: datetime) -> OverrideTerms:
    """An override of another product: it cuts the period, and prices nothing here."""
    return OverrideTerms(
        pk=1, public_id=UUID(int=4000), type="MULTIPLIER", starting_at=start, ending_before=None,
        product_id=999, applicable_product_tags=(), override_specifiers=(), multiplier=D("0.5"),
        overwrite_rate=None, tiers=None, priority=None, entitled=None, is_commit_specific=False,
        target="", archived_at=None,
    )  # fmt: skip


@settings(max_examples=100, deadline=None)
@given(events=events, change=st.integers(1, HOURS - 1), price=prices)
def test_pieces_priced_alike_merge_and_a_maximum_is_asked_again_over_them(events, change, price):
    snapshot = _snapshot([_rate(1, JAN, None, price)], aggregation="MAX", grouped=True)
    contract = replace(snapshot.contract, overrides=(_elsewhere(JAN + timedelta(hours=change)),))
    lines = _usage(_rated(replace(snapshot, contract=contract), events, "MAX"))
    for region in REGIONS:
        used = [v for _h, r, v in events if r == region]
        mine = [line for line in lines if line.pricing_group_values["region"] == region]
        assert [line.quantity for line in mine] == ([max(used)] if used else [])


MAR, APR = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
quarter = st.lists(st.tuples(st.integers(0, 90 * 24 - 1), st.just("us"), values), max_size=30)
tiers = st.tuples(st.integers(1, 2000), prices, prices).map(
    lambda t: [rating.Tier(D(t[0]), t[1]), rating.Tier(None, t[2])]
)


@settings(max_examples=100, deadline=None)
@given(events=quarter, tiers=tiers, reset=st.sampled_from([1, 3]))
def test_tiers_spanning_statements_start_where_the_earlier_ones_left_off(events, tiers, reset):
    """March's statement of a block of three monthly statements: its usage is priced after
    January's and February's on the tiers (asked for once March's own usage is known)."""
    snapshot = _snapshot([_tiered(tiers, reset)], period=Period(MAR, APR))
    lines = _usage(_rated(snapshot, events))
    at = [(JAN + timedelta(hours=h, minutes=30), v) for h, _r, v in events]
    march = sum((v for t, v in at if t >= MAR), D(0))
    earlier = sum((v for t, v in at if t < MAR), D(0)) if reset == 3 else D(0)
    (line,) = lines  # no pricing group key: one line, $0 without usage
    assert line.quantity == march
    expected = rating.tiered(march, tiers, already_used=earlier).amount if march else D(0)
    assert (line.total_unrounded, line.total) == (expected, round_line(expected, 0))


def _commit(pk: int, kind: str, priority: int) -> CommitTerms:
    return CommitTerms(
        pk=pk, public_id=UUID(int=2000 + pk), kind=kind, name=f"c{pk}", product=FIXED,
        customer_id=1, contract_id=1, applicable_contract_ids=(), applicable_product_ids=(),
        applicable_product_tags=(), specifiers=(), priority=D(priority), rate_type="LIST_RATE",
        access_credit_type_id=None, access_unit_places=0, issuer_public_id=None,
        segments=(SegmentTerms(pk, UUID(int=3000 + pk), JAN, FEB + timedelta(days=pk)),),
    )  # fmt: skip


commits = st.lists(
    st.tuples(st.sampled_from(["PREPAID", "CREDIT", "POSTPAID"]), st.integers(0, 3), st.integers(0, 5000)),
    max_size=4,
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(events=events, price=prices, offers=commits)
def test_draws_never_exceed_what_segments_have_and_pay_what_they_can(events, price, offers):
    terms = tuple(_commit(i + 1, kind, priority) for i, (kind, priority, _a) in enumerate(offers))
    available = {i + 1: D(amount) for i, (_k, _p, amount) in enumerate(offers)}
    snapshot = _snapshot(
        [_rate(1, JAN, None, price)], grouped=True, commits=terms, available=available
    )
    rated = _rated(snapshot, events)
    drawn: dict[int, Decimal] = {}
    for draw in rated.draws:
        assert draw.amount > 0
        drawn[draw.segment.pk] = drawn.get(draw.segment.pk, D(0)) + draw.amount
    for pk, amount in drawn.items():
        assert amount <= available[pk]
    charges = sum((line.total for line in _usage(rated)), D(0))
    paying = sum(amount for (kind, _p, amount) in offers if kind != "POSTPAID")
    applied = [line for line in rated.lines if line.type.startswith("APPLIED_")]
    assert -sum((line.total for line in applied), D(0)) == min(charges, paying)
    assert sum((line.total for line in rated.lines), D(0)) >= 0


CORE = (
    "composite", "draw_plan", "drawdown", "lines", "overrides", "prices", "quantities", "rates", "snapshot",
    "statement", "subscriptions", "tiers", "trueups", "usage_lines",
)  # fmt: skip
STANDARD = ("collections", "dataclasses", "datetime", "decimal", "itertools", "typing", "uuid")
PURE = ("billing_console.lib.money", "billing_console.lib.periods", "pricing.rating")


def _imported(tree: ast.Module) -> list[str]:
    """Every module a module imports ("from a import b" counts as a.b and a)."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            out += [f"{node.module}.{alias.name}" for alias in node.names]
    return out


def test_the_core_imports_no_django_and_no_selector():
    """Only the standard library, the pure helpers, pricing.rating and other core modules."""
    root = Path(__file__).resolve().parents[1] / "rating"
    core = {f"invoicing.rating.{name}" for name in CORE}
    for name in CORE:
        for module in _imported(ast.parse((root / f"{name}.py").read_text())):
            allowed = (
                module.split(".")[0] in STANDARD
                or module.startswith(PURE)
                or any(module == c or module.startswith(f"{c}.") for c in core)
            )
            assert allowed, f"invoicing/rating/{name}.py imports {module}"
