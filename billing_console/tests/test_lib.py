"""Pure money and period math: table-driven, no database."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from billing_console.lib.money import (
    from_minor_units,
    quantize,
    round_line,
    to_decimal,
    to_minor_units,
)
from billing_console.lib.periods import (
    Period,
    add_months,
    iter_periods,
    period_containing,
    split_at,
)


def dt(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("amount", "places", "expected"),
    [
        ("2.5", 0, "3"),
        ("-2.5", 0, "-3"),
        ("0.125", 2, "0.13"),
        ("224.9999", 0, "225"),
        ("1.005", 2, "1.01"),
    ],
)
def test_round_line_is_half_up(amount, places, expected):
    assert round_line(Decimal(amount), places) == Decimal(expected)


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("12.34", "USD", 1234),
        ("12.345", "EUR", 1235),
        ("1500", "JPY", 1500),
        ("1.2345", "KWD", 1235),
    ],
)
def test_minor_units_roundtrip(amount, currency, minor):
    assert to_minor_units(Decimal(amount), currency) == minor
    assert from_minor_units(minor, currency) == quantize(
        Decimal(amount), {"USD": 2, "EUR": 2, "JPY": 0, "KWD": 3}[currency]
    )


def test_floats_are_refused():
    with pytest.raises(TypeError):
        to_decimal(0.1)  # type: ignore[arg-type]
    assert to_decimal("0.1") + to_decimal("0.2") == Decimal("0.3")


@pytest.mark.parametrize(
    ("start", "months", "anchor", "expected"),
    [
        (dt(2026, 1, 31), 1, None, dt(2026, 2, 28)),
        (dt(2028, 1, 31), 1, None, dt(2028, 2, 29)),
        (dt(2026, 2, 28), 1, 31, dt(2026, 3, 31)),
        (dt(2026, 11, 15), 3, None, dt(2027, 2, 15)),
    ],
)
def test_add_months_clamps_month_ends(start, months, anchor, expected):
    assert add_months(start, months, anchor) == expected


def test_monthly_periods_keep_the_anchor_day():
    periods = list(iter_periods(dt(2026, 1, 31), "MONTHLY", until=dt(2026, 4, 1)))
    assert [(p.start, p.end) for p in periods] == [
        (dt(2026, 1, 31), dt(2026, 2, 28)),
        (dt(2026, 2, 28), dt(2026, 3, 31)),
        (dt(2026, 3, 31), dt(2026, 4, 30)),
    ]


def test_weekly_and_containing():
    assert period_containing(dt(2026, 1, 1), "WEEKLY", dt(2026, 1, 15, 12)) == Period(
        dt(2026, 1, 15), dt(2026, 1, 22)
    )
    assert period_containing(dt(2026, 1, 1), "MONTHLY", dt(2026, 2, 1)) == Period(
        dt(2026, 2, 1), dt(2026, 3, 1)
    )


def test_split_and_intersect():
    month = Period(dt(2026, 1, 1), dt(2026, 2, 1))
    assert split_at(month, [dt(2026, 1, 16), dt(2025, 1, 1)]) == [
        Period(dt(2026, 1, 1), dt(2026, 1, 16)),
        Period(dt(2026, 1, 16), dt(2026, 2, 1)),
    ]
    assert month.intersect(Period(dt(2026, 1, 20), dt(2026, 3, 1))) == Period(
        dt(2026, 1, 20), dt(2026, 2, 1)
    )
    assert month.intersect(Period(dt(2026, 2, 1), dt(2026, 3, 1))) is None
    with pytest.raises(ValueError):
        Period(dt(2026, 1, 2), dt(2026, 1, 1))
