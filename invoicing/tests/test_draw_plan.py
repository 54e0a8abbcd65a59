"""The pure drawdown planner (invoicing.rating.draw_plan), driven directly: no database."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from billing_console.lib.money import round_line
from invoicing.rating.draw_plan import LineIn, Pricer, SegmentIn, plan
from pricing import rating

D = Decimal


def _flat(price: str, label: str = "LIST_RATE") -> Pricer:
    return Pricer((rating.Tier(None, D(price)),), label)


def _line(quantity: int, price: str = "2") -> LineIn:
    pricer = _flat(price)
    return LineIn(
        total=round_line(pricer.cost(D(quantity), D(0))), quantity=D(quantity), pricer=pricer
    )


def test_commit_rate_segment_pays_units_at_its_price_and_the_rest_stays_at_list():
    # 700 units, list 2; a commit-rate segment (price 1) with 400: pays 400 units; 300 x 2 owed.
    outs, draws = plan([_line(700)], [[(SegmentIn("c", None, D(400)), _flat("1", "COMMIT_RATE"))]])
    (out,) = outs
    assert [(p.quantity, p.fiat) for p in out.portions] == [(D(400), D(400))]
    assert (out.list_quantity, out.list_fiat) == (D(300), D(600))
    assert [(d.segment, d.amount, d.fiat) for d in draws] == [("c", D(400), D(400))]


def test_list_price_segments_draw_the_rounded_total_as_before():
    # 3 units x 0.5 = 1.5 -> 2; a list segment of 1 then another of 5: draws 1 then 1.
    line = LineIn(total=D(2), quantity=D(3), pricer=_flat("0.5"))
    outs, draws = plan(
        [line], [[(SegmentIn("a", None, D(1)), None), (SegmentIn("b", None, D(5)), None)]]
    )
    assert outs[0].portions == []
    assert [(d.segment, d.amount) for d in draws] == [("a", D(1)), ("b", D(1))]


def test_custom_unit_segment_pays_in_its_unit_and_the_rest_converts():
    # 90 credits (45 units x 2), 50 cents a credit; a 40-credit segment: applied 2,000 cents.
    pricer = _flat("2")
    line = LineIn(
        total=D(4500), quantity=D(45), pricer=pricer, unit="credits", to_fiat=D(50), unit_places=2
    )
    outs, draws = plan([line], [[(SegmentIn("pack", "credits", D(40), unit_places=2), None)]])
    assert outs[0].portions == []
    assert [(d.amount, d.fiat) for d in draws] == [(D(40), D(2000))]


def test_a_segment_in_another_custom_unit_pays_nothing():
    line = LineIn(total=D(100), quantity=D(1), pricer=_flat("1"), unit="a", to_fiat=D(100))
    _outs, draws = plan([line], [[(SegmentIn("s", "b", D(10)), None)]])
    assert draws == []


def test_a_postpaid_segment_tracks_spend_but_pays_nothing():
    _outs, draws = plan([_line(10)], [[(SegmentIn("post", None, D(100), pays=False), None)]])
    assert [(d.amount, d.fiat) for d in draws] == [(D(20), D(0))]


amounts = st.integers(min_value=0, max_value=5000).map(D)
prices = st.sampled_from(["0", "0.5", "1", "2", "3", "7.25"])


@settings(max_examples=300, deadline=None)
@given(
    quantity=st.integers(min_value=0, max_value=2000),
    list_price=prices,
    offers=st.lists(st.tuples(amounts, st.none() | prices, st.booleans()), max_size=4),
)
def test_units_and_money_add_up(quantity, list_price, offers):
    """Whatever segments pay at whatever prices: the line's units are all priced once; no
    segment gives more than it has; what segments pay plus what is owed is what the lines say."""
    line = _line(quantity, list_price)
    segments = [
        (SegmentIn(i, None, amount, pays=pays), _flat(price, "COMMIT_RATE") if price else None)
        for i, (amount, price, pays) in enumerate(offers)
    ]
    (out,), draws = plan([line], [segments])
    available = {i: amount for i, (amount, _price, _pays) in enumerate(offers)}
    for draw in draws:
        assert 0 < draw.amount <= available[draw.segment]
    if not out.portions:
        assert sum(d.amount for d in draws if available[d.segment] and d.fiat) <= line.total
        return
    units = sum(p.quantity for p in out.portions) + out.list_quantity
    assert units == D(quantity)
    billed = sum(p.fiat for p in out.portions) + out.list_fiat
    paid = sum(d.fiat for d in draws)
    assert 0 <= paid <= billed
