"""Rate prices in the console are typed and shown in the card's currency ("$25.00"), stored in
the credit type's unit (2500 cents) as the API has them."""

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from pricing import services
from pricing.models import CreditType, Product, RateCard

HX = {"HTTP_HX_REQUEST": "true"}
JAN = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture
def product(db) -> Product:
    return services.product_create(name="Fine-tuning", type="FIXED")


@pytest.fixture
def card(db) -> RateCard:
    return services.rate_card_create(name="List 2025")


def _add(client, card: RateCard, product: Product, **fields: str):
    data = {
        "product": str(product.public_id), "starting_at": "2025-01-01", "rate_type": "FLAT",
        "entitled": "on", **fields,
    }  # fmt: skip
    return client.post(reverse("pricing:rate-add", args=[card.public_id]), data, **HX)


def test_a_rate_typed_in_dollars_is_stored_in_cents_and_shown_in_dollars(
    client, alice, card, product
):
    client.force_login(alice)
    assert _add(client, card, product, price="$25.00").status_code == 200
    rate = card.rates.get()
    assert rate.price == Decimal("2500")  # the API's unit: USD cents
    page = client.get(reverse("pricing:rate-card-detail", args=[card.public_id])).content.decode()
    assert '<td class="num rate-price"><span class="nowrap">$25.00</span></td>' in page
    assert "(cents)" not in page and "2500" not in page
    edit = client.get(reverse("pricing:rate-edit", args=[card.public_id, rate.public_id]), **HX)
    assert 'name="price" value="25.00"' in edit.content.decode()  # edited in dollars


def test_sub_cent_prices_and_grouping(client, alice, card, product):
    client.force_login(alice)
    assert _add(client, card, product, price="0.0003").status_code == 200
    rate = card.rates.get()
    assert rate.price == Decimal("0.03")
    page = client.get(reverse("pricing:rate-card-detail", args=[card.public_id])).content.decode()
    assert "$0.0003" in page
    edit_url = reverse("pricing:rate-edit", args=[card.public_id, rate.public_id])
    data = {
        "starting_at": "2025-01-01",
        "rate_type": "FLAT",
        "price": "$1,200.50",
        "entitled": "on",
    }
    row = client.post(edit_url, data, **HX)
    assert row.status_code == 200 and "$1,200.50" in row.content.decode()
    rate.refresh_from_db()
    assert rate.price == Decimal("120050")


def test_a_decimal_comma_is_refused_not_read_as_a_bigger_price(client, alice, card, product):
    client.force_login(alice)
    response = _add(client, card, product, price="1,5")
    assert response.status_code == 422
    assert "Use a point for decimals" in response.content.decode()
    assert not card.rates.exists()


def test_a_percentage_rate_takes_a_fraction(client, alice, card):
    product = services.product_create(name="Support", type="COMPOSITE", composite_tags=["usage"])
    client.force_login(alice)
    response = _add(client, card, product, rate_type="PERCENTAGE", price="0.05")
    assert response.status_code == 200, response.content.decode()
    rate = card.rates.get()
    assert rate.price == Decimal("0.05")
    edit = client.get(reverse("pricing:rate-edit", args=[card.public_id, rate.public_id]), **HX)
    assert 'name="price" value="0.05"' in edit.content.decode()


def test_a_euro_card_takes_and_shows_euros(client, alice, product):
    euro = CreditType.objects.get(currency_code="EUR")
    card = services.rate_card_create(name="Europe", fiat_credit_type=euro)
    client.force_login(alice)
    assert _add(client, card, product, price="€1,200").status_code == 200
    assert card.rates.get().price == Decimal("120000")
    wrong = _add(client, card, product, price="$5", starting_at="2026-01-01")
    assert wrong.status_code == 422 and "Enter an amount in EUR" in wrong.content.decode()
    page = client.get(reverse("pricing:rate-card-detail", args=[card.public_id])).content.decode()
    assert "€1,200.00" in page and "Prices are in EUR per unit" in page


def test_tiers_are_typed_in_dollars(client, alice, card, product):
    client.force_login(alice)
    tiers = {"tier_size": "100,000", "tier_price": "$0.001", "tier_price_1": "0.0005"}
    response = _add(client, card, product, rate_type="TIERED", **tiers)
    assert response.status_code == 200, response.content.decode()
    assert card.rates.get().tiers == [{"size": "100000", "price": "0.1"}, {"price": "0.05"}]
    page = client.get(reverse("pricing:rate-card-detail", args=[card.public_id])).content.decode()
    assert "next 100,000 @ $0.001" in page and "rest @ $0.0005" in page


def test_the_currency_choices_do_not_say_cents(client, alice):
    client.force_login(alice)
    page = client.get(reverse("pricing:rate-card-list")).content.decode()
    assert "USD (default)" in page and ">EUR<" in page and "(cents)" not in page


def test_package_terms_are_typed_and_shown_in_dollars(client, dave, card, product):
    client.force_login(dave)
    pid = str(product.public_id)
    month = {"unit": "MONTHS", "value": 0}
    terms = json.dumps({
        "commits": [{"type": "PREPAID", "product_id": pid, "access_schedule": {"schedule_items": [
            {"amount": "$12,000.00", "starting_at_offset": month,
             "duration": {"unit": "MONTHS", "value": 12}},
        ]}}],
        "scheduled_charges": [{"product_id": pid, "schedule": {"schedule_items": [
            {"date_offset": month, "quantity": 1, "unit_price": 500.5},
        ]}}],
    })  # fmt: skip
    data = {"package-name": "Growth", "package-rate_card": str(card.public_id),
            "package-terms": terms}  # fmt: skip
    response = client.post(reverse("contracts:package-create"), data, **HX)
    assert response.status_code == 200, response.content.decode()
    package = card.packages.get()
    [segment] = package.terms["commits"][0]["access_schedule"]["schedule_items"]
    assert segment["amount"] == 1200000  # stored in cents, as the API has it
    [item] = package.terms["scheduled_charges"][0]["schedule"]["schedule_items"]
    assert item["unit_price"] == 50050
    page = client.get(reverse("contracts:package-detail", args=[package.public_id]))
    html = page.content.decode()
    assert "$12,000.00" in html and "$500.50" in html and "1200000" not in html
    bad = client.post(
        reverse("contracts:package-create"),
        data | {"package-terms": terms.replace("$12,000.00", "12000.005")},
        **HX,
    )
    assert bad.status_code == 422
    assert "commits[0].access_schedule.schedule_items[0].amount: USD amounts have at most 2" in (
        bad.content.decode()
    )
