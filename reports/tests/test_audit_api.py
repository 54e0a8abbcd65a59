"""GET /v1/auditLogs through the official metronome-sdk: fields, filters, sort, pagination."""

from datetime import timedelta

import metronome
import pytest
from auditlog.models import LogEntry

from customers.models import Customer

pytestmark = pytest.mark.sdk


@pytest.fixture
def changes(sdk):
    """Two customers made and renamed through the API (after the token's own entries)."""
    latest = LogEntry.objects.order_by("-timestamp").values_list("timestamp", flat=True).first()
    # as a string: the SDK cuts datetime parameters to milliseconds
    since = (latest + timedelta(microseconds=1)).isoformat()
    acme = sdk.v1.customers.create(name="Acme", ingest_aliases=["acme"]).data.id
    sdk.v1.customers.set_name(customer_id=acme, name="Acme Inc")
    globex = sdk.v1.customers.create(name="Globex").data.id
    return {"acme": acme, "globex": globex, "since": since}


def _after(sdk, changes, **params):
    return list(sdk.v1.audit_logs.list(starting_on=changes["since"], **params))


def test_entries_name_actor_request_resource_and_diff(sdk, changes):
    entries = [e for e in _after(sdk, changes) if e.resource_id == changes["acme"]]
    # the customer's create, the alias created with it (shown on its customer), the rename
    assert [(e.resource_type, e.action) for e in entries] == [
        ("customer", "create"), ("customer", "create"), ("customer", "update"),
    ]  # fmt: skip
    created, alias, renamed = entries
    assert created.description == "Created customer “Acme”"
    assert alias.description == "Created ingest alias “acme”"
    assert renamed.description == "Updated customer “Acme Inc”: name"
    assert renamed.model_extra["changes"]["name"] == ["Acme", "Acme Inc"]
    for entry in entries:
        assert entry.actor.name == "API token: tests" and entry.actor.email is None
        assert entry.request.ip == "127.0.0.1"
        assert entry.request.user_agent.startswith("Metronome/Python")
        assert entry.status == "success" and entry.model_extra["via"] == "api"
    # one request: the customer and its alias share the request id
    assert created.request.id == alias.request.id != renamed.request.id
    assert len({e.id for e in entries}) == 3


def test_filter_by_resource_and_dates_and_sort(sdk, changes):
    mine = sdk.v1.audit_logs.list(resource_type="customer", resource_id=changes["globex"])
    assert [(e.action, e.description) for e in mine] == [("create", "Created customer “Globex”")]

    everything = _after(sdk, changes)
    second = everything[1].timestamp
    later = list(sdk.v1.audit_logs.list(starting_on=second.isoformat()))
    assert [e.id for e in later] == [e.id for e in everything if e.timestamp >= second]
    last = everything[-1].timestamp.isoformat()
    earlier = list(sdk.v1.audit_logs.list(starting_on=changes["since"], ending_before=last))
    assert [e.id for e in earlier] == [e.id for e in everything[:-1]]

    newest_first = list(sdk.v1.audit_logs.list(starting_on=changes["since"], sort="date_desc"))
    assert [e.id for e in newest_first] == [e.id for e in reversed(everything)]


def test_pages_and_a_cursor_that_keeps_streaming(sdk, changes):
    everything = _after(sdk, changes)
    assert len(everything) == 4
    first = sdk.v1.audit_logs.list(starting_on=changes["since"], limit=3)
    assert len(first.data) == 3 and first.has_next_page()
    paged = [e.id for page in first.iter_pages() for e in page.data]
    assert paged == [e.id for e in everything]

    assert (
        first.next_page
        and not sdk.v1.audit_logs.list(starting_on=changes["since"], limit=4).next_page
    )  # null on the last page, or the SDK's iterator would never stop

    # a cursor stays valid: what happened after it shows on the next read
    cursor = first.next_page
    sdk.v1.customers.set_name(customer_id=changes["globex"], name="Globex Corp")
    after_cursor = sdk.v1.audit_logs.list(next_page=cursor)
    assert [e.description for e in after_cursor.data] == [
        everything[3].description, "Updated customer “Globex Corp”: name",
    ]  # fmt: skip

    now_all = _after(sdk, changes)
    newest_first = sdk.v1.audit_logs.list(starting_on=changes["since"], sort="date_desc", limit=2)
    walked = [e.id for page in newest_first.iter_pages() for e in page.data]
    assert len(walked) == 5 and walked == [e.id for e in reversed(now_all)]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"resource_type": "customer"}, "resource_type: requires resource_id"),
        ({"resource_id": "x"}, "resource_id: requires resource_type"),
        ({"resource_type": "spaceship", "resource_id": "x"}, "resource_type: must be one of"),
        ({"sort": "sideways"}, "sort: must be one of date_asc, date_desc"),
        ({"next_page": "not-a-cursor"}, "next_page: not a valid cursor"),
        ({"limit": 0}, "limit: Must be between 1 and 100"),
    ],
)
def test_bad_filters_are_400s_naming_the_parameter(sdk, params, message):
    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.audit_logs.list(**params)
    assert err.value.body["message"].startswith(message)


def test_a_deleted_row_is_still_found_by_its_id(sdk, changes):
    """Rows are archived, not deleted, in this system; if one ever is, its history stays."""
    customer = Customer.objects.get(public_id=changes["globex"])
    customer.delete()  # no API deletes customers: only the ORM can, as an operator would
    entries = list(sdk.v1.audit_logs.list(resource_type="customer", resource_id=changes["globex"]))
    assert [e.action for e in entries] == ["create", "delete"]
    assert {e.resource_id for e in entries} == {changes["globex"]}
