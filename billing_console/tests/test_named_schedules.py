"""Named schedules on rate cards, contracts and customers through the official metronome-sdk
(getNamedSchedule, updateNamedSchedule, listNamedSchedules), plus raw requests for errors."""

from datetime import UTC, datetime

import metronome
import pytest

from contracts.models import ContractNamedSchedule
from invoicing.tests.factories import priced_world
from pricing.models import RateCardNamedSchedule
from pricing.services import credit_type_get_default

pytestmark = pytest.mark.sdk

JAN = datetime(2026, 1, 1, tzinfo=UTC)
FEB = datetime(2026, 2, 1, tzinfo=UTC)
MAR = datetime(2026, 3, 1, tzinfo=UTC)
APR = datetime(2026, 4, 1, tzinfo=UTC)
MISSING = "00000000-0000-0000-0000-00000000abcd"


@pytest.fixture
def world(transactional_db):
    """Live-server tests flush the database between tests, seeded rows included."""
    credit_type_get_default()
    return priced_world()


def _values(data) -> list[tuple]:
    return [(s.starting_at, s.ending_before, s.value) for s in data]


# -- rate cards ---------------------------------------------------------------------------------


def test_rate_card_schedule_update_then_get_covering_a_date(sdk, world):
    card = str(world.rate_card.public_id)
    schedules = sdk.v1.contracts.named_schedules
    assert schedules.update(
        rate_card_id=card, schedule_name="discount", starting_at=JAN, value={"pct": 10}
    ) is None  # fmt: skip
    schedules.update(rate_card_id=card, schedule_name="other", starting_at=JAN, value="unrelated")
    got = schedules.retrieve(rate_card_id=card, schedule_name="discount")
    assert _values(got.data) == [(JAN, None, {"pct": 10})]
    assert schedules.retrieve(
        rate_card_id=card, schedule_name="discount", covering_date=datetime(2025, 6, 1, tzinfo=UTC)
    ).data == []  # fmt: skip
    assert schedules.retrieve(rate_card_id=card, schedule_name="nothing").data == []


def test_an_update_inside_a_segment_splits_it(sdk, world):
    card = str(world.rate_card.public_id)
    schedules = sdk.v1.contracts.named_schedules
    schedules.update(rate_card_id=card, schedule_name="tier", starting_at=JAN, value="base")
    schedules.update(
        rate_card_id=card, schedule_name="tier", starting_at=FEB, ending_before=MAR, value="promo"
    )
    assert _values(schedules.retrieve(rate_card_id=card, schedule_name="tier").data) == [
        (JAN, FEB, "base"),
        (FEB, MAR, "promo"),
        (MAR, None, "base"),
    ]

    def at(moment: datetime) -> list:
        return _values(
            schedules.retrieve(rate_card_id=card, schedule_name="tier", covering_date=moment).data
        )

    assert at(datetime(2026, 1, 15, tzinfo=UTC)) == [(JAN, FEB, "base")]
    assert at(FEB) == [(FEB, MAR, "promo")]  # starting_at inclusive
    assert at(MAR) == [(MAR, None, "base")]  # ending_before exclusive
    # an update covering all of it replaces every segment
    schedules.update(rate_card_id=card, schedule_name="tier", starting_at=JAN, value="flat")
    assert _values(schedules.retrieve(rate_card_id=card, schedule_name="tier").data) == [
        (JAN, None, "flat")
    ]
    assert RateCardNamedSchedule.objects.filter(schedule_name="tier").count() == 1


def test_rate_card_schedule_bad_input_and_unknown_card(api, world):
    card = str(world.rate_card.public_id)
    url = "/v1/contract-pricing/rate-cards/updateNamedSchedule"
    base = {"rate_card_id": card, "schedule_name": "s", "starting_at": "2026-01-01T00:00:00Z"}
    cases = [
        (base, "value: is required."),
        ({**base, "value": None}, "value: is required."),
        ({**base, "value": 1, "ending_before": "2026-01-01T00:00:00Z"}, "ending_before: must be after"),
        ({**base, "value": 1, "ending_before": "2025-12-01T00:00:00Z"}, "ending_before: must be after"),
        ({**base, "value": 1, "starting_at": "soon"}, "starting_at: must be an RFC 3339"),
        ({**base, "value": 1, "schedule_name": ""}, "schedule_name: may not be blank."),
        ({"rate_card_id": card, "schedule_name": "s", "value": 1}, "starting_at: is required."),
    ]  # fmt: skip
    for body, message in cases:
        response = api.post(url, body, format="json")
        assert response.status_code == 400, body
        assert response.json()["message"].startswith(message), response.json()
    response = api.post(url, {**base, "value": 1, "rate_card_id": MISSING}, format="json")
    assert response.status_code == 404
    assert response.json()["message"].startswith("rate_card_id:")
    get = "/v1/contract-pricing/rate-cards/getNamedSchedule"
    response = api.post(get, {"rate_card_id": MISSING, "schedule_name": "s"}, format="json")
    assert response.status_code == 404
    response = api.post(get, {"rate_card_id": card, "covering_date": "x", "schedule_name": "s"},
                        format="json")  # fmt: skip
    assert response.status_code == 400
    assert response.json()["message"].startswith("covering_date:")
    assert not RateCardNamedSchedule.objects.exists()


def test_rate_card_schedule_errors_through_the_sdk(sdk, world):
    with pytest.raises(metronome.NotFoundError):
        sdk.v1.contracts.named_schedules.retrieve(rate_card_id=MISSING, schedule_name="s")
    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.contracts.named_schedules.update(
            rate_card_id=str(world.rate_card.public_id), schedule_name="s", starting_at=FEB,
            ending_before=JAN, value=1,
        )  # fmt: skip
    assert err.value.body["message"].startswith("ending_before:")


# -- contracts ----------------------------------------------------------------------------------


def _contract_ref(world) -> dict[str, str]:
    return {
        "customer_id": str(world.customer.public_id),
        "contract_id": str(world.contract.public_id),
    }


def test_contract_schedules_are_qualified_by_properties(sdk, world):
    ref = _contract_ref(world)
    schedules = sdk.v1.contracts.rate_cards.named_schedules
    schedules.update(**ref, schedule_name="region", starting_at=JAN, value={"m": 1})
    schedules.update(
        **ref, schedule_name="region", starting_at=JAN, value={"m": 2}, properties={"region": "eu"}
    )
    schedules.update(
        **ref, schedule_name="region", starting_at=FEB, ending_before=MAR, value={"m": 3},
        properties={"region": "eu"},
    )  # fmt: skip
    plain = schedules.retrieve(**ref, schedule_name="region")
    assert _values(plain.data) == [(JAN, None, {"m": 1})]
    eu = schedules.retrieve(**ref, schedule_name="region", properties={"region": "eu"})
    assert _values(eu.data) == [(JAN, FEB, {"m": 2}), (FEB, MAR, {"m": 3}), (MAR, None, {"m": 2})]
    covering = schedules.retrieve(
        **ref, schedule_name="region", properties={"region": "eu"}, covering_date=FEB
    )
    assert _values(covering.data) == [(FEB, MAR, {"m": 3})]
    assert schedules.retrieve(**ref, schedule_name="region", properties={"region": "us"}).data == []
    assert ContractNamedSchedule.objects.count() == 4


def test_contract_schedules_list(sdk, world):
    ref = _contract_ref(world)
    schedules = sdk.v1.contracts.rate_cards.named_schedules
    schedules.update(**ref, schedule_name="a", starting_at=JAN, ending_before=FEB, value=1)
    schedules.update(**ref, schedule_name="a", starting_at=FEB, value=2)
    schedules.update(
        **ref, schedule_name="b", starting_at=JAN, value=3, properties={"region": "eu", "x": "y"}
    )
    listed = list(schedules.list(customer_id=ref["customer_id"]))
    assert [(s.contract_id, s.schedule_name, s.properties) for s in listed] == [
        (ref["contract_id"], "a", {}),
        (ref["contract_id"], "b", {"region": "eu", "x": "y"}),
    ]
    assert _values(listed[0].segments) == [(JAN, FEB, 1), (FEB, None, 2)]
    at_feb = list(schedules.list(customer_id=ref["customer_id"], covering_date=FEB,
                                 schedule_name="a"))  # fmt: skip
    assert [_values(s.segments) for s in at_feb] == [[(FEB, None, 2)]]
    by_property = list(schedules.list(**ref, properties={"region": "eu"}))
    assert [s.schedule_name for s in by_property] == ["b"]
    paged = schedules.list(customer_id=ref["customer_id"], limit=1)
    assert len(paged.data) == 1 and paged.next_page
    assert [s.schedule_name for s in paged] == ["a", "b"]  # iterates over every page


def test_contract_schedule_errors(api, world):
    ref = _contract_ref(world)
    url = "/v1/contracts/updateNamedSchedule"
    base = {**ref, "schedule_name": "s", "starting_at": "2026-01-01T00:00:00Z", "value": 1}
    for body, status, message in [
        ({**base, "contract_id": MISSING}, 404, "contract_id:"),
        ({**base, "customer_id": MISSING}, 404, "customer_id:"),
        ({**base, "properties": {"region": 1}}, 400, "properties:"),
        ({k: v for k, v in base.items() if k != "value"}, 400, "value: is required."),
        ({**base, "ending_before": "2025-01-01T00:00:00Z"}, 400, "ending_before:"),
    ]:
        response = api.post(url, body, format="json")
        assert response.status_code == status, (body, response.content)
        assert response.json()["message"].startswith(message), response.json()
    for path in ("getNamedSchedule", "listNamedSchedules"):
        response = api.post(
            f"/v1/contracts/{path}", {**base, "contract_id": MISSING}, format="json"
        )
        assert response.status_code == 404, path
    assert not ContractNamedSchedule.objects.exists()


# -- customers ----------------------------------------------------------------------------------


def test_customer_schedule_update_get_and_split(sdk, world):
    customer = str(world.customer.public_id)
    schedules = sdk.v1.customers.named_schedules
    schedules.update(customer_id=customer, schedule_name="limits", starting_at=JAN, value=[1, 2])
    schedules.update(
        customer_id=customer, schedule_name="limits", starting_at=FEB, ending_before=APR, value=[3]
    )
    schedules.update(
        customer_id=customer, schedule_name="limits", starting_at=MAR, ending_before=APR, value=[4]
    )
    assert _values(schedules.retrieve(customer_id=customer, schedule_name="limits").data) == [
        (JAN, FEB, [1, 2]),
        (FEB, MAR, [3]),
        (MAR, APR, [4]),
        (APR, None, [1, 2]),
    ]
    covering = schedules.retrieve(customer_id=customer, schedule_name="limits", covering_date=APR)
    assert _values(covering.data) == [(APR, None, [1, 2])]
    with pytest.raises(metronome.NotFoundError):
        schedules.retrieve(customer_id=MISSING, schedule_name="limits")
    with pytest.raises(metronome.BadRequestError) as err:
        schedules.update(customer_id=customer, schedule_name="limits", starting_at=JAN, value=None)
    assert err.value.body["message"] == "value: is required."


def test_customer_schedule_raw_errors(api, world):
    url = "/v1/customers/updateNamedSchedule"
    response = api.post(url, {"customer_id": MISSING, "schedule_name": "s", "value": 1,
                              "starting_at": "2026-01-01T00:00:00Z"}, format="json")  # fmt: skip
    assert response.status_code == 404
    response = api.post(url, ["not", "an", "object"], format="json")
    assert response.status_code == 400
    response = api.post("/v1/customers/getNamedSchedule",
                        {"customer_id": str(world.customer.public_id)}, format="json")  # fmt: skip
    assert response.status_code == 400
    assert response.json()["message"] == "schedule_name: is required."
