"""Pricing services against the database: product version history, rates added all or nothing,
packages."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from billing_console.api import ApplicationError
from pricing.models import Package, ProductVersion, Rate
from pricing.packages import package_archive, package_create
from pricing.selectors import product_current, product_state_at, rate_at, rates_at
from pricing.services import (
    BEGINNING,
    product_create,
    product_update,
    rate_add,
    rate_card_create,
    rates_add_many,
)

pytestmark = pytest.mark.django_db

JAN = datetime(2025, 1, 1, tzinfo=UTC)
FEB = datetime(2025, 2, 1, tzinfo=UTC)
MAR = datetime(2025, 3, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _fresh(product):
    product._versions_cache = None
    return product


def test_product_update_starts_a_version_at_starting_at():
    product = product_create(name="Support", type="FIXED", tags=["a"], created_by="alice")
    product_update(product=product, starting_at=MAR, name="Premium support", tags=["b"],
                   created_by="bob")  # fmt: skip
    _fresh(product)
    before = product_state_at(product, MAR - HOUR)
    after = product_state_at(product, MAR)
    assert (before.name, before.tags, before.starting_at) == ("Support", ["a"], BEGINNING)
    assert (after.name, after.tags, after.starting_at) == ("Premium support", ["b"], MAR)
    assert (before.created_by, after.created_by) == ("alice", "bob")
    assert product_state_at(product, datetime(1960, 1, 1, tzinfo=UTC)) == before
    product.refresh_from_db()
    assert product.name == "Premium support"  # the row mirrors the latest version


def test_update_between_versions_inherits_from_the_version_in_force_then():
    product = product_create(name="Seats", type="SUBSCRIPTION", tags=["a"], is_refundable=True)
    product_update(product=product, starting_at=MAR, tags=["march"])
    product_update(product=product, starting_at=FEB, is_refundable=False)
    _fresh(product)
    feb, mar = product_state_at(product, FEB), product_state_at(product, MAR)
    assert (feb.tags, feb.is_refundable) == (["a"], False)
    # The March version was written before the February one and keeps its own state.
    assert (mar.tags, mar.is_refundable) == (["march"], True)
    assert product_current(product) == mar
    assert ProductVersion.objects.filter(product=product).count() == 3


def test_updating_again_at_the_same_moment_replaces_that_version():
    product = product_create(name="Seats", type="SUBSCRIPTION")
    product_update(product=product, starting_at=FEB, name="Seat")
    product_update(product=product, starting_at=FEB, name="Seats (annual)")
    assert list(ProductVersion.objects.filter(product=product).values_list("name", flat=True)) == [
        "Seats",
        "Seats (annual)",
    ]


def test_product_update_rejects_bad_input_and_writes_nothing():
    product = product_create(name="Support", type="FIXED")
    with pytest.raises(ApplicationError) as err:
        product_update(product=product, starting_at=FEB, name=" ")
    assert err.value.message.startswith("name:")
    with pytest.raises(ApplicationError) as err:
        product_update(product=product, starting_at=FEB, composite_tags=["x"])
    assert err.value.message.startswith("composite_product_ids:")
    assert ProductVersion.objects.filter(product=product).count() == 1


@pytest.fixture
def card_and_products():
    card = rate_card_create(name="Standard")
    support = product_create(name="Support", type="FIXED")
    setup = product_create(name="Setup", type="FIXED")
    return card, support, setup


def test_rates_add_many_adds_every_rate(card_and_products):
    card, support, setup = card_and_products
    rates = rates_add_many(
        rate_card=card,
        rates=[
            {"product": support, "starting_at": JAN, "ending_before": FEB, "rate_type": "FLAT", "price": 100},
            {"product": support, "starting_at": FEB, "rate_type": "FLAT", "price": "120.5"},
            {"product": setup, "starting_at": JAN, "rate_type": "FLAT", "price": 0},
        ],
    )  # fmt: skip
    assert len(rates) == 3
    assert rate_at(card, support, FEB - HOUR, {}).price == Decimal(100)
    assert rate_at(card, support, FEB, {}).price == Decimal("120.5")
    assert [r.product.name for r in rates_at(card, FEB)] == ["Setup", "Support"]


@pytest.mark.parametrize(
    ("second", "message"),
    [
        ({"price": -1}, "rates[1].price: must not be negative."),
        ({"starting_at": FEB}, "rates[1].starting_at: overlaps the rate of Support"),
        ({"rate_type": "TIERED", "tiers": [{"price": 1}, {"size": 10, "price": 1}]},
         "rates[1].tiers[0].size: is required on every tier but the last."),
        ({"ending_before": JAN}, "rates[1].ending_before: must be after starting_at."),
        ({"rate_type": "SUBSCRIPTION"}, "rates[1].rate_type: SUBSCRIPTION rates are for"),
    ],
)  # fmt: skip
def test_rates_add_many_is_all_or_nothing(card_and_products, second, message):
    card, support, setup = card_and_products
    first = {"product": support, "starting_at": JAN, "rate_type": "FLAT", "price": 100}
    with pytest.raises(ApplicationError) as err:
        rates_add_many(rate_card=card, rates=[first, {**first, **second}])
    assert err.value.message.startswith(message)
    assert Rate.objects.count() == 0


def test_rates_add_many_needs_rates(card_and_products):
    card, _support, _setup = card_and_products
    with pytest.raises(ApplicationError) as err:
        rates_add_many(rate_card=card, rates=[])
    assert err.value.message.startswith("rates:")


def test_rates_add_many_checks_overlap_against_existing_rates(card_and_products):
    card, support, setup = card_and_products
    rate_add(rate_card=card, product=support, starting_at=JAN, rate_type="FLAT", price=1)
    with pytest.raises(ApplicationError) as err:
        rates_add_many(
            rate_card=card,
            rates=[
                {"product": setup, "starting_at": JAN, "rate_type": "FLAT", "price": 1},
                {"product": support, "starting_at": MAR, "rate_type": "FLAT", "price": 2},
            ],
        )
    assert err.value.message.startswith("rates[1].starting_at: overlaps")
    assert Rate.objects.count() == 1


def test_package_create_stores_validated_terms_and_archives(card_and_products):
    card, support, _setup = card_and_products
    package = package_create(
        data={
            "name": " Starter ",
            "rate_card_id": str(card.public_id),
            "scheduled_charges": [
                {"product_id": str(support.public_id),
                 "schedule": {"schedule_items": [
                     {"date_offset": {"unit": "DAYS", "value": 0}, "quantity": 1.0, "unit_price": "99.50"}]}},
            ],
            "uniqueness_key": "starter",
        }
    )  # fmt: skip
    assert package.name == "Starter" and package.rate_card == card
    item = package.terms["scheduled_charges"][0]["schedule"]["schedule_items"][0]
    assert item == {"date_offset": {"unit": "DAYS", "value": 0}, "quantity": 1, "unit_price": 99.5}
    with pytest.raises(ApplicationError) as err:
        package_create(data={"name": "Again", "rate_card_id": str(card.public_id),
                             "uniqueness_key": "starter"})  # fmt: skip
    assert err.value.code == "conflict"
    archived = package_archive(package=package)
    assert archived.archived_at is not None
    assert package_archive(package=package).archived_at == archived.archived_at
    assert Package.objects.count() == 1


def test_package_on_archived_rate_card_is_refused(card_and_products):
    card, _support, _setup = card_and_products
    card.archived_at = JAN
    card.save()
    with pytest.raises(ApplicationError) as err:
        package_create(data={"name": "P", "rate_card_id": str(card.public_id)})
    assert err.value.message == "rate_card_id: the rate card is archived."
