"""Tiers that fill over several usage statements (a rate's tier_reset_frequency)."""

from datetime import UTC, datetime, timedelta

import metronome
import pytest

from billing_console.lib.periods import Period
from invoicing.services import invoice_compute_usage
from invoicing.tests.factories import FEB, JAN, MAR, priced_world, send_calls
from pricing.models import Rate
from pricing.services import rate_add

APR = datetime(2026, 4, 1, tzinfo=UTC)
MAY = datetime(2026, 5, 1, tzinfo=UTC)
TIERS = [{"size": 100, "price": 100}, {"price": 50}]


def _tiered(world, reset: int) -> None:
    Rate.objects.filter(pk=world.rate.pk).delete()
    rate_add(rate_card=world.rate_card, product=world.product, starting_at=JAN,
             rate_type="TIERED", tiers=TIERS, tier_reset_frequency=reset)  # fmt: skip


@pytest.mark.django_db
def test_tiers_fill_over_a_quarter_then_start_again():
    world = priced_world()
    _tiered(world, 3)
    for month in (JAN, FEB, MAR, APR):
        send_calls(80, month + timedelta(days=3), prefix=f"m{month.month}")
    totals = [
        invoice_compute_usage(contract=world.contract, period=Period(start, end)).total
        for start, end in ((JAN, FEB), (FEB, MAR), (MAR, APR), (APR, MAY))
    ]
    # Jan 80 x 100; Feb 20 x 100 + 60 x 50; Mar 80 x 50; Apr starts a new quarter: 80 x 100.
    assert totals == [8000, 5000, 4000, 8000]


@pytest.mark.django_db
def test_without_a_reset_frequency_every_statement_starts_at_the_first_tier():
    world = priced_world()
    _tiered(world, 1)
    send_calls(80, JAN + timedelta(days=3), prefix="jan")
    send_calls(80, FEB + timedelta(days=3), prefix="feb")
    invoice = invoice_compute_usage(contract=world.contract, period=Period(FEB, MAR))
    assert invoice.total == 8000


@pytest.mark.sdk
def test_tier_reset_frequency_through_the_api(sdk, db):
    world = priced_world()
    Rate.objects.filter(pk=world.rate.pk).delete()
    card, product = str(world.rate_card.public_id), str(world.product.public_id)
    common = {"rate_card_id": card, "product_id": product, "entitled": True,
              "starting_at": "2027-01-01T00:00:00Z"}  # fmt: skip
    added = sdk.v1.contracts.rate_cards.rates.add(
        **common, rate_type="TIERED", tiers=TIERS, extra_body={"tier_reset_frequency": 3}
    )
    assert added.data.to_dict()["tier_reset_frequency"] == 3
    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.contracts.rate_cards.rates.add(
            **{**common, "starting_at": "2028-01-01T00:00:00Z"}, rate_type="FLAT", price=5,
            extra_body={"tier_reset_frequency": 2},
        )  # fmt: skip
    assert err.value.body["message"].startswith("tier_reset_frequency:")
