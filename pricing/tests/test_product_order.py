"""A rate card's product order (setRateCardProductsOrder, moveRateCardProducts) through the
official metronome-sdk: getRates and getRateSchedule list the products in that order."""

from datetime import UTC, datetime

import metronome
import pytest

from pricing.models import RateCardProductPosition
from pricing.services import credit_type_get_default, product_create, rate_add, rate_card_create

pytestmark = pytest.mark.sdk

JAN = datetime(2026, 1, 1, tzinfo=UTC)
MISSING = "00000000-0000-0000-0000-00000000abcd"


@pytest.fixture
def card(transactional_db):
    """A card with four fixed products (Alpha..Delta); Echo exists but is not on it."""
    credit_type_get_default()
    card = rate_card_create(name="Ordered")
    products = {}
    for name in ("Delta", "Bravo", "Alpha", "Charlie"):
        product = product_create(name=name, type="FIXED")
        rate_add(rate_card=card, product=product, starting_at=JAN, rate_type="FLAT", price=1)
        products[name] = str(product.public_id)
    products["Echo"] = str(product_create(name="Echo", type="FIXED").public_id)
    return str(card.public_id), products


def _names(sdk, card_id: str, products: dict[str, str]) -> list[str]:
    by_id = {v: k for k, v in products.items()}
    rates = sdk.v1.contracts.rate_cards.rates.list(at=JAN, rate_card_id=card_id)
    schedule = sdk.v1.contracts.rate_cards.retrieve_rate_schedule(
        rate_card_id=card_id, starting_at=JAN
    )
    names = [by_id[r.product_id] for r in rates]
    assert [by_id[r.product_id] for r in schedule.data] == names
    return names


def test_set_then_move_orders_the_rate_card(sdk, card):
    card_id, p = card
    assert _names(sdk, card_id, p) == ["Alpha", "Bravo", "Charlie", "Delta"]  # by name

    orders = sdk.v1.contracts.rate_cards.product_orders
    done = orders.set(rate_card_id=card_id, product_order=[p["Delta"], p["Charlie"]])
    assert done.data.id == card_id
    # the listed products first, the others after them by name
    assert _names(sdk, card_id, p) == ["Delta", "Charlie", "Alpha", "Bravo"]

    moved = orders.update(
        rate_card_id=card_id,
        product_moves=[{"product_id": p["Bravo"], "position": 0},
                       {"product_id": p["Delta"], "position": 99}],
    )  # fmt: skip
    assert moved.data.id == card_id
    assert _names(sdk, card_id, p) == ["Bravo", "Charlie", "Alpha", "Delta"]

    orders.set(rate_card_id=card_id, product_order=[p["Alpha"]])
    assert _names(sdk, card_id, p) == ["Alpha", "Bravo", "Charlie", "Delta"]
    assert list(RateCardProductPosition.objects.values_list("position", flat=True)) == [0]


def test_product_order_errors(sdk, api, card):
    card_id, p = card
    url = "/v1/contract-pricing/rate-cards/setRateCardProductsOrder"
    for body, message in [
        ({"rate_card_id": card_id}, "product_order: needs at least one"),
        ({"rate_card_id": card_id, "product_order": "x"}, "product_order: must be a list"),
        ({"rate_card_id": card_id, "product_order": [p["Alpha"], p["Alpha"]]},
         "product_order[1]: product"),
        ({"rate_card_id": card_id, "product_order": [p["Echo"]]}, "product_order[0]: product"),
        ({"rate_card_id": card_id, "product_order": [MISSING]}, "product_order[0]: no product"),
    ]:  # fmt: skip
        response = api.post(url, body, format="json")
        assert response.status_code == 400, (body, response.content)
        assert response.json()["message"].startswith(message), response.json()
    move = "/v1/contract-pricing/rate-cards/moveRateCardProducts"
    for moves, message in [
        ([{"product_id": p["Alpha"], "position": -1}], "product_moves[0].position: must be at"),
        (
            [{"product_id": p["Alpha"], "position": 1.5}],
            "product_moves[0].position: must be a whole",
        ),
        ([{"product_id": p["Alpha"]}], "product_moves[0].position: is required."),
        ([{"position": 1}], "product_moves[0].product_id: is required."),
        ([{"product_id": p["Echo"], "position": 1}], "product_moves[0].product_id: product"),
        ([], "product_moves: needs at least one"),
    ]:
        response = api.post(move, {"rate_card_id": card_id, "product_moves": moves}, format="json")
        assert response.status_code == 400, (moves, response.content)
        assert response.json()["message"].startswith(message), response.json()
    assert not RateCardProductPosition.objects.exists()
    with pytest.raises(metronome.NotFoundError) as err:
        sdk.v1.contracts.rate_cards.product_orders.set(
            rate_card_id=MISSING, product_order=[p["Alpha"]]
        )
    assert err.value.body["message"].startswith("rate_card_id:")
    with pytest.raises(metronome.NotFoundError):
        sdk.v1.contracts.rate_cards.product_orders.update(
            rate_card_id=MISSING, product_moves=[{"product_id": p["Alpha"], "position": 0}]
        )


def test_the_contract_rate_schedule_follows_the_card_order(sdk, card):
    from contracts.services import contract_create
    from customers.services import customer_create

    card_id, p = card
    customer = customer_create(name="Ordered Co")
    contract = contract_create(
        customer=customer, data={"starting_at": "2026-01-01T00:00:00Z", "rate_card_id": card_id}
    )
    sdk.v1.contracts.rate_cards.product_orders.set(
        rate_card_id=card_id, product_order=[p["Charlie"], p["Alpha"]]
    )
    schedule = sdk.v1.contracts.retrieve_rate_schedule(
        customer_id=str(customer.public_id), contract_id=str(contract.public_id), at=JAN
    )
    by_id = {v: k for k, v in p.items()}
    assert [by_id[s.product_id] for s in schedule.data] == ["Charlie", "Alpha", "Bravo", "Delta"]
