"""Pricing terms that change what a commit pays for: commit rates (flat and tiered), commit-
specific overrides by commit, recurring commit and credit ids and by target, custom pricing
units paid by fiat commits, overrides on presentation group values. Literal cents throughout.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils.dateparse import parse_datetime

from billing_console.lib.periods import Period
from contracts.models import Commit, Contract
from contracts.selectors import commit_balance
from contracts.services import contract_create
from contracts.terms.issuance import contract_recurring_issue
from customers.services import customer_create
from invoicing.models import Invoice, LineType
from invoicing.services import invoice_compute_usage
from pricing.models import Product, RateCard
from pricing.services import credit_type_create, product_create, rate_add, rate_card_create
from usage.services import billable_metric_create, usage_ingest

pytestmark = pytest.mark.django_db

JAN = datetime(2026, 1, 1, tzinfo=UTC)
JANUARY = Period(JAN, datetime(2026, 2, 1, tzinfo=UTC))
YEAR = {"starting_at": "2026-01-01T00:00:00Z", "ending_before": "2027-01-01T00:00:00Z"}


def _catalog(*, presentation: list[str] | None = None, **rate: Any) -> tuple[Product, RateCard]:
    """A COUNT metric over "call" events, a USAGE product "API", a FIXED product "Commit", and
    one rate of API from January on (FLAT 2 unless `rate` says otherwise)."""
    metric = billable_metric_create(
        name="calls", event_type_filter={"in_values": ["call"]}, aggregation_type="COUNT",
        group_keys=[presentation] if presentation else None,
    )  # fmt: skip
    api = product_create(
        name="API", type="USAGE", billable_metric=metric, presentation_group_key=presentation
    )
    product_create(name="Commit", type="FIXED")
    card = rate_card_create(name="Card")
    rate_add(**{"rate_card": card, "product": api, "starting_at": JAN, "rate_type": "FLAT",
                "price": "2", **rate})  # fmt: skip
    return api, card


def _contract(card: RateCard, **terms: Any) -> Contract:
    customer = customer_create(name="Acme", ingest_aliases=["acme"])
    return contract_create(customer=customer, data={
        **YEAR, "rate_card_id": str(card.public_id),
        "usage_statement_schedule": {"frequency": "MONTHLY"}, **terms,
    })  # fmt: skip


def _commit(name: str, amount: int, priority: int, **more: Any) -> dict[str, Any]:
    return {
        "type": "PREPAID", "name": name, "priority": priority,
        "product_id": str(Product.objects.get(name="Commit").public_id),
        "access_schedule": {"schedule_items": [{"amount": amount, **YEAR}]}, **more,
    }  # fmt: skip


def _calls(count: int, **properties: str) -> None:
    tag = "-".join(properties.values()) or "x"
    events = [
        {"transaction_id": f"{tag}-{i}", "customer_id": "acme", "event_type": "call",
         "timestamp": "2026-01-10T00:00:00Z", "properties": properties}
        for i in range(count)
    ]  # fmt: skip
    now = parse_datetime("2026-01-10T00:00:00Z") + timedelta(minutes=1)
    for start in range(0, count, 100):
        usage_ingest(events=events[start : start + 100], now=now)


def _statement(contract: Contract) -> Invoice:
    return invoice_compute_usage(contract=contract, period=JANUARY)


def _usage(invoice: Invoice) -> list[tuple[Decimal, Decimal, str | None]]:
    """(quantity, total, priced_at) of each usage line, in order."""
    return [
        (line.quantity, line.total, line.explanation.get("priced_at"))
        for line in invoice.lines.filter(type=LineType.USAGE)
    ]


def _usd() -> str:
    from pricing.services import credit_type_get_default

    return str(credit_type_get_default().public_id)


def _balance(name: str) -> Decimal:
    return commit_balance(Commit.objects.get(name=name))


def test_tiered_commit_rate_pays_by_tier_and_the_rest_is_at_list():
    # Commit rate: the first 100 calls at 1, then 0.5. The 125 commit pays 100 x 1 + 50 x 0.5:
    # 150 calls; the other 150 of 300 are at list 2 = 300.
    _api, card = _catalog(commit_rate={
        "rate_type": "TIERED", "tiers": [{"size": 100, "price": 1}, {"price": "0.5"}]})  # fmt: skip
    contract = _contract(card, commits=[_commit("C", 125, 1, rate_type="COMMIT_RATE")])
    _calls(300)
    invoice = _statement(contract)
    assert _usage(invoice) == [
        (Decimal(150), Decimal(125), "COMMIT_RATE"),
        (Decimal(150), Decimal(300), "LIST_RATE"),
    ]
    assert invoice.total == Decimal(300)
    assert _balance("C") == Decimal(0)


def test_list_rate_commit_ignores_the_commit_rate():
    # A LIST_RATE commit pays list: 10 calls x 2 = 20 of its 100.
    _api, card = _catalog(commit_rate={"rate_type": "FLAT", "price": 1})
    contract = _contract(card, commits=[_commit("C", 100, 1)])
    _calls(10)
    invoice = _statement(contract)
    assert _usage(invoice) == [(Decimal(10), Decimal(20), None)]
    assert invoice.total == Decimal(0)
    assert _balance("C") == Decimal(80)


def test_commit_specific_override_applies_only_to_the_commits_it_names():
    # Override x0.5 for commit A only. A (30, first) pays 30 calls at 1; B (100) pays the other
    # 70 at list 2 = 140 -> B has 100 < 140: it pays 50 calls (100), 20 calls x 2 = 40 owed.
    _api, card = _catalog()
    contract = _contract(card, commits=[_commit("A", 30, 1), _commit("B", 100, 2)])
    a = Commit.objects.get(name="A")
    _override(contract, commit_ids=[str(a.public_id)])
    _calls(100)
    invoice = _statement(contract)
    assert _usage(invoice) == [
        (Decimal(30), Decimal(30), "COMMIT_SPECIFIC"),
        (Decimal(70), Decimal(140), "LIST_RATE"),
    ]
    assert invoice.total == Decimal(40)
    assert (_balance("A"), _balance("B")) == (Decimal(0), Decimal(0))


def _override(contract: Contract, **specifier: Any) -> None:
    from contracts.edits import contract_edit

    contract_edit(contract=contract, data={"add_overrides": [{
        "starting_at": "2026-01-01T00:00:00Z", "type": "MULTIPLIER", "multiplier": "0.5",
        "is_commit_specific": True, **specifier.pop("extra", {}),
        "override_specifiers": [{"product_id": str(Product.objects.get(name="API").public_id),
                                 **specifier}],
    }]})  # fmt: skip


def test_commit_specific_override_on_the_commit_rate_targets_commit_rate():
    # Commit rate 1, halved by an override that targets COMMIT_RATE: 10 calls x 0.5 = 5 drawn.
    _api, card = _catalog(commit_rate={"rate_type": "FLAT", "price": 1})
    contract = _contract(card, commits=[_commit("C", 100, 1, rate_type="COMMIT_RATE")])
    _override(contract, extra={"target": "COMMIT_RATE"})
    _calls(10)
    invoice = _statement(contract)
    assert _usage(invoice) == [(Decimal(10), Decimal(5), "COMMIT_RATE")]
    assert _balance("C") == Decimal(95)


def test_any_commit_or_credit_ids_names_a_credit():
    # The override names the credit: its 10 calls cost 10 (x0.5) of its 50.
    _api, card = _catalog()
    contract = _contract(card, credits=[{
        "name": "Gift", "priority": 1, "product_id": str(Product.objects.get(name="Commit").public_id),
        "access_schedule": {"schedule_items": [{"amount": 50, **YEAR}]},
    }])  # fmt: skip
    _override(contract, any_commit_or_credit_ids=[str(Commit.objects.get(name="Gift").public_id)])
    _calls(10)
    invoice = _statement(contract)
    assert _usage(invoice) == [(Decimal(10), Decimal(10), "COMMIT_SPECIFIC")]
    assert invoice.total == Decimal(0)
    assert _balance("Gift") == Decimal(40)


def test_recurring_commit_ids_name_the_commits_a_recurring_commit_issued():
    # The recurring commit issues 100 a month; the override names it: 10 calls x 1 = 10 drawn.
    _api, card = _catalog()
    product_id = str(Product.objects.get(name="Commit").public_id)
    api_id = str(Product.objects.get(name="API").public_id)
    contract = _contract(card, recurring_commits=[{
        "name": "Monthly", "priority": 1, "product_id": product_id, "commit_duration": {"value": 1},
        "access_amount": {"unit_price": 100, "quantity": 1},
        "invoice_amount": {"unit_price": 0, "quantity": 1, "credit_type_id": _usd()},
        "starting_at": "2026-01-01T00:00:00Z", "rate_type": "LIST_RATE",
        "applicable_product_ids": [api_id],
    }])  # fmt: skip
    contract_recurring_issue(contract=contract, now=JAN + timedelta(days=1))
    recurring = contract.recurring_commits.get()
    _override(contract, recurring_commit_ids=[str(recurring.public_id)])
    _calls(10)
    invoice = _statement(contract)
    assert _usage(invoice) == [(Decimal(10), Decimal(10), "COMMIT_SPECIFIC")]
    assert invoice.total == Decimal(0)


def test_a_fiat_commit_pays_custom_unit_usage_converted():
    # 10 calls x 3 credits = 30 credits; 1 credit = 40 cents: 1,200 cents, paid by a 1,000
    # cent commit: 200 owed.
    credits = credit_type_create(name="Credits")
    metric = billable_metric_create(
        name="calls", event_type_filter={"in_values": ["call"]}, aggregation_type="COUNT"
    )
    api = product_create(name="API", type="USAGE", billable_metric=metric)
    product_create(name="Commit", type="FIXED")
    card = rate_card_create(name="Card", credit_type_conversions=[(credits, Decimal(40))])
    rate_add(rate_card=card, product=api, starting_at=JAN, rate_type="FLAT", price="3",
             credit_type=credits)  # fmt: skip
    contract = _contract(card, commits=[_commit("Dollars", 1000, 1)])
    _calls(10)
    invoice = _statement(contract)
    line = invoice.lines.get(type=LineType.USAGE)
    assert (line.total, Decimal(line.explanation["custom_amount"])) == (Decimal(1200), Decimal(30))
    assert invoice.total == Decimal(200)
    assert _balance("Dollars") == Decimal(0)


def test_override_on_presentation_group_values_prices_only_that_line():
    # x0.5 for user u1 only: u1 10 calls x 1 = 10; u2 10 calls x 2 = 20.
    api, card = _catalog(presentation=["user"])
    contract = _contract(card, overrides=[{
        "starting_at": "2026-01-01T00:00:00Z", "type": "MULTIPLIER", "multiplier": "0.5",
        "override_specifiers": [{"product_id": str(api.public_id),
                                 "presentation_group_values": {"user": "u1"}}],
    }])  # fmt: skip
    _calls(10, user="u1")
    _calls(10, user="u2")
    invoice = _statement(contract)
    lines = invoice.lines.filter(type=LineType.USAGE).order_by("total")
    assert [(li.presentation_group_values, li.total) for li in lines] == [
        ({"user": "u1"}, Decimal(10)),
        ({"user": "u2"}, Decimal(20)),
    ]


def test_a_credit_scoped_by_a_pricing_group_value_matches_a_presentation_key_of_that_name():
    # A per-seat credit names its seat as pricing_group_values {"user": "u1"}; the product has
    # "user" as a presentation key: u1's 10 calls x 2 = 20 draw the credit, u2's do not.
    _api, card = _catalog(presentation=["user"])
    contract = _contract(card, credits=[{
        "name": "Seat u1", "priority": 1,
        "product_id": str(Product.objects.get(name="Commit").public_id),
        "specifiers": [{"pricing_group_values": {"user": "u1"}}],
        "access_schedule": {"schedule_items": [{"amount": 100, **YEAR}]},
    }])  # fmt: skip
    _calls(10, user="u1")
    _calls(10, user="u2")
    invoice = _statement(contract)
    assert invoice.total == Decimal(20)  # u2's 20 is owed
    assert _balance("Seat u1") == Decimal(80)
