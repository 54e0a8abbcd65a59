"""per_group_amounts of addManualBalanceLedgerEntry: one manual entry per seat, each on that
seat's own credit (an INDIVIDUAL seat allocation), all or none, to the cent."""

from decimal import Decimal

import metronome
import pytest

from billing_console.api import ApplicationError
from contracts.models import Commit, LedgerEntry, LedgerEntryType
from contracts.terms import seat_ledger
from contracts.terms.ledger import segment_sums
from contracts.tests.seat_world import SEAT_CREDIT, seat_world


def _balance(commit: Commit) -> Decimal:
    return sum(segment_sums(commit).values(), Decimal(0))


def _entry(world, seat: str = "u1") -> dict:
    commit = world.seats[seat]
    return {
        "customer_id": str(world.customer.public_id),
        "contract_id": str(world.contract.public_id),
        "id": str(commit.public_id),
        "segment_id": str(commit.segments.get().public_id),
    }


@pytest.mark.sdk
def test_per_group_amounts_go_to_each_seats_own_credit(sdk):
    world = seat_world(seat_ids=("u1", "u2", "u3"))
    entry = {**_entry(world), "reason": "Seat true-up", "uniqueness_key": "true-up-1"}
    amounts = {"u1": 125.55, "u2": -300.25}
    assert sdk.v1.contracts.add_manual_balance_entry(
        **entry, amount=-174.7, per_group_amounts=amounts
    ) is None  # fmt: skip
    sdk.v1.contracts.add_manual_balance_entry(**entry, amount=-174.7, per_group_amounts=amounts)
    balances = {seat: _balance(commit) for seat, commit in world.seats.items()}
    assert balances == {
        "u1": Decimal("1125.55"), "u2": Decimal("699.75"), "u3": Decimal(SEAT_CREDIT)
    }  # fmt: skip
    manual = LedgerEntry.objects.filter(type=LedgerEntryType.MANUAL).order_by("commit__seat_id")
    assert [(m.commit.seat_id, m.amount, m.reason) for m in manual] == [
        ("u1", Decimal("125.55"), "Seat true-up"),
        ("u2", Decimal("-300.25"), "Seat true-up"),
    ]  # fmt: skip  (the retry with the same uniqueness_key wrote nothing more)

    named_by_another_seat = {**_entry(world, "u3"), "reason": "Bonus"}
    sdk.v1.contracts.add_manual_balance_entry(
        **named_by_another_seat, amount=10, per_group_amounts={"u1": 10}
    )  # any seat's credit of the period names the balance
    assert _balance(world.seats["u1"]) == Decimal("1135.55")
    assert _balance(world.seats["u3"]) == Decimal(SEAT_CREDIT)


@pytest.mark.sdk
@pytest.mark.parametrize(
    ("amount", "amounts", "message"),
    [
        (100, {"u1": 60, "u2": 30}, "per_group_amounts: the amounts sum to 90, not to amount (100)."),
        (10, {"u1": 5, "u9": 5}, "per_group_amounts.u9: no credit of this balance's period is for seat 'u9'."),
        (-1000.01, {"u1": 100, "u2": -1100.01}, "amount: would take the balance of segment"),
    ],
)  # fmt: skip
def test_refused_per_group_entries_write_nothing(sdk, amount, amounts, message):
    world = seat_world()
    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.contracts.add_manual_balance_entry(
            **_entry(world), reason="x", amount=amount, per_group_amounts=amounts
        )
    assert err.value.body["message"].startswith(message)
    assert not LedgerEntry.objects.filter(type=LedgerEntryType.MANUAL).exists()
    assert [_balance(c) for c in world.seats.values()] == [SEAT_CREDIT, SEAT_CREDIT]


@pytest.mark.django_db
def test_a_balance_of_no_seat_takes_no_per_group_amounts():
    pooled = Commit(seat_id="")  # unsaved: refused before any read
    with pytest.raises(ApplicationError) as err:
        seat_ledger.ledger_manual_add_per_group(
            commit=pooled, segment=None, amount=Decimal(1), per_group_amounts={"u1": Decimal(1)},
            reason="x",
        )  # fmt: skip
    assert err.value.message == seat_ledger.NOT_SEATS.format(id=pooled.public_id)
