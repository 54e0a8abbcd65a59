"""Input limits: every oversized, overdeep or out-of-range input is a clear 4xx naming what is
wrong, never a 500, and nothing is written."""

import json

import pytest
from django.test import override_settings
from django.utils import timezone

from customers.models import Customer
from invoicing.tests.factories import priced_world
from usage.models import UsageEvent

pytestmark = pytest.mark.django_db


def _post(api, path: str, body) -> tuple[int, str]:
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    response = api.post(path, data=data, content_type="application/json")
    message = response.json().get("message", "") if response.content else ""
    return response.status_code, message


def _event(**changes) -> dict:
    event = {"transaction_id": "t-1", "customer_id": "acme", "event_type": "call",
             "timestamp": timezone.now().isoformat(), "properties": {}}  # fmt: skip
    return {**event, **changes}


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(api, constant):
    status, message = _post(api, "/v1/customers", f'{{"name": "x", "n": {constant}}}')
    assert status == 400 and message.startswith("body: is not valid JSON")


def test_deep_nesting_is_refused(api):
    deep = '{"name": "x", "custom_fields": ' + "[" * 100_000 + "]" * 100_000 + "}"
    assert _post(api, "/v1/customers", deep) == (400, "body: JSON nested deeper than 32 levels.")
    brackets_in_strings = {"name": "[[[[" * 100, "ingest_aliases": []}
    assert _post(api, "/v1/customers", brackets_in_strings)[0] == 200


def test_the_depth_limit_counts_objects_and_arrays():
    from billing_console.parsers import deeper_than

    assert not deeper_than({"a": [[{"b": 1}]]}, 4) and deeper_than({"a": [[{"b": {}}]]}, 4)
    assert not deeper_than("[[[[", 1) and not deeper_than([], 1) and deeper_than([[]], 1)


def test_invalid_utf8_is_a_400(api):
    assert _post(api, "/v1/customers", b'{"name": "\xff\xfe"}') == (
        400, "body: is not valid UTF-8."
    )  # fmt: skip


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=10_000)
def test_a_body_over_the_limit_is_a_413(api):
    events = [_event(transaction_id=f"t-{i}", properties={"x": "y" * 500}) for i in range(50)]
    status, message = _post(api, "/v1/ingest", events)
    assert (status, message) == (413, "body: larger than 10000 bytes; send smaller batches.")
    assert UsageEvent.objects.count() == 0


def test_long_strings_name_their_field(api):
    assert _post(api, "/v1/customers", {"name": "n" * 100_000})[1].startswith("name:")
    status, message = _post(api, "/v1/ingest", [_event(transaction_id="t" * 10_000)])
    assert (status, message) == (400, "usage[0].transaction_id: must be at most 128 characters.")


@pytest.mark.parametrize(
    "properties, message",
    [
        ({f"k{i}": 1 for i in range(300)}, "usage[1].properties: may have at most 256 keys."),
        ({"text": "v" * 9000}, "usage[1].properties.text: must be at most 8192 characters."),
        ({"n": 10**31}, "usage[1].properties.n: is out of range (numbers must be below 10^30)."),
        ({"deep": {"list": [1, 1e300]}}, "usage[1].properties.deep.list[1]: is out of range"),
        ({"k" * 300: 1}, "usage[1].properties: keys must be at most 256 characters."),
    ],
)
def test_event_properties_are_bounded(api, properties, message):
    priced_world()
    good = _event(transaction_id="ok")
    status, got = _post(api, "/v1/ingest", [good, _event(properties=properties)])
    assert status == 400 and got.startswith(message)
    assert UsageEvent.objects.count() == 0  # the whole batch is refused


def test_nanosecond_timestamps_in_properties_are_fine(api):
    priced_world()
    assert (
        _post(api, "/v1/ingest", [_event(properties={"ts_ns": 1_764_000_000_000_000_000})])[0]
        == 200
    )


def test_amounts_beyond_the_database_are_refused(api):
    world = priced_world()
    status, message = _post(api, "/v1/contracts/create", {
        "customer_id": str(world.customer.public_id), "starting_at": "2026-01-01T00:00:00Z",
        "commits": [{"type": "PREPAID", "product_id": str(world.product.public_id),
                     "access_schedule": {"schedule_items": [{"amount": 1e20,
                        "starting_at": "2026-01-01T00:00:00Z", "ending_before": "2026-02-01T00:00:00Z"}]}}],
    })  # fmt: skip
    assert (status, message) == (
        400, "commits[0].access_schedule.schedule_items[0].amount: is out of range."
    )  # fmt: skip
    status, message = _post(api, "/v1/contract-pricing/rate-cards/addRate", {
        "rate_card_id": str(world.rate_card.public_id), "product_id": str(world.product.public_id),
        "entitled": True, "rate_type": "FLAT", "price": 1e300, "starting_at": "2030-01-01T00:00:00Z",
    })  # fmt: skip
    assert (status, message) == (400, "price: is out of range.")


def test_a_body_that_is_not_an_object_is_a_400(api):
    assert _post(api, "/v1/contracts/create", "[1, 2, 3]") == (400, "body: must be a JSON object.")
    assert Customer.objects.count() == 0
