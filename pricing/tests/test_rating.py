"""Rating math: table-driven, literal numbers, no database."""

from decimal import Decimal as D

import pytest

from pricing import rating
from pricing.rating import Tier, TierUse

# 0-100 at 2, 100-300 at 1.5, above 300 at 1
TIERS = (Tier(D(100), D(2)), Tier(D(200), D("1.5")), Tier(None, D(1)))


@pytest.mark.parametrize(
    ("quantity", "price", "amount"),
    [
        ("0", "2", "0"),
        ("10", "2", "20"),
        ("3", "0.0025", "0.0075"),
        ("1000000", "0.000001", "1.000000"),
        ("2.5", "4", "10.0"),
        ("-4", "2", "-8"),  # a correction
        ("7", "0", "0"),
    ],
)
def test_flat(quantity, price, amount):
    assert rating.flat(D(quantity), D(price)).amount == D(amount)


@pytest.mark.parametrize(
    ("quantity", "already_used", "amount", "uses"),
    [
        ("0", "0", "0", []),
        ("50", "0", "100", [(1, "0", "50", "2")]),
        ("100", "0", "200", [(1, "0", "100", "2")]),  # exactly fills tier 1
        ("150", "0", "275", [(1, "0", "100", "2"), (2, "100", "50", "1.5")]),
        ("400", "0", "600", [(1, "0", "100", "2"), (2, "100", "200", "1.5"), (3, "300", "100", "1")]),
        # earlier usage fills the first tiers: 90 used, 20 more cross from tier 1 into tier 2
        ("20", "90", "35", [(1, "0", "10", "2"), (2, "100", "10", "1.5")]),
        # from inside tier 2 across tier 3
        ("100", "250", "125", [(2, "100", "50", "1.5"), (3, "300", "50", "1")]),
        ("10", "1000", "10", [(3, "300", "10", "1")]),
        ("0.5", "99.75", "0.875", [(1, "0", "0.25", "2"), (2, "100", "0.25", "1.5")]),
    ],
)  # fmt: skip
def test_tiered(quantity, already_used, amount, uses):
    rated = rating.tiered(D(quantity), TIERS, already_used=D(already_used))
    assert rated.amount == D(amount)
    assert rated.details == tuple(
        TierUse(tier, D(start), D(q), D(p), D(q) * D(p)) for tier, start, q, p in uses
    )
    assert sum(u.amount for u in rated.details) == rated.amount


@pytest.mark.parametrize(
    ("quantity", "already_used", "amount", "tier"),
    [
        ("-10", "50", "-20", 1),  # running total in tier 1
        ("-10", "150", "-15.0", 2),  # in tier 2
        ("-10", "100", "-15.0", 2),  # a running total on a boundary sits in the next tier
        ("-5", "5000", "-5", 3),
        ("-3", "0", "-6", 1),
    ],
)
def test_tiered_negative_quantity_is_priced_at_the_current_tier(
    quantity, already_used, amount, tier
):
    rated = rating.tiered(D(quantity), TIERS, already_used=D(already_used))
    assert rated.amount == D(amount)
    assert [u.tier for u in rated.details] == [tier]


def test_tiered_already_used_pieces_add_up_to_the_whole():
    whole = rating.tiered(D(420), TIERS).amount
    pieces = [D(60), D(90), D(150), D(120)]
    used = D(0)
    total = D(0)
    for piece in pieces:
        total += rating.tiered(piece, TIERS, already_used=used).amount
        used += piece
    assert total == whole == D(620)


@pytest.mark.parametrize(
    ("base", "fraction", "amount"),
    [
        ("10000", "0.1", "1000.0"),
        ("10000", "0", "0"),
        ("10000", "1", "10000"),
        ("10000", "1.5", "15000.0"),  # over 100% is allowed
        ("333", "0.333", "110.889"),
        ("-200", "0.1", "-20.0"),
    ],
)
def test_percentage(base, fraction, amount):
    rated = rating.percentage(D(base), D(fraction))
    assert rated.amount == D(amount)
    assert rated.details == ({"base": D(base), "fraction": D(fraction)},)


@pytest.mark.parametrize(
    ("quantity", "price", "prorated", "used", "whole", "amount"),
    [
        ("3", "5000", False, "0", "0", "15000"),
        ("3", "5000", False, "10", "30", "15000"),  # not prorated: the full period
        ("1", "3000", True, "15", "30", "1500"),  # half of a 30-day month
        ("2", "3100", True, "10", "31", "2000"),  # 10 days of 31
        ("1", "1000", True, "1", "3", "333.3333333333333333333333333"),  # unrounded
        ("1", "3000", True, "30", "30", "3000"),
        ("1", "3000", True, "0", "30", "0"),
        ("1", "3000", True, "5", "0", "3000"),  # no period length: nothing to scale by
        ("0", "3000", True, "15", "30", "0"),
    ],
)
def test_subscription(quantity, price, prorated, used, whole, amount):
    rated = rating.subscription(
        D(quantity), D(price), prorated=prorated, used=D(used), whole=D(whole)
    )
    assert rated.amount == D(amount)


def test_subscription_proration_breakdown():
    rated = rating.subscription(D(2), D(3000), prorated=True, used=D(15), whole=D(30))
    assert rated.details == ({"fraction": D("0.5"), "full_amount": D(6000)},)


@pytest.mark.parametrize(
    ("quantity", "rule", "amount", "applied"),
    [
        ("10", {"unit_price": "2"}, "20", None),
        ("10", {"unit_price": "2", "minimum": "100"}, "100", "minimum"),
        ("60", {"unit_price": "2", "minimum": "100"}, "120", None),
        ("600", {"unit_price": "2", "maximum": "1000"}, "1000", "maximum"),
        ("400", {"unit_price": "2", "maximum": "1000"}, "800", None),
        ("0", {"unit_price": "2", "minimum": "100", "maximum": "1000"}, "100", "minimum"),
        ("50", {"unit_price": "2", "minimum": "100", "maximum": "1000"}, "100", None),
        ("9999", {"unit_price": "2", "minimum": "100", "maximum": "1000"}, "1000", "maximum"),
        ("5", {"minimum": 250}, "250", "minimum"),  # numbers as JSON numbers too
        ("5", {}, "0", None),
    ],
)
def test_custom_min_max(quantity, rule, amount, applied):
    rated = rating.custom(D(quantity), rule)
    assert rated.amount == D(amount)
    assert (rated.details[0]["applied"] if rated.details else None) == applied


@pytest.mark.parametrize(
    ("quantity", "factor", "operation", "places", "method", "expected"),
    [
        ("2048", "1024", "DIVIDE", None, None, "2"),
        ("1500", "1024", "DIVIDE", 2, "ROUND_UP", "1.47"),  # 1.4648...
        ("1500", "1024", "DIVIDE", 2, "ROUND_DOWN", "1.46"),
        ("1500", "1024", "DIVIDE", 2, "ROUND_HALF_UP", "1.46"),
        ("1500", "1024", "DIVIDE", 0, "ROUND_UP", "2"),
        ("3", "100", "MULTIPLY", None, None, "300"),
        ("0.125", "10", "MULTIPLY", 0, "ROUND_HALF_UP", "1"),
        ("2.5", "1", "MULTIPLY", 0, "ROUND_HALF_UP", "3"),  # half away from zero, not to even
        ("2.5", "1", "MULTIPLY", 0, "ROUND_DOWN", "2"),
        ("2.1", "1", "MULTIPLY", 0, "ROUND_UP", "3"),
        ("-2.5", None, None, 0, "ROUND_HALF_UP", "-3"),
        ("-2.1", None, None, 0, "ROUND_UP", "-3"),  # away from zero
        ("-2.9", None, None, 0, "ROUND_DOWN", "-2"),  # toward zero
        ("1.23456", None, None, 3, None, "1.235"),  # default method: half up
        ("7", None, None, None, None, "7"),
    ],
)
def test_convert_quantity(quantity, factor, operation, places, method, expected):
    converted = rating.convert_quantity(
        D(quantity),
        factor=D(factor) if factor else None,
        operation=operation,
        decimal_places=places,
        rounding_method=method,
    )
    assert converted == D(expected)
    if places is not None:
        assert converted.as_tuple().exponent == -places


def test_convert_quantity_refuses_a_zero_factor():
    with pytest.raises(ValueError, match="must not be 0"):
        rating.convert_quantity(D(10), factor=D(0), operation="DIVIDE")


@pytest.mark.parametrize(
    ("tiers", "problem"),
    [
        ([Tier(None, D(1))], None),
        ([Tier(D(100), D(2)), Tier(None, D(1))], None),
        ([Tier(D(100), D(2)), Tier(D(50), D(1))], None),  # a bounded last tier is allowed
        ([Tier(D("0.5"), D(0)), Tier(None, D(0))], None),  # free tiers are fine
        ([], "at least one tier is required."),
        ([Tier(None, D(2)), Tier(D(100), D(1))], "[0].size: is required on every tier but the last."),
        ([Tier(D(100), D(2)), Tier(None, D(1)), Tier(None, D(1))],
         "[1].size: is required on every tier but the last."),
        ([Tier(D(0), D(2)), Tier(None, D(1))], "[0].size: must be greater than 0."),
        ([Tier(D(10), D(2)), Tier(D(-5), D(1))], "[1].size: must be greater than 0."),
        ([Tier(D(10), D(-2)), Tier(None, D(1))], "[0].price: must not be negative."),
    ],
)  # fmt: skip
def test_validate_tiers(tiers, problem):
    assert rating.validate_tiers(tiers) == problem
