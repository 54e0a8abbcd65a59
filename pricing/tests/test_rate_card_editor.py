"""The rate card editor (issue #23 item 2): change a price from a date in one step, shown before
saving; edit keeps the start; dates picked; tiers as rows with grouped numbers; search and
filters in the card; the billable metric on hover; errors that name products."""

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine
from auditlog.models import LogEntry
from django.urls import reverse

from billing_console.api import ApplicationError
from pricing import services
from pricing.console.rate_card_forms import RateAddForm
from pricing.models import Rate, RateCard
from pricing.rate_changes import rate_change_from, rate_change_preview
from usage.services import billable_metric_create

HX = {"HTTP_HX_REQUEST": "true"}
JAN = datetime(2025, 1, 1, tzinfo=UTC)
JAN_2027 = datetime(2027, 1, 1, tzinfo=UTC)
TODAY = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
STORED = (
    "product_id", "starting_at", "ending_before", "entitled", "rate_type", "price", "tiers",
    "custom_rate", "pricing_group_values", "credit_type_id", "is_prorated", "quantity",
    "commit_rate", "billing_frequency", "tier_reset_frequency",
)  # fmt: skip


@pytest.fixture
def storage(db):
    metric = billable_metric_create(
        name="Storage GB-hours", aggregation_type="SUM", aggregation_key="gb",
        event_type_filter={"in_values": ["storage"]},
    )  # fmt: skip
    return services.product_create(
        name="Storage", type="USAGE", billable_metric=metric, pricing_group_key=["region"]
    )


@pytest.fixture
def card(db) -> RateCard:
    return services.rate_card_create(name="List prices")


@pytest.fixture
def rate(card, storage) -> Rate:
    return services.rate_add(
        rate_card=card, product=storage, starting_at=JAN, rate_type="FLAT", price="10",
        pricing_group_values={"region": "eu"},
    )  # fmt: skip


def _stored(rate: Rate) -> dict:
    return {name: getattr(rate, name) for name in STORED}


# -- the service --------------------------------------------------------------------------------


def test_change_ends_the_rate_and_starts_the_new_one(rate):
    change = rate_change_from(rate=rate, starting_at=JAN_2027, price=Decimal("8"))
    rate.refresh_from_db()
    assert rate.ending_before == JAN_2027 and rate.price == Decimal("10")
    new = Rate.objects.get(pk=change.started.pk)
    assert new.starting_at == JAN_2027 and new.ending_before is None
    assert new.price == Decimal("8") and new.pricing_group_values == {"region": "eu"}


def test_change_stores_what_add_rate_stores_with_the_same_data(api, card, storage, rate):
    """Two like rates: one changed in one step, the other ended and followed through addRate."""
    twin = services.rate_add(
        rate_card=card, product=storage, starting_at=JAN, rate_type="FLAT", price="10",
        pricing_group_values={"region": "us"},
    )  # fmt: skip
    tiers = [{"size": "2500", "price": "3"}, {"price": "1.5"}]
    change = rate_change_from(rate=rate, starting_at=JAN_2027, rate_type="TIERED", tiers=tiers)

    services.rate_update(rate=twin, ending_before=JAN_2027)
    body = {
        "rate_card_id": str(card.public_id), "product_id": str(storage.public_id),
        "starting_at": "2027-01-01T00:00:00Z", "entitled": True, "rate_type": "TIERED",
        "tiers": [{"size": 2500, "price": 3}, {"price": 1.5}],
        "pricing_group_values": {"region": "us"},
    }  # fmt: skip
    response = api.post("/v1/contract-pricing/rate-cards/addRate", body, format="json")
    assert response.status_code == 200, response.content
    added = card.rates.get(starting_at=JAN_2027, pricing_group_values={"region": "us"})

    ours, theirs = _stored(Rate.objects.get(pk=change.started.pk)), _stored(added)
    assert ours.pop("pricing_group_values") == {"region": "eu"}
    assert theirs.pop("pricing_group_values") == {"region": "us"}
    assert ours == theirs
    rate.refresh_from_db()
    twin.refresh_from_db()
    assert _stored(rate) | {"pricing_group_values": {}} == _stored(twin) | {
        "pricing_group_values": {}
    }


def test_change_is_atomic_a_refused_new_rate_leaves_the_old_one(rate):
    before = LogEntry.objects.count()
    with pytest.raises(ApplicationError, match="price: must not be negative"):
        rate_change_from(rate=rate, starting_at=JAN_2027, price=Decimal("-1"))
    rate.refresh_from_db()
    assert rate.ending_before is None and Rate.objects.count() == 1
    assert LogEntry.objects.count() == before


@pytest.mark.parametrize(
    ("start", "message"),
    [(JAN, "a change starts after the rate does (Jan 1, 2025)"),
     (datetime(2024, 6, 1, tzinfo=UTC), "edit it instead"),
     (datetime(2027, 6, 1, tzinfo=UTC), "the rate ends Mar 1, 2027")],
)  # fmt: skip
def test_change_must_fall_inside_the_rate(rate, start, message):
    services.rate_update(rate=rate, ending_before=datetime(2027, 3, 1, tzinfo=UTC))
    with pytest.raises(ApplicationError, match=re.escape(message)):
        rate_change_from(rate=rate, starting_at=start, price=Decimal("8"))


def test_preview_saves_nothing(rate):
    before = (Rate.objects.count(), LogEntry.objects.count())
    change = rate_change_preview(rate=rate, starting_at=JAN_2027, price=Decimal("8"))
    assert change.ended.ending_before == JAN_2027 and change.started.price == Decimal("8")
    rate.refresh_from_db()
    assert rate.ending_before is None
    assert (Rate.objects.count(), LogEntry.objects.count()) == before


def test_overlap_error_names_the_product_and_dates_not_an_id(card, storage, rate):
    with pytest.raises(ApplicationError) as err:
        services.rate_add(
            rate_card=card, product=storage, starting_at=JAN_2027, rate_type="FLAT", price="1",
            pricing_group_values={"region": "eu"},
        )  # fmt: skip
    assert err.value.message == (
        "starting_at: overlaps the rate of Storage (region=eu) from Jan 1, 2025, no end; "
        "end that rate first."
    )
    assert str(rate.public_id) not in err.value.message


# -- the console --------------------------------------------------------------------------------


def _change_url(rate: Rate) -> str:
    return reverse("pricing:rate-change", args=[rate.rate_card.public_id, rate.public_id])


@time_machine.travel(TODAY, tick=False)
def test_change_price_review_then_confirm(client, alice, rate):
    client.force_login(alice)
    form = client.get(_change_url(rate)).content.decode()
    assert 'type="date"' in form and 'value="2027-01-01"' in form  # first of next month
    data = {"starting_at": "2027-01-01", "rate_type": "FLAT", "price": "$0.08"}
    review = client.post(_change_url(rate), data | {"review": "1"})
    html = review.content.decode()
    assert review.status_code == 200 and Rate.objects.count() == 1
    assert "Storage (region=eu): $0.10 per unit → $0.08 per unit from Jan 1, 2027" in html
    assert "The current rate (from Jan 1, 2025) ends Jan 1, 2027; the new one has no end" in html
    assert 'name="confirm"' in html and 'type="hidden" name="price" value="$0.08"' in html
    done = client.post(_change_url(rate), data | {"confirm": "1"})
    assert done.status_code == 302
    rate.refresh_from_db()
    assert rate.ending_before == JAN_2027
    assert Rate.objects.get(starting_at=JAN_2027).price == Decimal("8")


@time_machine.travel(TODAY, tick=False)
def test_change_errors_show_beside_the_fields(client, alice, rate):
    client.force_login(alice)
    early = {"starting_at": "2024-01-01", "rate_type": "FLAT", "price": "1", "review": "1"}
    response = client.post(_change_url(rate), early)
    assert response.status_code == 422 and b"edit it instead" in response.content
    assert Rate.objects.count() == 1


@time_machine.travel(TODAY, tick=False)
def test_change_to_tiers_with_rows_added_and_removed(client, alice, rate):
    client.force_login(alice)
    data = {"starting_at": "2027-01-01", "rate_type": "TIERED", "price": "",
            "tier_size": "2,500", "tier_price": "0.10", "tier_size_1": "", "tier_price_1": "0.05"}  # fmt: skip
    added = client.post(_change_url(rate), data | {"row_action": "add:tier"}).content.decode()
    assert 'name="tier_price_2"' in added and 'value="2,500"' in added
    assert Rate.objects.count() == 1  # a row added: nothing saved
    removed = client.post(
        _change_url(rate),
        data | {"tier_size_1": "1,000.50", "tier_price_1": "0.07", "tier_price_2": "0.05",
                "row_action": "remove:tier:0"},
    ).content.decode()  # fmt: skip
    assert 'name="tier_price_2"' not in removed and 'value="1,000.50"' in removed
    client.post(_change_url(rate), data | {"confirm": "1"})
    new = Rate.objects.get(starting_at=JAN_2027)
    assert new.tiers == [{"size": "2500", "price": "10"}, {"price": "5"}]


def test_tier_rows_accept_grouped_numbers_and_name_the_row_at_fault(card, storage):
    data = {"product": str(storage.public_id), "starting_at": "2025-01-01", "rate_type": "TIERED",
            "tier_size": "1,000.50", "tier_price": "$1,200.50", "tier_size_1": "",
            "tier_price_1": "0.5", "entitled": "on"}  # fmt: skip
    form = RateAddForm(data, credit_type=card.fiat_credit_type)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["tiers"] == [
        {"size": "1000.50", "price": "120050"},
        {"price": "50"},
    ]
    bad = RateAddForm(
        data | {"tier_size": "", "tier_price_1": "abc"}, credit_type=card.fiat_credit_type
    )
    assert not bad.is_valid()
    assert "Only the last tier" in bad.errors["tier_size"][0]
    assert "tier_price_1" in bad.errors


def test_edit_keeps_the_exact_start(client, alice, card, storage):
    late = datetime(2025, 3, 1, 10, 30, tzinfo=UTC)
    rate = services.rate_add(
        rate_card=card, product=storage, starting_at=late, rate_type="FLAT", price="10"
    )
    client.force_login(alice)
    url = reverse("pricing:rate-edit", args=[card.public_id, rate.public_id])
    row = client.get(url, **HX).content.decode()
    assert 'type="date"' in row and 'value="2025-03-01"' in row
    assert "corrects this rate from its start, Mar 1, 2025, 10:30 UTC" in row
    data = {"starting_at": "2025-03-01", "rate_type": "FLAT", "price": "0.12", "entitled": "on"}
    assert client.post(url, data, **HX).status_code == 200
    rate.refresh_from_db()
    assert rate.starting_at == late and rate.price == Decimal("12")
    moved = client.post(url, data | {"starting_at": "2025-02-01"}, **HX)
    assert moved.status_code == 200
    rate.refresh_from_db()
    assert rate.starting_at == datetime(2025, 2, 1, tzinfo=UTC)


@time_machine.travel(TODAY, tick=False)
def test_card_search_filters_and_metric_on_hover(client, alice, card, storage, rate):
    seats = services.product_create(name="Seats", type="SUBSCRIPTION")
    services.rate_add(
        rate_card=card, product=seats, starting_at=JAN_2027, rate_type="SUBSCRIPTION", price="500"
    )
    services.rate_update(rate=rate, ending_before=datetime(2026, 1, 1, tzinfo=UTC))
    client.force_login(alice)
    url = reverse("pricing:rate-card-detail", args=[card.public_id])

    def table(query: str) -> str:
        return client.get(url + query, HTTP_HX_TARGET="rate-table", **HX).content.decode()

    everything = table("?when=")
    assert 'title="Billable metric: Storage GB-hours — SUM of gb' in everything
    assert "No billable metric" in everything  # Seats
    assert "Seats" not in table("?q=stor") and "Storage" in table("?q=STOR")
    assert "Storage" not in table("?q=&type=SUBSCRIPTION") and "Seats" in table(
        "?type=SUBSCRIPTION"
    )
    assert "Seats" in table("?type=&when=future") and "Storage" not in table("?when=future")
    assert "Storage" in table("?when=ended") and "Seats" not in table("?when=ended")
    assert "Storage" not in table("?when=now") and "Filters applied" in table("?when=now")
    # An ended rate cannot be changed; a later one can.
    page = client.get(url + "?when=").content.decode()
    assert page.count("Change price") == 1
