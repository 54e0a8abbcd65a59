"""A rate card's product display order (Metronome's setRateCardProductsOrder and
moveRateCardProducts). Positions are RateCardProductPosition rows, 0 first; products on the
card without a row follow by name (pricing.selectors.in_product_order applies the order)."""

from decimal import Decimal

from django.db import transaction

from billing_console.api import ApplicationError
from billing_console.wire import Reader
from pricing import selectors
from pricing.models import Product, RateCard, RateCardProductPosition

MAX_PRODUCTS = 1000


def _on_card(rate_card: RateCard) -> list[Product]:
    """The card's products in their current order: positioned ones first, then the rest of
    the products it has rates for, by name."""
    positioned = [
        row.product
        for row in rate_card.product_positions.select_related("product").order_by("position")
    ]
    taken = {p.pk for p in positioned}
    priced = Product.objects.filter(rates__rate_card=rate_card).distinct().order_by("name", "pk")
    return positioned + [p for p in priced if p.pk not in taken]


def _product(value: str, field: str, on_card: dict[str, Product]) -> Product:
    try:
        product = selectors.product_get(value, field=field)
    except ApplicationError as err:  # a reference in the body: invalid input, not a 404
        raise ApplicationError(err.message) from None
    if str(product.public_id) not in on_card:
        raise ApplicationError(f"{field}: product '{value}' is not on this rate card.")
    return product


def products_order_from_wire(reader: Reader, *, rate_card: RateCard) -> list[Product]:
    """setRateCardProductsOrder's product_order: product ids, each once, all on the card."""
    ids = reader.str_list("product_order")
    if not ids:
        raise reader.fail("product_order", "needs at least one product id.")
    if len(ids) > MAX_PRODUCTS:
        raise reader.fail("product_order", f"at most {MAX_PRODUCTS} products.")
    on_card = {str(p.public_id): p for p in _on_card(rate_card)}
    products: list[Product] = []
    for index, value in enumerate(ids):
        field = f"product_order[{index}]"
        product = _product(value, field, on_card)
        if product in products:
            raise ApplicationError(f"{field}: product '{value}' is listed twice.")
        products.append(product)
    return products


def product_moves_from_wire(reader: Reader, *, rate_card: RateCard) -> list[tuple[Product, int]]:
    """moveRateCardProducts' product_moves: [{product_id, position}], position a 0-based index."""
    items = reader.children("product_moves", required=True)
    if not items:
        raise reader.fail("product_moves", "needs at least one move.")
    if len(items) > MAX_PRODUCTS:
        raise reader.fail("product_moves", f"at most {MAX_PRODUCTS} moves.")
    on_card = {str(p.public_id): p for p in _on_card(rate_card)}
    moves = []
    for item in items:
        value = item.str("product_id", required=True, max_length=64)
        product = _product(value, f"{item.path}.product_id", on_card)
        position = item.decimal("position", required=True, minimum=Decimal(0))
        assert position is not None
        if position != position.to_integral_value():
            raise item.fail("position", "must be a whole number.")
        moves.append((product, int(position)))
    return moves


def _write(rate_card: RateCard, ordered: list[Product]) -> None:
    """Store `ordered` as the card's positions: rows saved or deleted one by one, so the audit
    log shows each product that moved."""
    rows = {row.product_id: row for row in rate_card.product_positions.all()}
    for position, product in enumerate(ordered):
        row = rows.pop(product.pk, None)
        if row is None:
            RateCardProductPosition.objects.create(
                rate_card=rate_card, product=product, position=position
            )
        elif row.position != position:
            row.position = position
            row.save(update_fields=["position"])
    for row in rows.values():
        row.delete()


def _locked(rate_card: RateCard) -> RateCard:
    return RateCard.objects.select_for_update().get(pk=rate_card.pk)


@transaction.atomic
def rate_card_products_order_set(*, rate_card: RateCard, products: list[Product]) -> RateCard:
    """The listed products come first, in this order; the card's other products follow by
    name."""
    rate_card = _locked(rate_card)
    _write(rate_card, products)
    return rate_card


@transaction.atomic
def rate_card_products_move(*, rate_card: RateCard, moves: list[tuple[Product, int]]) -> RateCard:
    """Each move in turn takes its product out of the card's current order and puts it back at
    `position` (past the end: last). The resulting order of every product is stored."""
    rate_card = _locked(rate_card)
    order = _on_card(rate_card)
    for product, position in moves:
        order = [p for p in order if p.pk != product.pk]
        order.insert(min(position, len(order)), product)
    _write(rate_card, order)
    return rate_card
