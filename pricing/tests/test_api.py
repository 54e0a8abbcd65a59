"""The pricing catalog through the official metronome-sdk against a live server."""

from datetime import UTC, datetime

import metronome
import pytest

from contracts.services import contract_create
from customers.services import customer_create
from pricing.models import (
    USD_CENTS_ID,
    CreditType,
    Package,
    Product,
    ProductVersion,
    Rate,
    RateCard,
)
from pricing.services import credit_type_get_default
from usage.services import billable_metric_create

pytestmark = pytest.mark.sdk

JAN = datetime(2025, 1, 1, tzinfo=UTC)
FEB = datetime(2025, 2, 1, tzinfo=UTC)
MAR = datetime(2025, 3, 1, tzinfo=UTC)
MID_MAR = datetime(2025, 3, 15, tzinfo=UTC)
APR = datetime(2025, 4, 1, tzinfo=UTC)
USD = str(USD_CENTS_ID)


@pytest.fixture(autouse=True)
def _usd(transactional_db):
    """Live-server tests flush the database between tests, seeded rows included."""
    credit_type_get_default()


def _metric(name: str = "calls", group_keys: list[list[str]] | None = None) -> str:
    metric = billable_metric_create(
        name=name,
        event_type_filter={"in_values": [name]},
        aggregation_type="COUNT",
        group_keys=group_keys,
    )
    return str(metric.public_id)


def _usage_product(sdk, name: str = "API calls", **extra) -> str:
    metric = extra.pop("billable_metric_id", None) or _metric(name.lower().replace(" ", "_"))
    return sdk.v1.contracts.products.create(
        name=name, type="USAGE", billable_metric_id=metric, **extra
    ).data.id


def _card(sdk, name: str = "Standard", **extra) -> str:
    return sdk.v1.contracts.rate_cards.create(name=name, **extra).data.id


def _message(err: pytest.ExceptionInfo) -> str:
    return err.value.body["message"]


# -- credit types ------------------------------------------------------------------------------


def test_credit_types_create_list_archive(sdk):
    listed = list(sdk.v1.pricing_units.list(limit=100))
    usd = next(u for u in listed if u.id == USD)
    assert (usd.name, usd.is_currency) == ("USD (cents)", True)

    created = sdk.v1.pricing_units.create(name="GPU hours").data.id
    units = {u.id: u for u in sdk.v1.pricing_units.list(limit=100)}
    assert units[created].name == "GPU hours" and units[created].is_currency is False

    assert sdk.v1.pricing_units.archive(id=created).data.id == created
    assert created not in {u.id for u in sdk.v1.pricing_units.list(limit=100)}


def test_credit_type_errors(sdk):
    sdk.v1.pricing_units.create(name="Tokens")
    with pytest.raises(metronome.ConflictError):
        sdk.v1.pricing_units.create(name="tokens")
    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.pricing_units.archive(id=USD)
    assert _message(err).startswith("id:")
    with pytest.raises(metronome.NotFoundError):
        sdk.v1.pricing_units.archive(id="6f1c4a0e-0000-4000-8000-000000000000")
    assert CreditType.objects.filter(name__iexact="tokens").count() == 1


# -- products ----------------------------------------------------------------------------------


def test_product_create_get_list_archive(sdk):
    metric = _metric("gb", group_keys=[["region"]])
    product_id = sdk.v1.contracts.products.create(
        name="Storage",
        type="USAGE",
        billable_metric_id=metric,
        tags=["storage", "core"],
        pricing_group_key=["region"],
        quantity_conversion={"conversion_factor": 1024, "operation": "DIVIDE", "name": "MB to GB"},
        quantity_rounding={"decimal_places": 2, "rounding_method": "ROUND_UP"},
        netsuite_internal_item_id="NS-1",
    ).data.id
    got = sdk.v1.contracts.products.retrieve(id=product_id).data
    assert got.id == product_id and got.type == "USAGE" and got.archived_at is None
    assert got.current.name == "Storage" and got.current.billable_metric_id == metric
    assert got.current.tags == ["storage", "core"]
    assert got.current.pricing_group_key == ["region"]
    assert got.current.quantity_conversion.conversion_factor == 1024
    assert got.current.quantity_conversion.operation == "DIVIDE"
    assert got.current.quantity_rounding.rounding_method == "ROUND_UP"
    assert got.current.netsuite_internal_item_id == "NS-1"
    assert got.current.created_by == "API token: tests"
    assert got.initial == got.current and got.updates == []

    fixed = sdk.v1.contracts.products.create(name="Onboarding", type="PROFESSIONAL_SERVICE").data.id
    assert Product.objects.get(public_id=fixed).type == "PRO_SERVICE"
    listed = [p.id for p in sdk.v1.contracts.products.list()]
    assert listed == [product_id, fixed]  # in creation order (keyset pages)

    assert sdk.v1.contracts.products.archive(product_id=fixed).data.id == fixed
    assert [p.id for p in sdk.v1.contracts.products.list()] == [product_id]
    assert [p.id for p in sdk.v1.contracts.products.list(archive_filter="ARCHIVED")] == [fixed]
    assert len(list(sdk.v1.contracts.products.list(archive_filter="ALL"))) == 2
    archived = sdk.v1.contracts.products.retrieve(id=fixed).data
    assert archived.archived_at is not None


def test_product_list_paginates(sdk):
    ids = [sdk.v1.contracts.products.create(name=f"P{i}", type="FIXED").data.id for i in range(5)]
    first = sdk.v1.contracts.products.list(limit=2)
    assert len(first.data) == 2 and first.next_page
    assert [p.id for p in sdk.v1.contracts.products.list(limit=2)] == ids


def test_product_update_keeps_history(sdk):
    product_id = _usage_product(sdk, "Calls", tags=["a"])
    sdk.v1.contracts.products.update(
        product_id=product_id, starting_at="2020-03-01T00:00:00Z", name="API calls", tags=["b"]
    )
    got = sdk.v1.contracts.products.retrieve(id=product_id).data
    assert got.initial.name == "Calls" and got.initial.tags == ["a"]
    assert got.current.name == "API calls" and got.current.tags == ["b"]
    assert got.current.starting_at == datetime(2020, 3, 1, tzinfo=UTC)
    assert len(got.updates) == 1
    update = got.updates[0]
    assert (update.name, update.tags) == ("API calls", ["b"])
    assert update.starting_at == datetime(2020, 3, 1, tzinfo=UTC)
    assert update.billable_metric_id is None  # unchanged fields are left out

    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.contracts.products.update(
            product_id=product_id, starting_at="2030-03-01T00:30:00Z", name="X"
        )
    assert _message(err).startswith("starting_at:")
    with pytest.raises(metronome.NotFoundError):
        sdk.v1.contracts.products.update(
            product_id="6f1c4a0e-0000-4000-8000-000000000000", starting_at=JAN
        )
    assert ProductVersion.objects.filter(product__public_id=product_id).count() == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "", "type": "FIXED"}, "name"),
        ({"name": "X", "type": "BOGUS"}, "type"),
        ({"name": "X", "type": "USAGE"}, "billable_metric_id"),
        (
            {"name": "X", "type": "USAGE", "billable_metric_id": "6f1c4a0e-0000-4000-8000-000000000000"},
            "billable_metric_id",
        ),
        (
            {"name": "X", "type": "USAGE", "billable_metric_id": "METRIC",
             "quantity_conversion": {"conversion_factor": 0, "operation": "DIVIDE"}},
            "quantity_conversion.conversion_factor",
        ),
        (
            {"name": "X", "type": "USAGE", "billable_metric_id": "METRIC",
             "quantity_conversion": {"conversion_factor": 10, "operation": "ADD"}},
            "quantity_conversion.operation",
        ),
        (
            {"name": "X", "type": "USAGE", "billable_metric_id": "METRIC",
             "quantity_rounding": {"decimal_places": 2, "rounding_method": "BANKERS"}},
            "quantity_rounding.rounding_method",
        ),
        (
            {"name": "X", "type": "COMPOSITE",
             "composite_product_ids": ["6f1c4a0e-0000-4000-8000-000000000000"]},
            "composite_product_ids[0]",
        ),
        ({"name": "X", "type": "FIXED", "tags": "core"}, "tags"),
    ],
)  # fmt: skip
def test_product_create_rejects_bad_input_naming_the_field(sdk, body, field):
    if body.get("billable_metric_id") == "METRIC":
        body = {**body, "billable_metric_id": _metric()}
    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.contracts.products.create(**body)
    assert _message(err).startswith(f"{field}:")
    assert not Product.objects.exists() and not ProductVersion.objects.exists()


# -- rate cards --------------------------------------------------------------------------------


def test_rate_card_create_get_list_update_archive(sdk):
    gpu = sdk.v1.pricing_units.create(name="GPU credits").data.id
    card_id = _card(
        sdk,
        description="List prices",
        aliases=[{"name": "standard", "starting_at": "2025-01-01T00:00:00Z"}],
        credit_type_conversions=[{"custom_credit_type_id": gpu, "fiat_per_custom_credit": 2.5}],
    )
    card = sdk.v1.contracts.rate_cards.retrieve(id=card_id).data
    assert (card.name, card.description) == ("Standard", "List prices")
    assert card.fiat_credit_type.id == USD and card.fiat_credit_type.name == "USD (cents)"
    assert card.aliases[0].name == "standard" and card.aliases[0].starting_at == JAN
    conversion = card.credit_type_conversions[0]
    assert conversion.custom_credit_type.id == gpu
    assert conversion.fiat_per_custom_credit == "2.5"
    assert card.created_by == "API token: tests"

    other = _card(sdk, name="Another")
    assert [c.id for c in sdk.v1.contracts.rate_cards.list()] == [card_id, other]

    assert (
        sdk.v1.contracts.rate_cards.update(
            rate_card_id=card_id, name="Standard 2025", aliases=[{"name": "std"}]
        ).data.id
        == card_id
    )
    card = sdk.v1.contracts.rate_cards.retrieve(id=card_id).data
    assert card.name == "Standard 2025" and [a.name for a in card.aliases] == ["std"]
    assert card.description == "List prices"

    assert sdk.v1.contracts.rate_cards.archive(id=other).data.id == other
    assert [c.id for c in sdk.v1.contracts.rate_cards.list()] == [card_id]
    with pytest.raises(metronome.NotFoundError):
        sdk.v1.contracts.rate_cards.retrieve(id="nope")


def test_rate_card_bad_references_are_bad_requests(sdk):
    with pytest.raises(metronome.BadRequestError) as err:
        _card(sdk, fiat_credit_type_id="6f1c4a0e-0000-4000-8000-000000000000")
    assert _message(err).startswith("fiat_credit_type_id:")
    with pytest.raises(metronome.BadRequestError) as err:
        _card(
            sdk,
            credit_type_conversions=[{"custom_credit_type_id": USD, "fiat_per_custom_credit": 2}],
        )
    assert _message(err).startswith("credit_type_conversions[0].custom_credit_type_id:")
    _card(sdk, name="First", aliases=[{"name": "taken"}])
    with pytest.raises(metronome.ConflictError):
        _card(sdk, name="Second", aliases=[{"name": "taken"}])
    assert list(RateCard.objects.values_list("name", flat=True)) == ["First"]


# -- rates -------------------------------------------------------------------------------------


@pytest.fixture
def catalog(sdk):
    """Four products on one card; the hand-computed schedule below is for March 2025."""
    products = {
        "calls": _usage_product(sdk, "API calls", tags=["usage"]),
        "storage": _usage_product(sdk, "Storage"),
        "seats": sdk.v1.contracts.products.create(
            name="Seats", type="SUBSCRIPTION", tags=["seats"], custom_fields={}
        ).data.id,
        "support": sdk.v1.contracts.products.create(name="Support", type="FIXED").data.id,
    }
    card = _card(sdk)
    rates = sdk.v1.contracts.rate_cards.rates
    # API calls: 2 cents until mid-March, 1.5 cents from mid-March on.
    rates.add(rate_card_id=card, product_id=products["calls"], entitled=True, rate_type="FLAT",
              price=2, starting_at=JAN, ending_before=MID_MAR)  # fmt: skip
    rates.add(rate_card_id=card, product_id=products["calls"], entitled=True, rate_type="FLAT",
              price=1.5, starting_at=MID_MAR)  # fmt: skip
    rates.add_many(
        rate_card_id=card,
        rates=[
            {"product_id": products["storage"], "entitled": True, "rate_type": "TIERED",
             "starting_at": "2025-01-01T00:00:00Z",
             "tiers": [{"size": 1000, "price": 3}, {"price": 1.25}]},
            {"product_id": products["seats"], "entitled": False, "rate_type": "SUBSCRIPTION",
             "starting_at": "2025-02-01T00:00:00Z", "price": 5000, "quantity": 1,
             "is_prorated": True, "billing_frequency": "MONTHLY"},
            # Support: one rate ended before March, the next starts after it.
            {"product_id": products["support"], "entitled": True, "rate_type": "FLAT",
             "starting_at": "2024-01-01T00:00:00Z", "ending_before": "2025-02-01T00:00:00Z",
             "price": 100},
            {"product_id": products["support"], "entitled": True, "rate_type": "FLAT",
             "starting_at": "2025-04-01T00:00:00Z", "price": 120},
        ],
    )  # fmt: skip
    return card, products


def test_rate_schedule_for_march_is_what_we_computed_by_hand(sdk, catalog):
    card, p = catalog
    schedule = sdk.v1.contracts.rate_cards.retrieve_rate_schedule(
        rate_card_id=card, starting_at=MAR, ending_before=APR
    )
    got = [
        (e.product_name, e.starting_at, e.ending_before, e.rate.rate_type, e.rate.price,
         [(t.size, t.price) for t in e.rate.tiers or []], e.entitled)
        for e in schedule.data
    ]  # fmt: skip
    assert got == [
        ("API calls", JAN, MID_MAR, "FLAT", 2, [], True),  # ends mid-month
        ("API calls", MID_MAR, None, "FLAT", 1.5, [], True),  # starts mid-month
        ("Seats", FEB, None, "SUBSCRIPTION", 5000, [], False),
        ("Storage", JAN, None, "TIERED", None, [(1000, 3), (None, 1.25)], True),
    ]
    assert schedule.next_page is None
    calls = schedule.data[0]
    assert calls.product_id == p["calls"] and calls.product_tags == ["usage"]
    assert calls.product_custom_fields == {}
    assert calls.rate.credit_type.id == USD and calls.rate.credit_type.name == "USD (cents)"
    seats = schedule.data[2]
    assert seats.rate.is_prorated is True and seats.rate.quantity == 1
    assert seats.billing_frequency == "MONTHLY"

    only_storage = sdk.v1.contracts.rate_cards.retrieve_rate_schedule(
        rate_card_id=card, starting_at=MAR, ending_before=APR,
        selectors=[{"product_id": p["storage"]}, {"billing_frequency": "MONTHLY"}],
    )  # fmt: skip
    assert [e.product_name for e in only_storage.data] == ["Seats", "Storage"]

    # No end: every later segment too (the April Support rate).
    open_ended = sdk.v1.contracts.rate_cards.retrieve_rate_schedule(
        rate_card_id=card, starting_at=MID_MAR
    )
    assert [(e.product_name, e.starting_at) for e in open_ended.data] == [
        ("API calls", MID_MAR),
        ("Seats", FEB),
        ("Storage", JAN),
        ("Support", APR),
    ]
    paged = sdk.v1.contracts.rate_cards.retrieve_rate_schedule(
        rate_card_id=card, starting_at=MAR, ending_before=APR, limit=3
    )
    assert len(paged.data) == 3 and paged.next_page
    rest = sdk.v1.contracts.rate_cards.retrieve_rate_schedule(
        rate_card_id=card, starting_at=MAR, ending_before=APR, next_page=paged.next_page
    )
    assert [e.product_name for e in rest.data] == ["Storage"]


def test_get_rates_at_a_moment(sdk, catalog):
    card, p = catalog
    at = datetime(2025, 3, 20, tzinfo=UTC)
    rates = list(sdk.v1.contracts.rate_cards.rates.list(rate_card_id=card, at=at))
    assert [(r.product_name, r.rate.price) for r in rates] == [
        ("API calls", 1.5),
        ("Seats", 5000),
        ("Storage", None),
    ]
    tagged = sdk.v1.contracts.rate_cards.rates.list(
        rate_card_id=card, at=at, selectors=[{"product_tags": ["seats"]}]
    )
    assert [r.product_id for r in tagged] == [p["seats"]]
    before = sdk.v1.contracts.rate_cards.rates.list(rate_card_id=card, at=MAR)
    assert [(r.product_name, r.rate.price) for r in before] == [
        ("API calls", 2),
        ("Seats", 5000),
        ("Storage", None),
    ]


def test_add_rate_returns_the_rate(sdk):
    product = _usage_product(sdk)
    card = _card(sdk)
    added = sdk.v1.contracts.rate_cards.rates.add(
        rate_card_id=card, product_id=product, entitled=True, rate_type="FLAT",
        price=0.0025, starting_at=JAN,
        commit_rate={"rate_type": "FLAT", "price": 0.002},
    ).data  # fmt: skip
    assert added.rate_type == "FLAT" and added.price == 0.0025
    assert added.credit_type.id == USD
    assert added.commit_rate.price == 0.002
    rate = Rate.objects.get()
    assert str(rate.price) == "0.002500000000"


def test_rate_with_custom_credit_type_needs_a_conversion(sdk):
    product = _usage_product(sdk)
    gpu = sdk.v1.pricing_units.create(name="GPU credits").data.id
    card = _card(sdk)
    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.contracts.rate_cards.rates.add(
            rate_card_id=card, product_id=product, entitled=True, rate_type="FLAT", price=1,
            starting_at=JAN, credit_type_id=gpu,
        )  # fmt: skip
    assert _message(err).startswith("credit_type_id:")
    sdk.v1.contracts.rate_cards.update(
        rate_card_id=card,
        add_credit_type_conversions=[{"custom_credit_type_id": gpu, "fiat_per_custom_credit": 3}],
    )
    added = sdk.v1.contracts.rate_cards.rates.add(
        rate_card_id=card, product_id=product, entitled=True, rate_type="FLAT", price=1,
        starting_at=JAN, credit_type_id=gpu,
    ).data  # fmt: skip
    assert added.credit_type.id == gpu and added.credit_type.name == "GPU credits"


UNKNOWN = "6f1c4a0e-0000-4000-8000-000000000000"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"price": -1}, "price"),
        ({"rate_type": "TIERED", "price": None, "tiers": [{"price": 2}, {"size": 100, "price": 1}]},
         "tiers[0].size"),
        ({"rate_type": "TIERED", "price": None, "tiers": [{"size": 0, "price": 2}, {"price": 1}]},
         "tiers[0].size"),
        ({"rate_type": "TIERED", "price": None, "tiers": [{"size": 10, "price": -2}, {"price": 1}]},
         "tiers[0].price"),
        ({"product_id": UNKNOWN}, "product_id"),
        ({"product_id": "not-a-uuid"}, "product_id"),
        ({"credit_type_id": UNKNOWN}, "credit_type_id"),
        ({"rate_type": "TIERED_PERCENTAGE"}, "rate_type"),
        ({"ending_before": "2024-12-01T00:00:00Z"}, "ending_before"),
        ({"starting_at": "2025-01-01T00:00:00"}, "starting_at"),
        ({"starting_at": "2025-02-01T00:00:00Z"}, "starting_at"),  # overlaps the existing rate
        ({"is_prorated": True}, "is_prorated"),
        ({"pricing_group_values": {"region": "eu"}}, "pricing_group_values"),
    ],
)  # fmt: skip
def test_add_rate_rejects_bad_input_naming_the_field_and_writes_nothing(sdk, changes, field):
    product = _usage_product(sdk)
    card = _card(sdk)
    sdk.v1.contracts.rate_cards.rates.add(
        rate_card_id=card, product_id=product, entitled=True, rate_type="FLAT", price=1,
        starting_at=JAN,
    )  # fmt: skip
    body = {"rate_card_id": card, "product_id": product, "entitled": True, "rate_type": "FLAT",
            "price": 1, "starting_at": "2026-01-01T00:00:00Z", **changes}  # fmt: skip
    body = {k: v for k, v in body.items() if v is not None}
    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.contracts.rate_cards.rates.add(**body)
    assert _message(err).startswith(f"{field}:"), _message(err)
    assert Rate.objects.count() == 1


def test_add_rates_is_all_or_nothing(sdk):
    calls = _usage_product(sdk)
    storage = _usage_product(sdk, "Storage")
    card = _card(sdk)
    good = {"product_id": calls, "entitled": True, "rate_type": "FLAT", "price": 1,
            "starting_at": "2025-01-01T00:00:00Z"}  # fmt: skip
    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.contracts.rate_cards.rates.add_many(
            rate_card_id=card,
            rates=[good, {**good, "product_id": storage, "price": -5}],
        )
    assert _message(err).startswith("rates[1].price:")
    with pytest.raises(metronome.BadRequestError) as err:  # overlapping one another
        sdk.v1.contracts.rate_cards.rates.add_many(
            rate_card_id=card,
            rates=[good, {**good, "starting_at": "2025-06-01T00:00:00Z"}],
        )
    assert _message(err).startswith("rates[1].starting_at:")
    assert "overlaps" in _message(err)
    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.contracts.rate_cards.rates.add_many(
            rate_card_id=card, rates=[good, {**good, "product_id": UNKNOWN}]
        )
    assert _message(err).startswith("rates[1].product_id:")
    assert Rate.objects.count() == 0

    assert (
        sdk.v1.contracts.rate_cards.rates.add_many(rate_card_id=card, rates=[good]).data.id == card
    )
    assert Rate.objects.count() == 1


def test_rates_on_unknown_rate_card_are_not_found(sdk):
    with pytest.raises(metronome.NotFoundError):
        sdk.v1.contracts.rate_cards.rates.list(rate_card_id=UNKNOWN, at=JAN)
    with pytest.raises(metronome.NotFoundError):
        sdk.v1.contracts.rate_cards.retrieve_rate_schedule(rate_card_id=UNKNOWN, starting_at=JAN)


# -- packages ----------------------------------------------------------------------------------


@pytest.fixture
def priced(sdk):
    calls = _usage_product(sdk)
    seats = sdk.v1.contracts.products.create(name="Seats", type="SUBSCRIPTION").data.id
    commit = sdk.v1.contracts.products.create(name="Prepaid commit", type="FIXED").data.id
    card = _card(sdk, aliases=[{"name": "standard"}])
    sdk.v1.contracts.rate_cards.rates.add_many(
        rate_card_id=card,
        rates=[
            {"product_id": calls, "entitled": True, "rate_type": "FLAT", "price": 2,
             "starting_at": "2025-01-01T00:00:00Z"},
            {"product_id": seats, "entitled": True, "rate_type": "SUBSCRIPTION", "price": 5000,
             "starting_at": "2025-01-01T00:00:00Z", "billing_frequency": "MONTHLY"},
        ],
    )  # fmt: skip
    return {"calls": calls, "seats": seats, "commit": commit, "card": card}


def _package_body(p: dict[str, str]) -> dict:
    month = {"unit": "MONTHS", "value": 1}
    start = {"unit": "MONTHS", "value": 0}
    return {
        "name": "Startup",
        "rate_card_id": p["card"],
        "contract_name": "Startup plan",
        "duration": {"unit": "YEARS", "value": 1},
        "net_payment_terms_days": 30,
        "usage_statement_schedule": {"frequency": "MONTHLY", "day": "FIRST_OF_MONTH"},
        "commits": [
            {"product_id": p["commit"], "type": "PREPAID", "temporary_id": "c1", "priority": 1,
             "access_schedule": {"schedule_items": [
                 {"amount": 100000, "starting_at_offset": start, "duration": {"unit": "YEARS", "value": 1}}]},
             "invoice_schedule": {"schedule_items": [
                 {"date_offset": start, "quantity": 1, "unit_price": 90000}]},
             "applicable_product_ids": [p["calls"]]},
        ],
        "credits": [
            {"product_id": p["commit"], "name": "Welcome credit",
             "access_schedule": {"schedule_items": [
                 {"amount": 500.5, "starting_at_offset": start, "duration": month}]}},
        ],
        "overrides": [
            {"override_specifiers": [{"product_id": p["calls"]}], "starting_at_offset": start,
             "type": "MULTIPLIER", "multiplier": 0.8, "duration": {"unit": "MONTHS", "value": 6}},
            {"override_specifiers": [{"product_id": p["calls"], "commit_ids": ["c1"]}],
             "starting_at_offset": start, "is_commit_specific": True, "target": "COMMIT_RATE",
             "overwrite_rate": {"rate_type": "FLAT", "price": 1.5}},
        ],
        "scheduled_charges": [
            {"product_id": p["commit"], "name": "Setup fee",
             "schedule": {"schedule_items": [{"date_offset": start, "quantity": 1, "unit_price": 25000}]}},
        ],
        "subscriptions": [
            {"collection_schedule": "ADVANCE", "temporary_id": "s1", "initial_quantity": 5,
             "proration": {"is_prorated": True, "invoice_behavior": "BILL_IMMEDIATELY"},
             "subscription_rate": {"product_id": p["seats"], "billing_frequency": "MONTHLY"}},
        ],
        "recurring_credits": [
            {"product_id": p["commit"], "priority": 2, "starting_at_offset": start,
             "access_amount": {"unit_price": 1000, "quantity": 1},
             "commit_duration": {"value": 1}, "recurrence_frequency": "MONTHLY"},
        ],
        "recurring_commits": [
            {"product_id": p["commit"], "priority": 3, "starting_at_offset": start,
             "access_amount": {"unit_price": 200},
             "commit_duration": {"value": 1, "unit": "PERIODS"},
             "subscription_config": {"subscription_id": "s1", "allocation": "POOLED",
                                     "apply_seat_increase_config": {"is_prorated": True}}},
        ],
        "aliases": [{"name": "startup"}],
        "uniqueness_key": "pkg-startup-1",
    }  # fmt: skip


def test_package_create_get_list_archive(sdk, priced):
    p = priced
    package_id = sdk.v1.packages.create(**_package_body(p)).data.id
    got = sdk.v1.packages.retrieve(package_id=package_id).data
    assert (got.name, got.rate_card_id, got.contract_name) == ("Startup", p["card"], "Startup plan")
    assert got.uniqueness_key == "pkg-startup-1" and got.created_by == "API token: tests"
    assert got.duration.unit == "YEARS" and got.net_payment_terms_days == 30
    assert got.usage_statement_schedule.day == "FIRST_OF_MONTH"
    assert [a.name for a in got.aliases] == ["startup"]

    commit = got.commits[0]
    assert commit.product.id == p["commit"] and commit.product.name == "Prepaid commit"
    assert commit.type == "PREPAID" and commit.applicable_product_ids == [p["calls"]]
    assert commit.access_schedule.credit_type.id == USD
    assert commit.access_schedule.schedule_items[0].amount == 100000
    assert commit.access_schedule.schedule_items[0].id
    assert commit.invoice_schedule.schedule_items[0].unit_price == 90000
    assert got.credits[0].name == "Welcome credit"
    assert got.credits[0].access_schedule.schedule_items[0].amount == 500.5

    multiplier, overwrite = got.overrides
    assert multiplier.type == "MULTIPLIER" and multiplier.multiplier == 0.8
    assert multiplier.override_specifiers[0].product_id == p["calls"]
    assert overwrite.overwrite_rate.price == 1.5 and overwrite.overwrite_rate.credit_type.id == USD
    assert overwrite.override_specifiers[0].commit_template_ids == [commit.id]

    assert got.scheduled_charges[0].schedule.schedule_items[0].unit_price == 25000
    subscription = got.subscriptions[0]
    assert subscription.subscription_rate.product.name == "Seats"
    assert subscription.initial_quantity == 5
    assert got.recurring_credits[0].access_amount.unit_price == 1000
    assert got.recurring_commits[0].subscription_config.subscription_template_id == subscription.id
    # Ids are stable from read to read.
    assert sdk.v1.packages.retrieve(package_id=package_id).data.commits[0].id == commit.id

    stored = Package.objects.get().terms
    assert stored["commits"][0]["product_id"] == p["commit"]  # wire-shaped, for contracts

    other = sdk.v1.packages.create(name="Alias based", rate_card_alias="standard").data.id
    assert sdk.v1.packages.retrieve(package_id=other).data.rate_card_id is None
    assert [x.id for x in sdk.v1.packages.list()] == [package_id, other]
    assert sdk.v1.packages.archive(package_id=other).data.id == other
    assert [x.id for x in sdk.v1.packages.list()] == [package_id]
    assert [x.id for x in sdk.v1.packages.list(archive_filter="ARCHIVED")] == [other]
    assert len(list(sdk.v1.packages.list(archive_filter="ALL"))) == 2
    with pytest.raises(metronome.NotFoundError):
        sdk.v1.packages.retrieve(package_id=UNKNOWN)


def test_package_uniqueness_key_reuse_is_a_conflict(sdk, priced):
    sdk.v1.packages.create(name="A", rate_card_id=priced["card"], uniqueness_key="k1")
    with pytest.raises(metronome.ConflictError) as err:
        sdk.v1.packages.create(name="B", rate_card_id=priced["card"], uniqueness_key="k1")
    assert _message(err).startswith("uniqueness_key:")
    assert list(Package.objects.values_list("name", flat=True)) == ["A"]


def _set(body: dict, path: str, value) -> dict:
    """A copy of body with the dotted/indexed path set (value None deletes it)."""
    import copy
    import re

    body = copy.deepcopy(body)
    keys = [int(k) if k.isdigit() else k for k in re.findall(r"[^.\[\]]+", path)]
    target = body
    for key in keys[:-1]:
        target = target[key]
    if value is None:
        del target[keys[-1]]
    else:
        target[keys[-1]] = value
    return body


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("commits[0].product_id", UNKNOWN, "commits[0].product_id"),
        ("commits[0].applicable_product_ids", [UNKNOWN], "commits[0].applicable_product_ids[0]"),
        ("commits[0].type", "SOMETIMES", "commits[0].type"),
        ("commits[0].access_schedule.schedule_items[0].amount", -1,
         "commits[0].access_schedule.schedule_items[0].amount"),
        ("commits[0].access_schedule.schedule_items[0].duration", {"unit": "MONTHS", "value": 0},
         "commits[0].access_schedule.schedule_items[0].duration.value"),
        ("credits[0].access_schedule.credit_type_id", UNKNOWN,
         "credits[0].access_schedule.credit_type_id"),
        ("overrides[0].override_specifiers[0].product_id", UNKNOWN,
         "overrides[0].override_specifiers[0].product_id"),
        ("overrides[1].override_specifiers[0].commit_ids", ["nope"],
         "overrides[1].override_specifiers[0].commit_ids"),
        ("overrides[1].overwrite_rate.price", -3, "overrides[1].overwrite_rate.price"),
        ("scheduled_charges[0].product_id", UNKNOWN, "scheduled_charges[0].product_id"),
        ("subscriptions[0].subscription_rate.billing_frequency", "ANNUAL",
         "subscriptions[0].subscription_rate.product_id"),
        ("recurring_commits[0].subscription_config.subscription_id", "s9",
         "recurring_commits[0].subscription_config.subscription_id"),
        ("recurring_credits[0].access_amount", {"quantity": 1}, "recurring_credits[0].access_amount.unit_price"),
        ("rate_card_id", UNKNOWN, "rate_card_id"),
        ("rate_card_id", None, "rate_card_id"),
        ("duration", {"unit": "DECADES", "value": 1}, "duration.unit"),
        ("usage_statement_schedule", {"day": "FIRST_OF_MONTH"}, "usage_statement_schedule.frequency"),
        ("net_payment_terms_days", -1, "net_payment_terms_days"),
        ("name", "", "name"),
    ],
)  # fmt: skip
def test_package_create_rejects_bad_terms_naming_the_field(sdk, priced, path, value, field):
    body = _set(_package_body(priced), path, value)
    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.packages.create(**body)
    assert _message(err).startswith(f"{field}:"), _message(err)
    assert Package.objects.count() == 0


def test_package_with_unknown_field_is_rejected(sdk, priced):
    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.packages.create(name="X", rate_card_id=priced["card"], extra_body={"comits": []})
    assert _message(err).startswith("comits:")


def test_list_contracts_on_package(sdk, priced):
    package_id = sdk.v1.packages.create(name="Startup", rate_card_id=priced["card"]).data.id
    package = Package.objects.get(public_id=package_id)
    card = RateCard.objects.get(public_id=priced["card"])
    acme = customer_create(name="Acme", ingest_aliases=["acme"])
    early = contract_create(
        customer=acme,
        data={"starting_at": "2025-01-01T00:00:00Z", "ending_before": "2025-03-01T00:00:00Z",
              "rate_card_id": str(card.public_id)},
    )  # fmt: skip
    late = contract_create(
        customer=acme,
        data={"starting_at": "2025-03-01T00:00:00Z", "rate_card_id": str(card.public_id)},
    )
    unrelated = contract_create(
        customer=acme,
        data={"starting_at": "2025-03-01T00:00:00Z", "rate_card_id": str(card.public_id)},
    )
    for contract in (early, late):
        contract.package = package
        contract.save(update_fields=["package"])

    listed = list(sdk.v1.packages.list_contracts_on_package(package_id=package_id))
    assert [c.contract_id for c in listed] == [str(early.public_id), str(late.public_id)]
    assert listed[0].customer_id == str(acme.public_id)
    assert listed[0].starting_at == JAN and listed[0].ending_before == MAR
    assert listed[1].ending_before is None
    assert unrelated.package_id is None

    covering = sdk.v1.packages.list_contracts_on_package(
        package_id=package_id, covering_date="2025-02-10T00:00:00Z"
    )
    assert [c.contract_id for c in covering] == [str(early.public_id)]
    starting = sdk.v1.packages.list_contracts_on_package(package_id=package_id, starting_at=FEB)
    assert [c.contract_id for c in starting] == [str(late.public_id)]
    with pytest.raises(metronome.BadRequestError):
        sdk.v1.packages.list_contracts_on_package(
            package_id=package_id, starting_at=FEB, covering_date=FEB
        )
    with pytest.raises(metronome.NotFoundError):
        sdk.v1.packages.list_contracts_on_package(package_id=UNKNOWN)

    early.archived_at = MAR
    early.save(update_fields=["archived_at"])
    assert [c.contract_id for c in sdk.v1.packages.list_contracts_on_package(
        package_id=package_id
    )] == [str(late.public_id)]  # fmt: skip
    with_archived = list(
        sdk.v1.packages.list_contracts_on_package(package_id=package_id, include_archived=True)
    )
    assert [c.archived_at for c in with_archived] == [MAR, None]


def test_every_response_validates_against_the_sdk_types(sdk, priced):
    """The SDK builds responses without validation; validate our JSON against its models."""
    from metronome.types.v1 import (
        PackageListContractsOnPackageResponse,
        PackageListResponse,
        PackageRetrieveResponse,
        PricingUnitListResponse,
    )
    from metronome.types.v1.contracts import (
        ProductListResponse,
        ProductRetrieveResponse,
        RateCardListResponse,
        RateCardRetrieveRateScheduleResponse,
        RateCardRetrieveResponse,
    )
    from metronome.types.v1.contracts.rate_cards import RateAddResponse, RateListResponse

    def strict(model, raw):
        model.model_validate(raw, strict=False)
        return raw

    package = sdk.v1.packages.create(**_package_body(priced)).data.id
    card = priced["card"]
    sdk.v1.contracts.products.update(product_id=priced["calls"], starting_at=FEB, tags=["x"])
    raw = sdk.with_raw_response.v1.contracts.products.retrieve(id=priced["calls"]).json()
    strict(ProductRetrieveResponse, raw)
    raw = sdk.with_raw_response.v1.contracts.products.list().json()
    for item in raw["data"]:
        strict(ProductListResponse, item)
    for item in sdk.with_raw_response.v1.pricing_units.list().json()["data"]:
        strict(PricingUnitListResponse, item)
    strict(
        RateCardRetrieveResponse,
        sdk.with_raw_response.v1.contracts.rate_cards.retrieve(id=card).json(),
    )
    for item in sdk.with_raw_response.v1.contracts.rate_cards.list().json()["data"]:
        strict(RateCardListResponse, item)
    strict(
        RateCardRetrieveRateScheduleResponse,
        sdk.with_raw_response.v1.contracts.rate_cards.retrieve_rate_schedule(
            rate_card_id=card, starting_at=JAN
        ).json(),
    )
    for item in sdk.with_raw_response.v1.contracts.rate_cards.rates.list(
        rate_card_id=card, at=FEB
    ).json()["data"]:
        strict(RateListResponse, item)
    added = sdk.with_raw_response.v1.contracts.rate_cards.rates.add(
        rate_card_id=card, product_id=priced["commit"], entitled=True, rate_type="TIERED",
        starting_at="2030-01-01T00:00:00Z", tiers=[{"size": 10, "price": 2}, {"price": 1}],
    ).json()  # fmt: skip
    strict(RateAddResponse, added)
    strict(
        PackageRetrieveResponse,
        sdk.with_raw_response.v1.packages.retrieve(package_id=package).json(),
    )
    for item in sdk.with_raw_response.v1.packages.list().json()["data"]:
        strict(PackageListResponse, item)
    raw = sdk.with_raw_response.v1.packages.list_contracts_on_package(package_id=package).json()
    for item in raw["data"]:
        strict(PackageListContractsOnPackageResponse, item)
