"""The ingest front (usage/ingest_front.py): the WSGI application serves POST /v1/ingest as the
API view does, answering the common case itself and handing everything else to Django.

Each test runs on both databases: on SQLite the front hands every request to Django, so the
same expectations hold there by construction; on PostgreSQL they pin the front to the view."""

import io
import json
from datetime import UTC, timedelta
from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from billing_console.services import api_token_create
from billing_console.wsgi import application  # the request deadline around the front
from customers.services import customer_create
from usage.ingest_front import IngestFront
from usage.models import EventKey, PendingRollup, UsageEvent

AT = (timezone.now() - timedelta(days=2)).astimezone(UTC).replace(microsecond=0)
STAMP = AT.isoformat().replace("+00:00", "Z")


def ev(tid: str, **fields) -> dict:
    return {"transaction_id": tid, "customer_id": "acme", "event_type": "call",
            "timestamp": STAMP, "properties": {"tokens": 5}, **fields}  # fmt: skip


def call(body: bytes | str, token: str, *, method: str = "POST", path: str = "/v1/ingest",
         content_type: str = "application/json", front: object = application):  # fmt: skip
    """The status, headers and body the WSGI application answers."""
    body = body.encode() if isinstance(body, str) else body
    environ = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "", "SCRIPT_NAME": "",
        "SERVER_NAME": "testserver", "SERVER_PORT": "80", "HTTP_HOST": "testserver",
        "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(), "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)), "HTTP_AUTHORIZATION": f"Bearer {token}",
    }  # fmt: skip
    answer = {}

    def start_response(status: str, headers: list) -> None:
        answer["status"], answer["headers"] = int(status.split()[0]), dict(headers)

    chunks = front(environ, start_response)
    answer["body"] = b"".join(chunks)
    if hasattr(chunks, "close"):
        chunks.close()
    return answer


@pytest.fixture
def token(transactional_db):
    customer_create(name="Acme", ingest_aliases=["acme"])
    return api_token_create(name="front")[1]


FRONT = application.application
assert isinstance(FRONT, IngestFront)


def django_only(environ, start_response):
    """The application without the front: what the API view answers."""
    return FRONT.application(environ, start_response)


def stored() -> list[tuple]:
    return list(
        UsageEvent.objects.order_by("transaction_id").values_list(
            "transaction_id", "customer_id", "event_type", "timestamp", "properties"
        )
    )


def test_a_valid_batch_is_answered_as_the_view_answers_it(token):
    front = call(json.dumps([ev("a"), ev("b"), ev("a")]), token)
    view = call(json.dumps([ev("c")]), token, front=django_only)
    assert front["status"] == view["status"] == 200
    assert front["body"] == view["body"] == b""
    assert {k: v for k, v in front["headers"].items() if k != "Vary"} == {
        k: v for k, v in view["headers"].items() if k != "Vary"
    }
    assert stored() == [
        ("a", "acme", "call", AT, {"tokens": 5}),
        ("b", "acme", "call", AT, {"tokens": 5}),
        ("c", "acme", "call", AT, {"tokens": 5}),
    ]
    assert EventKey.objects.count() == 3
    assert sum(len(p.event_ids) for p in PendingRollup.objects.all()) == 3


def test_the_front_stores_what_the_view_stores(token):
    """Numbers written in a non-canonical form (1.10, 1e2), a timestamp with an offset and a
    fraction, null properties and extra fields are stored alike on both paths."""
    odd = '{"price": 1.10, "hundred": 1e2, "tiny": 0.1, "big": 12345678901234567890, "ok": true}'
    offset = (
        (AT + timedelta(microseconds=123456)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")
    )

    def batch(prefix: str) -> str:
        return (
            f'[{{"transaction_id": "{prefix}1", "customer_id": "acme", "event_type": "call", '
            f'"timestamp": "{STAMP}", "properties": {odd}}}, '
            f'{{"transaction_id": "{prefix}2", "customer_id": "acme", "event_type": "call", '
            f'"timestamp": "{offset}", "properties": null, "extra": {{"ignored": [1, 2]}}}}, '
            f'{{"transaction_id": "{prefix}3", "customer_id": "acme", "event_type": "call", '
            f'"timestamp": "{STAMP}", "properties": {{"n": 1}}}}]'
        )

    assert call(batch("front-"), token)["status"] == 200
    assert call(batch("view-"), token, front=django_only)["status"] == 200
    rows = {tid: rest for tid, *rest in stored()}
    for n in "123":
        assert rows[f"front-{n}"] == rows[f"view-{n}"]
    assert rows["front-1"][3] == {
        "price": 1.1, "hundred": 100.0, "tiny": 0.1, "big": 12345678901234567890, "ok": True,
    }  # fmt: skip
    assert rows["front-2"][2] == AT + timedelta(microseconds=123456)
    assert rows["front-2"][3] == {}


@pytest.mark.parametrize(
    ("events", "message"),
    [
        ([ev("a"), ev("b", customer_id=None)], "usage[1].customer_id:"),
        ([ev("a"), ev("b", timestamp="2020-01-01T00:00:00Z")], "usage[1].timestamp:"),
        ([ev("a", timestamp="2026-02-30T10:00:00Z")], "usage[0].timestamp: is not a valid date"),
        ([ev("a", timestamp=STAMP[:11] + "24:00:00Z")], "usage[0].timestamp: is not a valid"),
        ([ev(f"e{i}") for i in range(101)], "usage: send between 1 and 100 events"),
        ([ev("a", properties={"x": "nul\x00"})], "usage[0]: must not contain NUL"),
    ],
)
def test_invalid_batches_get_the_views_400_and_store_nothing(token, events, message):
    answer = call(json.dumps(events), token)
    assert answer["status"] == 400
    assert json.loads(answer["body"])["message"].startswith(message)
    assert not UsageEvent.objects.exists() and not EventKey.objects.exists()


def test_a_lone_surrogate_is_a_400_not_a_server_error(token):
    body = json.dumps([ev("a", properties={"x": "\ud800"})])
    answer = call(body, token)
    assert answer["status"] == 400
    assert json.loads(answer["body"])["message"] == (
        "usage[0]: must not contain unpaired surrogates (such as \\ud800)."
    )
    assert not UsageEvent.objects.exists()


def test_body_problems_and_auth_failures_come_from_the_view(token):
    assert call("[1, 2", token)["status"] == 400
    assert call('[{"a": NaN}]', token)["status"] == 400
    assert call("[" * 40 + "]" * 40, token)["status"] == 400  # nested deeper than the limit
    assert call(json.dumps([ev("a")]), "not-a-token")["status"] == 401
    assert call(json.dumps([ev("a")]), token, content_type="text/plain")["status"] == 415
    assert call("", token, method="GET")["status"] == 405
    assert not UsageEvent.objects.exists()


def test_a_revoked_token_is_refused(token):
    from billing_console.models import ApiToken

    ApiToken.objects.update(revoked_at=timezone.now())
    assert call(json.dumps([ev("a")]), token)["status"] == 401
    assert not UsageEvent.objects.exists()


def test_a_read_only_token_is_refused_by_the_view_and_stores_nothing(token):
    from billing_console.models import ApiToken

    ApiToken.objects.update(read_only=True)
    answer = call(json.dumps([ev("a")]), token)
    assert answer["status"] == 403
    assert json.loads(answer["body"]) == {
        "message": "This API token is read-only: POST /v1/ingest changes data. "
        "Use a full-access token."
    }
    assert not UsageEvent.objects.exists() and not EventKey.objects.exists()
    assert ApiToken.objects.get().last_used_at is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the front serves PostgreSQL")
def test_the_guarded_statement_refuses_a_read_only_token(token):
    from billing_console.models import ApiToken, hash_token
    from usage.services import TokenNotLive, usage_ingest

    ApiToken.objects.update(read_only=True)
    with pytest.raises(TokenNotLive):
        usage_ingest(events=[ev("a")], api_token_hash=hash_token(token))
    assert not UsageEvent.objects.exists() and not EventKey.objects.exists()
    assert not PendingRollup.objects.exists()


def test_other_timestamp_forms_are_normalised_as_the_view_does(token):
    basic = AT.strftime("%Y%m%dT%H%M%SZ")  # ISO 8601 basic form: not RFC 3339
    assert call(json.dumps([ev("a", timestamp=basic)]), token)["status"] == 200
    assert stored()[0][3] == AT


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the front serves PostgreSQL")
def test_a_database_error_in_the_front_hands_the_request_to_django(token):
    """The front gave up after an error; the view serves the request in full, and the events
    are stored once."""
    from usage import ingest_front

    real = ingest_front.usage_ingest
    calls = []

    def failing_once(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            real(**kwargs)  # stored, then the connection fails before the answer
            raise OperationalError("server closed the connection unexpectedly")
        return real(**kwargs)

    with mock.patch.object(ingest_front, "usage_ingest", failing_once):
        answer = call(json.dumps([ev("a"), ev("b")]), token)
    assert answer["status"] == 200
    assert [row[0] for row in stored()] == ["a", "b"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the front serves PostgreSQL")
def test_the_common_case_does_not_reach_django(token):
    with mock.patch.object(FRONT, "application", side_effect=AssertionError("Django")):
        assert call(json.dumps([ev("a")]), token)["status"] == 200
    assert len(stored()) == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the front serves PostgreSQL")
def test_a_defect_in_the_front_is_logged_and_the_view_serves_the_request(token, caplog):
    from usage import ingest_front

    with mock.patch.object(ingest_front, "usage_ingest", side_effect=KeyError("bug")):
        answer = call(json.dumps([ev("a")]), token)
    assert answer["status"] == 200
    assert len(stored()) == 1
    assert "ingest front failed" in caplog.text


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the front serves PostgreSQL")
@pytest.mark.parametrize(
    ("events", "decoded_as"),
    [
        ([ev("a"), ev("b", properties=None), ev("c", properties={"p": 0.5})], "msgspec"),
        ([ev("a", extra=1)], "json"),  # an unknown field
        ([ev("a", properties={"p": 1.10})], "msgspec"),  # json.dumps writes 1.1
        ([ev("a", properties={"deep": [[[[1]]]]})], "json"),  # not flat: the view's depth limit
        ([ev("a", timestamp=AT.strftime("%Y%m%dT%H%M%SZ"))], "json"),  # not RFC 3339
        ([ev(str(i)) for i in range(101)], "json"),  # the view names the count
    ],
)
def test_the_front_reads_the_common_form_with_msgspec_and_the_rest_with_json(
    token, events, decoded_as
):
    from usage import ingest_front

    with mock.patch.object(ingest_front, "_parse", wraps=ingest_front._parse) as parse:
        call(json.dumps(events), token)
    assert parse.called is (decoded_as == "json")


def test_a_non_canonical_number_is_read_by_json_loads():
    from usage.ingest_front import _decode_common

    with pytest.raises(ValueError):
        _decode_common(b'[{"transaction_id": "a", "customer_id": "c", "event_type": "t", '
                       b'"timestamp": "2026-01-01T00:00:00Z", "properties": {"p": 1.10}}]')  # fmt: skip


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the front serves PostgreSQL")
def test_the_ingest_statement_is_prepared_once_per_connection(token):
    """Django turns psycopg's prepared statements off unless its OPTIONS say otherwise; the
    settings turn them on, so the statement is planned once per connection, not per request."""
    from billing_console.models import hash_token
    from usage.services import usage_ingest

    for n in range(3):
        usage_ingest(events=[ev(f"p{n}")], api_token_hash=hash_token(token))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%INSERT INTO usage_eventkey%"],
        )
        assert cursor.fetchone()[0] == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the front serves PostgreSQL")
def test_the_front_records_the_tokens_use(token):
    from billing_console.models import ApiToken

    assert ApiToken.objects.get().last_used_at is None
    assert call(json.dumps([ev("a")]), token)["status"] == 200
    assert ApiToken.objects.get().last_used_at is not None


def test_an_empty_batch_or_no_body_is_acknowledged_and_stores_nothing(token):
    for body in ("[]", ""):  # the front leaves both to the view, which answers as Metronome
        answer = call(body, token)
        assert (answer["status"], answer["body"]) == (200, b"")
    assert not UsageEvent.objects.exists() and not EventKey.objects.exists()
    assert call("[]", "not-a-live-token")["status"] == 401
