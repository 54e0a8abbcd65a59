"""Input that used to answer 500 (issue #21): text no database stores, dates near year 1 or
9999, a 401-digit number, a cursor that does not decode, a negative alert threshold. Each is a
4xx naming the field (in the console: a form error or an empty list), and nothing is written.
Every test runs on SQLite and PostgreSQL (NUL, for one, SQLite stored and PostgreSQL refused).
Elsewhere: unique-key races in contracts/tests/test_concurrency.py, manual draws beyond a
balance in contracts/tests/test_ledger.py and test_api.py."""

import base64
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from alerts.models import Alert
from billing_console.api import ApplicationError
from billing_console.lib.periods import EARLIEST, LATEST, within_window
from billing_console.models import ConsolePreference
from billing_console.wire import Reader
from contracts.models import Contract
from customers.models import Customer
from invoicing.tests.factories import priced_world
from usage.models import UsageEvent

pytestmark = pytest.mark.django_db

NUL_MESSAGE = "must not contain NUL (\\u0000) characters."
SURROGATE_MESSAGE = "must not contain unpaired surrogates (such as \\ud800)."
WINDOW_MESSAGE = "must be between 2000-01-01T00:00:00Z and 2100-01-01T00:00:00Z."


def _post(api, path: str, body) -> tuple[int, str]:
    response = api.post(path, data=json.dumps(body), content_type="application/json")
    return response.status_code, response.json().get("message", "") if response.content else ""


def _cursor(position) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


# --- text: NUL and lone surrogates ------------------------------------------------------------


@pytest.mark.parametrize(
    "text, why", [("\ud800", SURROGATE_MESSAGE), ("a\x00b", NUL_MESSAGE)], ids=["surrogate", "nul"]
)
@pytest.mark.parametrize(
    "body, field",
    [
        (lambda t: {"name": t}, "name"),
        (lambda t: {"custom_fields": {"tier": t}}, "custom_fields.tier"),
        (lambda t: {"usage_statement_schedule": {"frequency": t}}, "usage_statement_schedule.frequency"),
    ],
    ids=["str", "str_map", "choice"],
)  # fmt: skip
def test_text_no_database_stores_is_a_400_naming_the_field(api, text, why, body, field):
    world = priced_world()
    contract = {"customer_id": str(world.customer.public_id), "starting_at": "2026-01-01T00:00:00Z"}
    status, message = _post(api, "/v1/contracts/create", {**contract, **body(text)})
    assert (status, message) == (400, f"{field}: {why}")
    assert Contract.objects.count() == 1  # the world's own


def test_the_reader_checks_lists_keys_and_raw_values():
    reader = Reader({"tags": ["ok", "a\x00"], "map": {"k\ud800": "v"}, "raw": {"x": [1, "\x00"]}})
    for call, message in [
        (lambda: reader.str_list("tags"), f"tags[1]: {NUL_MESSAGE}"),
        (lambda: reader.str_map("map"), f"map: keys {SURROGATE_MESSAGE}"),
        (lambda: reader.raw("raw"), f"raw.x[1]: {NUL_MESSAGE}"),
    ]:
        with pytest.raises(ApplicationError) as err:
            call()
        assert err.value.message == message
    assert Reader({"name": "Zoë 🚀"}).str("name") == "Zoë 🚀"  # paired surrogates are text


@pytest.mark.parametrize(
    "key, why", [("\ud800", SURROGATE_MESSAGE), ("a\x00b", NUL_MESSAGE)], ids=["surrogate", "nul"]
)
def test_a_custom_field_key_no_database_stores_is_a_400(api, key, why):
    body = {"name": "Mine", "custom_fields": {key: "v"}}  # found by test_api_fuzz.py
    assert _post(api, "/v1/customers", body) == (400, f"custom_fields: keys {why}")
    assert not Customer.objects.exists()


def test_a_lone_surrogate_echoed_in_an_error_goes_out_escaped(api):
    world = priced_world()  # found by test_api_fuzz.py: rendering the error was a 500
    body = {"customer_id": str(world.customer.public_id), "access_type": "\ud800"}
    assert _post(api, "/v1/contracts/customerCredits/list", body) == (
        400, 'access_type: "\\ud800" is not a valid choice.'
    )  # fmt: skip


@pytest.mark.parametrize(
    "url",
    ["/customers/", "/invoices/", "/alerts/", "/alerts/states/", "/products/", "/rate-cards/",
     "/packages/", "/billable-metrics/", "/events/", "/audit-log/"],
)  # fmt: skip
def test_a_nul_in_a_console_filter_is_refused_by_the_form_not_a_500(client, alice, url):
    client.force_login(alice)
    assert client.get(url, {"q": "a\x00b"}).status_code == 200
    assert not ConsolePreference.objects.exists()  # not remembered either
    assert client.get(url, {"q": "acme"}).status_code == 200


def test_console_lookups_by_id_or_alias_take_any_text(client, alice):
    world = priced_world()
    client.force_login(alice)
    page = client.get("/contracts/", {"customer": "not-an-id"})
    assert page.status_code == 200 and list(page.context["contracts"]) == []
    page = client.get("/contracts/", {"customer": str(world.customer.public_id)})
    assert list(page.context["contracts"]) == [world.contract]
    assert client.get("/events/", {"customer": "a\x00b"}).status_code == 200
    chart = client.get("/billable-metrics/usage-chart", {"customer": "a\x00b"})
    assert chart.status_code == 404  # no such customer


# --- dates: one window, 2000-01-01 .. 2100-01-01 --------------------------------------------


def test_the_window_includes_both_ends():
    assert within_window(EARLIEST) and within_window(LATEST)
    assert not within_window(EARLIEST - timedelta(microseconds=1))
    assert not within_window(LATEST + timedelta(microseconds=1))
    assert within_window(datetime.fromisoformat("2000-01-01T05:00:00+05:00"))  # = EARLIEST
    assert not within_window(datetime.fromisoformat("0001-01-01T00:00:00+05:00"))  # no overflow
    reader = Reader({"a": "2026-02-30T00:00:00Z", "b": "2000-01-01T04:59:59+05:00"})
    with pytest.raises(ApplicationError, match=re.escape("a: is not a valid date and time.")):
        reader.datetime("a")
    with pytest.raises(ApplicationError, match=re.escape(f"b: {WINDOW_MESSAGE}")):
        reader.datetime("b")


@pytest.mark.parametrize(
    "moment",
    ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00",
     "1999-12-31T23:59:59Z", "2100-01-01T00:00:00.000001Z"],
)  # fmt: skip
def test_contract_dates_outside_the_window_are_a_400(api, moment):
    world = priced_world()
    body = {"customer_id": str(world.customer.public_id), "starting_at": moment}
    assert _post(api, "/v1/contracts/create", body) == (400, f"starting_at: {WINDOW_MESSAGE}")
    body = {**body, "starting_at": "2026-01-01T00:00:00Z", "ending_before": moment}
    assert _post(api, "/v1/contracts/create", body) == (400, f"ending_before: {WINDOW_MESSAGE}")
    assert Contract.objects.count() == 1  # the world's own


def test_contract_dates_at_the_window_ends_are_accepted(api):
    world = priced_world()
    body = {"customer_id": str(world.customer.public_id), "starting_at": "2099-12-01T00:00:00Z",
            "ending_before": "2100-01-01T00:00:00Z"}  # fmt: skip
    assert _post(api, "/v1/contracts/create", body)[0] == 200


@pytest.mark.parametrize("moment", ["1999-12-31T23:59:59Z", "9999-12-31T00:00:00Z"])
def test_serializer_dates_outside_the_window_are_a_400(api, moment):
    world = priced_world()
    ids = {
        "customer_id": str(world.customer.public_id),
        "contract_id": str(world.contract.public_id),
    }
    for path, field in [
        ("/v1/contracts/updateEndDate", "ending_before"),
        ("/v2/contracts/get", "as_of_date"),
        ("/v1/contracts/customerBalances/list", "covering_date"),
    ]:
        assert _post(api, path, {**ids, field: moment}) == (400, f"{field}: {WINDOW_MESSAGE}")
    world.contract.refresh_from_db()
    assert world.contract.ending_before is None


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"])
def test_list_filters_outside_the_window_are_a_400(api, moment):
    world = priced_world()
    response = api.get("/v1/auditLogs", {"starting_on": moment})
    assert (response.status_code, response.json()) == (
        400, {"message": f"starting_on: {WINDOW_MESSAGE}"}
    )  # fmt: skip
    response = api.get(
        f"/v1/customers/{world.customer.public_id}/invoices", {"ending_before": moment}
    )
    assert (response.status_code, response.json()) == (
        400, {"message": f"ending_before: {WINDOW_MESSAGE}"}
    )  # fmt: skip


def test_an_impossible_day_in_a_filter_is_a_400(api):
    response = api.get("/v1/auditLogs", {"starting_on": "2026-02-30T00:00:00Z"})
    assert response.status_code == 400
    assert response.json()["message"].startswith("starting_on: must be an RFC 3339 timestamp")


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_console_date_filters_outside_the_window_are_form_errors(client, alice, day):
    client.force_login(alice)
    for url, fields in [
        ("/audit-log/", ("date_from", "date_to")),
        ("/invoices/", ("period_from", "period_to")),
        ("/events/", ("since", "until")),
    ]:
        assert client.get(url, dict.fromkeys(fields, day)).status_code == 200, url


def test_console_contract_dates_outside_the_window_are_form_errors(client, alice):
    world = priced_world()
    client.force_login(alice)
    data = {"customer": str(world.customer.public_id), "start": "date", "duration": "12",
            "source": f"rate_card:{world.rate_card.public_id}", "starting_at": "9999-12-31"}  # fmt: skip
    response = client.post("/contracts/new", data, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert "Must be between 2000-01-01 and 2100-01-01." in response.content.decode()
    preview = client.get(
        "/contracts/new", data, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="date-preview"
    )
    assert preview.status_code == 200
    assert Contract.objects.count() == 1  # the world's own


# --- numbers and cursors ----------------------------------------------------------------------


def test_a_401_digit_property_is_a_400(api):
    priced_world()
    event = {"transaction_id": "t-1", "customer_id": "acme", "event_type": "call",
             "timestamp": timezone.now().isoformat(), "properties": {"n": 10**400}}  # fmt: skip
    assert _post(api, "/v1/ingest", [event]) == (
        400, "usage[0].properties.n: is out of range (numbers must be below 10^30)."
    )  # fmt: skip
    assert not UsageEvent.objects.exists()


def test_the_ingest_front_hands_a_401_digit_property_to_the_view(transactional_db):
    from billing_console.services import api_token_create
    from customers.services import customer_create
    from usage.tests.test_ingest_front import call, ev

    customer_create(name="Acme", ingest_aliases=["acme"])
    token = api_token_create(name="front")[1]
    answer = call(json.dumps([ev("a", properties={"n": 10**400})]), token)
    assert answer["status"] == 400
    assert json.loads(answer["body"])["message"] == (
        "usage[0].properties.n: is out of range (numbers must be below 10^30)."
    )
    assert not UsageEvent.objects.exists()


@pytest.mark.parametrize(
    "position",
    [["2026-02-30T00:00:00+00:00", 1], ["0001-01-01T00:00:00+05:00", 1], ["2026-02-01", 1]],
    ids=["no-such-day", "year-1", "no-offset"],
)
def test_a_tampered_cursor_is_a_400(api, position):
    world = priced_world()
    path = f"/v1/customers/{world.customer.public_id}/invoices"
    response = api.get(path, {"next_page": _cursor({"after": position})})
    assert (response.status_code, response.json()) == (
        400, {"message": "next_page: Not a valid cursor."}
    )  # fmt: skip
    response = api.get("/v1/auditLogs", {"next_page": _cursor(position)})
    assert (response.status_code, response.json()) == (
        400, {"message": "next_page: not a valid cursor."}
    )  # fmt: skip


def test_a_tampered_console_event_cursor_starts_over(client, alice):
    client.force_login(alice)
    at = datetime(1, 1, 1, tzinfo=UTC).isoformat().replace("+00:00", "+05:00")
    assert client.get("/events/", {"after": f"{at}~1"}).status_code == 200


# --- balances and thresholds ------------------------------------------------------------------


def test_an_alert_threshold_below_zero_is_a_400(api):
    body = {"alert_type": "spend_threshold_reached", "name": "Spend", "threshold": -1}
    assert _post(api, "/v1/alerts/create", body) == (400, "threshold: must be at least 0.")
    assert not Alert.objects.exists()
    assert _post(api, "/v1/alerts/create", {**body, "threshold": 0})[0] == 200
