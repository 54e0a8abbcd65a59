"""Ledgers and balances: usage drawdown, voids, expiry, rollover, manual entries, and a
property test that a balance never drifts from its entries nor shows below zero."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing_console.api import ApplicationError
from billing_console.lib.periods import Period, add_months
from billing_console.wire import Reader
from contracts.models import Commit, LedgerEntry
from contracts.selectors import commit_balance
from contracts.services import contract_create
from contracts.terms import ledger
from contracts.terms.create import commit_create_from_wire
from contracts.terms.ledger import (
    MANUAL_BELOW_ZERO,
    commit_available_balance,
    ledger_manual_add,
    segments_expire,
)
from contracts.wire.write import commit_to_wire
from invoicing.services import invoice_compute_usage, invoice_finalize, invoice_void
from invoicing.tests.factories import FEB, JAN, MAR, priced_world, send_calls
from pricing.services import product_create

pytestmark = pytest.mark.django_db


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _commit(
    world, *segments: tuple[int, datetime, datetime], kind: str = "PREPAID", **extra
) -> Commit:
    product = product_create(name=f"Commit {Commit.objects.count()}", type="FIXED")
    body = {
        "product_id": str(product.public_id), "priority": 1,
        "access_schedule": {"schedule_items": [
            {"amount": amount, "starting_at": _iso(start), "ending_before": _iso(end)}
            for amount, start, end in segments]},
        **extra,
    }  # fmt: skip
    if kind != "CREDIT":
        body["type"] = kind
    return commit_create_from_wire(
        Reader(body),
        customer=world.customer,
        contract=world.contract,
        kind="CREDIT" if kind == "CREDIT" else None,
    )


def _month(world, start: datetime, *, finalize: bool = True):
    invoice = invoice_compute_usage(
        contract=world.contract, period=Period(start, add_months(start, 1))
    )
    return invoice_finalize(invoice=invoice) if finalize else invoice


def _entries(commit: Commit) -> Decimal:
    return sum((e.amount for e in LedgerEntry.objects.filter(commit=commit)), Decimal(0))


def _wire_ledger(commit: Commit) -> list[tuple[str, int | float]]:
    return [
        (e["type"], e["amount"]) for e in commit_to_wire(commit, include_ledgers=True)["ledger"]
    ]


def test_usage_draws_down_and_the_balance_is_the_sum_of_entries():
    world = priced_world(price=5)
    commit = _commit(world, (1_000, JAN, datetime(2027, 1, 1, tzinfo=UTC)))
    send_calls(10, datetime(2026, 1, 5, tzinfo=UTC))
    january = _month(world, JAN)
    send_calls(4, datetime(2026, 2, 5, tzinfo=UTC))
    _month(world, FEB)
    assert _wire_ledger(commit) == [
        ("PREPAID_COMMIT_SEGMENT_START", 1_000),
        ("PREPAID_COMMIT_AUTOMATED_INVOICE_DEDUCTION", -50),
        ("PREPAID_COMMIT_AUTOMATED_INVOICE_DEDUCTION", -20),
    ]
    assert commit_balance(commit) == _entries(commit) == 930
    assert commit_available_balance(commit, at=MAR) == 930
    assert commit_available_balance(commit, at=datetime(2027, 1, 1, tzinfo=UTC)) == 0  # ended
    wired = commit_to_wire(commit, include_ledgers=True, include_balance=True, at=MAR)
    assert wired["balance"] == 930
    assert wired["ledger"][1]["invoice_id"] == str(january.public_id)
    assert wired["ledger"][1]["contract_id"] == str(world.contract.public_id)

    invoice_void(invoice=january)  # gives back what it drew, appended as its own entry
    assert ("PREPAID_COMMIT_CANCELED", 50) in _wire_ledger(commit)
    assert commit_balance(commit) == _entries(commit) == 980


def test_credit_and_postpaid_ledger_types():
    world = priced_world(price=5)
    credit = _commit(world, (100, JAN, FEB), kind="CREDIT")
    postpaid = _commit(
        world, (500, JAN, MAR), kind="POSTPAID",
        invoice_schedule={"schedule_items": [{"timestamp": _iso(MAR), "amount": 500}]},
    )  # fmt: skip
    send_calls(10, datetime(2026, 1, 5, tzinfo=UTC))
    _month(world, JAN)
    assert _wire_ledger(credit) == [
        ("CREDIT_SEGMENT_START", 100),
        ("CREDIT_AUTOMATED_INVOICE_DEDUCTION", -50),
    ]
    assert _wire_ledger(postpaid)[0] == ("POSTPAID_COMMIT_INITIAL_BALANCE", 500)


def test_expiry_closes_what_is_left_once_the_statement_is_final():
    world = priced_world(price=5)
    credit = _commit(world, (100, JAN, FEB), kind="CREDIT")
    send_calls(10, datetime(2026, 1, 5, tzinfo=UTC))
    january = _month(world, JAN, finalize=False)
    assert segments_expire(now=FEB) == 0  # the draft may still change what was drawn
    invoice_finalize(invoice=january)
    assert segments_expire(now=FEB) == 1
    assert _wire_ledger(credit)[-1] == ("CREDIT_EXPIRATION", -50)
    assert segments_expire(now=MAR) == 0  # once per segment
    assert commit_balance(credit) == _entries(credit) == 0


def test_a_segment_that_cannot_be_closed_stays_open_and_the_others_expire():
    world = priced_world(price=5)
    first = _commit(world, (100, JAN, FEB), kind="CREDIT")
    second = _commit(world, (70, JAN, FEB), kind="CREDIT")
    _month(world, JAN)
    real = ledger.segment_close

    def segment_close(segment, **kwargs):
        if segment.commit_id == first.pk:
            raise RuntimeError("bad segment")
        return real(segment, **kwargs)

    with mock.patch.object(ledger, "segment_close", side_effect=segment_close):
        assert segments_expire(now=FEB) == 1
        stuck = first.segments.get()
        since = stuck.error_at
        assert stuck.error == "RuntimeError: bad segment" and since is not None
        assert segments_expire(now=FEB) == 0
        stuck.refresh_from_db()
        assert stuck.error_at == since  # failing since the first try
    assert commit_balance(second) == _entries(second) == 0
    assert second.segments.get().error == ""
    assert commit_balance(first) == 100  # still open: tried again on the next run
    assert segments_expire(now=FEB) == 1
    assert commit_balance(first) == 0
    stuck.refresh_from_db()
    assert (stuck.error, stuck.error_at) == ("", None)


def test_rollover_moves_a_fraction_to_the_next_segment():
    world = priced_world(price=5)
    commit = _commit(world, (100, JAN, FEB), (100, FEB, MAR), rollover_fraction=0.5)
    send_calls(10, datetime(2026, 1, 5, tzinfo=UTC))
    _month(world, JAN)
    segments_expire(now=FEB)
    first, second = commit.segments.all()
    assert [(e.type, e.amount) for e in first.ledger.all()] == [
        ("SEGMENT_START", 100), ("USAGE_DEDUCTION", -50), ("ROLLOVER", -25), ("EXPIRATION", -25)
    ]  # fmt: skip
    assert [(e.type, e.amount) for e in second.ledger.all()] == [
        ("SEGMENT_START", 100), ("ROLLOVER", 25)
    ]  # fmt: skip
    rollover = next(
        e for e in commit_to_wire(commit, include_ledgers=True)["ledger"] if e["amount"] == 25
    )
    assert rollover["type"] == "PREPAID_COMMIT_ROLLOVER"
    assert rollover["segment_id"] == str(second.public_id)
    assert rollover["new_contract_id"] == str(world.contract.public_id)
    assert commit_available_balance(commit, at=FEB) == 125
    send_calls(30, datetime(2026, 2, 5, tzinfo=UTC))  # 150 owed, 125 available
    february = _month(world, FEB)
    assert february.total == 25
    assert commit_balance(commit) == _entries(commit) == 0


def test_rollover_into_the_renewal_contract():
    world = priced_world(price=5)
    product = product_create(name="Annual commit", type="FIXED")

    def commit_on(contract, start, end, **extra):
        return commit_create_from_wire(Reader({
            "type": "PREPAID", "product_id": str(product.public_id), "priority": 1, **extra,
            "access_schedule": {"schedule_items": [
                {"amount": 100, "starting_at": _iso(start), "ending_before": _iso(end)}]},
        }), customer=world.customer, contract=contract)  # fmt: skip

    old = commit_on(world.contract, JAN, FEB, rollover_fraction=1)
    renewal = contract_create(customer=world.customer, data={
        "starting_at": _iso(FEB), "rate_card_id": str(world.rate_card.public_id),
    })  # fmt: skip
    new = commit_on(renewal, FEB, MAR)
    segments_expire(now=FEB)
    assert commit_balance(old) == 0 and commit_balance(new) == 200
    assert not old.ledger.filter(type="EXPIRATION").exists()  # all of it moved
    out = next(e for e in commit_to_wire(old, include_ledgers=True)["ledger"] if e["amount"] < 0)
    assert out["new_contract_id"] == str(renewal.public_id)


def test_manual_entries_add_draw_and_never_take_a_segment_below_zero():
    world = priced_world(price=5)
    commit = _commit(world, (100, JAN, FEB), (60, FEB, MAR))
    first, second = commit.segments.all()
    ledger_manual_add(commit=commit, segment=first, amount=Decimal(25), reason="Goodwill")
    assert commit_balance(commit) == _entries(commit) == 185
    with pytest.raises(ApplicationError) as err:
        ledger_manual_add(commit=commit, segment=first, amount=Decimal(-200), reason="Correction")
    assert (err.value.code, err.value.message) == ("invalid", MANUAL_BELOW_ZERO.format(
        segment=first.public_id, balance=125, amount=-200
    ))  # fmt: skip
    assert _entries(commit) == 185  # nothing written
    ledger_manual_add(commit=commit, segment=first, amount=Decimal(-125), reason="Correction")
    assert _entries(commit) == 60
    assert commit_balance(commit) == 60  # the emptied segment counts 0, the other stays
    assert commit_available_balance(commit, at=JAN) == 0
    assert commit_available_balance(commit, at=FEB) == 60
    entry = ledger_manual_add(
        commit=commit, segment=second, amount=Decimal(-5), reason="Outage", uniqueness_key="k1"
    )
    again = ledger_manual_add(
        commit=commit, segment=second, amount=Decimal(-5), reason="Outage", uniqueness_key="k1"
    )
    assert again.pk == entry.pk and commit_balance(commit) == 55
    with pytest.raises(ApplicationError) as err:
        ledger_manual_add(
            commit=commit, segment=second, amount=Decimal(-6), reason="Outage", uniqueness_key="k1"
        )
    assert err.value.code == "conflict"
    assert _wire_ledger(commit)[-1] == ("PREPAID_COMMIT_MANUAL", -5)


# --- property: usage and manual entries in any order --------------------------------------

MONTHS = [add_months(JAN, m) for m in range(4)]
step = st.tuples(
    st.integers(0, 40),  # calls in the month (5 each)
    st.lists(st.tuples(st.integers(-400, 300), st.integers(0, 27)), max_size=3),  # manual, day
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(amount=st.integers(0, 600), steps=st.lists(step, min_size=1, max_size=4))
def test_balances_never_drift_from_entries_nor_go_negative(amount, steps):
    with transaction.atomic():  # each example starts from an empty database
        _check(amount, steps)
        transaction.set_rollback(True)


def _check(amount: int, steps: list) -> None:
    world = priced_world(price=5)
    end = add_months(JAN, 4)
    commit = _commit(world, (amount, JAN, end))
    credit = _commit(world, (amount // 2, JAN, end), kind="CREDIT")
    for month, (calls, manuals) in zip(MONTHS, steps, strict=False):
        for value, day in manuals:
            target = credit if value % 2 else commit
            before = _entries(target)
            try:
                ledger_manual_add(
                    commit=target, segment=target.segments.get(), amount=Decimal(value),
                    reason="prop", timestamp=month + timedelta(days=day),
                )  # fmt: skip
            except ApplicationError:  # a draw beyond the balance: refused, nothing written
                assert before + value < 0 and _entries(target) == before
            else:
                assert before + value >= 0
        send_calls(calls, month + timedelta(days=3), prefix=f"p{month.month}")
        invoice = _month(world, month)
        assert invoice.total >= 0
        for balance in (commit, credit):
            entries = _entries(balance)
            at = month + timedelta(days=27)
            shown = commit_to_wire(balance, include_balance=True, include_ledgers=True, at=at)
            assert shown["balance"] >= 0
            assert shown["balance"] == max(entries, 0)  # one segment: its entries, floored at 0
            assert sum(Decimal(str(e["amount"])) for e in shown["ledger"]) == entries
            assert commit_balance(balance) == max(entries, 0)
            drawn = -sum(
                (e.amount for e in balance.ledger.filter(type="USAGE_DEDUCTION")), Decimal(0)
            )
            granted = sum(
                (e.amount for e in balance.ledger.filter(amount__gt=0, type__in=["SEGMENT_START", "MANUAL"])),
                Decimal(0),
            )  # fmt: skip
            assert 0 <= drawn <= granted  # usage never draws more than was ever there
