"""The whole API fuzzed from its own OpenAPI schema (schemathesis): for every operation,
generated inputs — valid and invalid — never get a server error, and every response conforms to
the schema (documented status code, content type and body shape). Authentication is checked too
(schemathesis' ignored_auth: a request without the token must be refused).

Two of schemathesis' checks are left out on purpose: whether schema-valid data is accepted and
whether schema-invalid data is rejected. A schema cannot say that an id must name an existing
customer, so valid-looking input is rightly refused with a 400/404; and DRF accepts a number
where the schema says string (it is read as its text), which is harmless.

Hostile values (issue #21) come in two ways. Every `date-time` in the schema is drawn from a
registered format strategy that mixes in dates near year 1 and year 9999 and impossible ones
(2026-02-30, 24:00, a 13th month). Most strings carry no format, so a second run sends schema-valid
requests through three flatmap hooks: they replace some values in bodies, query strings and paths,
and some keys of body objects, with NUL, lone surrogates, very long text, extreme dates, 10**400
and -1e308, and put the ids of a small priced world into id fields, so that the hostile values
get past the lookups. JSON bodies go out through json.dumps(ensure_ascii=True), so a lone
surrogate travels as its \\ud800 escape; a query string carries it as the bytes a careless
client would send (%ED%A0%80); a path cannot carry it (schemathesis encodes paths as UTF-8), so
paths get the other values. The hostile run asks only for no 5xx: a refused value is a 4xx.

Examples are derandomized so CI sees the same inputs on every run; raise FUZZ_EXAMPLES and
FUZZ_HOSTILE_EXAMPLES to search further locally.
"""

import json
import os
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    negative_data_rejection,
    not_a_server_error,
    positive_data_acceptance,
)

from invoicing.tests.factories import priced_world
from usage.models import BillableMetric

application = get_wsgi_application()
schema = schemathesis.openapi.from_wsgi("/openapi.json", application)
# Schema-valid requests only, so that the hostile values are what is wrong with them (the run
# above already sends requests of the wrong shape).
hostile_schema = schemathesis.openapi.from_wsgi("/openapi.json", application)
hostile_schema.config.generation.update(modes=[GenerationMode.POSITIVE])
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
HOSTILE_EXAMPLES = int(os.environ.get("FUZZ_HOSTILE_EXAMPLES", "15"))

# --- hostile values -------------------------------------------------------------------------

HOSTILE_TEXT = st.sampled_from([
    "\x00", "a\x00b", "\ud800", "\udfff", "Zoë\ud83d", "\ud800\x00",  # NUL, lone surrogates
    "x" * 100_000, "\ud800" * 10_000, "9" * 401,  # very long; the last one a number as text
    "1e400", "-1e308", "NaN", "Infinity", "-0",
]) | st.text(  # Cs: surrogates, which Hypothesis' text leaves out unless asked
    st.characters(codec=None, categories=["Cs", "Cc", "Cf", "Co", "Zs", "L", "N"]), max_size=12
)  # fmt: skip
HOSTILE_NUMBERS = st.sampled_from([
    10**400, -(10**400), -1e308, 1e308, 5e-324, 1e-30,
    2**63, -(2**63) - 1, 2**53 + 1, 3_000_000_000,  # past int64, float precision, int32
])  # fmt: skip


def _stamp(moment: datetime, offset_minutes: int) -> str:
    zone = timezone(timedelta(minutes=offset_minutes))
    return moment.replace(tzinfo=zone).isoformat().replace("+00:00", "Z")


_OFFSETS = st.integers(-(24 * 60 - 1), 24 * 60 - 1)  # minutes, the most Python's timezone takes
_EDGES = st.datetimes(max_value=datetime(1, 1, 3)) | st.datetimes(min_value=datetime(9999, 12, 29))
HOSTILE_DATES = st.sampled_from([
    "0001-01-01T00:00:00Z", "0001-01-01T00:00:00+05:00", "0000-12-31T23:59:59Z",
    "9999-12-31T23:59:59Z", "9999-12-31T23:59:59.999999-05:00", "10000-01-01T00:00:00Z",
    "2026-02-30T00:00:00Z", "2026-02-29T00:00:00Z", "2026-13-01T00:00:00Z",
    "2026-01-01T24:00:00Z", "2026-01-31T23:59:60Z", "2026-01-01T00:00:00+24:00",
    "2026-01-01", "2026-01-01T00:00:00",  # no time; no offset
]) | st.builds(_stamp, _EDGES, _OFFSETS)  # fmt: skip

# Ordinary RFC 3339 values stay in the mix, so that most dates get past the parser.
_ORDINARY = st.builds(_stamp, st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1)), _OFFSETS)
schemathesis.openapi.format("date-time", _ORDINARY | HOSTILE_DATES)


@schemathesis.serializer("application/json")
def _json(ctx: schemathesis.SerializationContext, body: Any) -> bytes:
    """Escapes rather than raw UTF-8, so that a lone surrogate can be sent at all."""
    if isinstance(body, bytes):
        return body  # schemathesis' own malformed payloads go as they are
    return json.dumps(body, ensure_ascii=True).encode()


HOSTILE = HOSTILE_TEXT | HOSTILE_DATES | HOSTILE_NUMBERS
_world_ids: list[str] = []  # filled by the `world` fixture, read while the cases are drawn


def _is_id(key: object) -> bool:
    return isinstance(key, str) and (key == "id" or key.endswith(("_id", "_ids")))


def _taint(draw: st.DrawFn, value: Any, key: object = None, *, rename: bool = True) -> Any:
    """`value` with some keys and leaves swapped for hostile ones (and some ids for real ones).
    Parameter names (rename=False) stay: the path template and the views' lookups need them."""
    if isinstance(value, dict):
        return {_taint_key(draw, k) if rename else k: _taint(draw, v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_taint(draw, item, key) for item in value]
    if value is None or isinstance(value, bool):
        return value
    if _is_id(key) and _world_ids and draw(st.integers(0, 3)) > 0:  # 3 in 4
        return draw(st.sampled_from(_world_ids))
    return draw(HOSTILE) if draw(st.integers(0, 3)) == 0 else value  # 1 in 4


def _taint_key(draw: st.DrawFn, key: str) -> str:
    return draw(HOSTILE_TEXT) if draw(st.integers(0, 7)) == 0 else key  # 1 in 8


def _encodable(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return True


def _for_url(value: Any) -> Any:
    """A query value as generated, but a lone surrogate as the bytes a careless client sends."""
    if isinstance(value, list):
        return [_for_url(item) for item in value]
    if isinstance(value, str) and not _encodable(value):
        return value.encode("utf-8", "surrogatepass")
    return value


def _tainted(value: Any, *, rename: bool = True) -> st.SearchStrategy:
    return st.composite(lambda draw: _taint(draw, value, rename=rename))()


def flatmap_body(context: schemathesis.HookContext, body: Any) -> st.SearchStrategy:
    return _tainted(body)


def flatmap_query(context: schemathesis.HookContext, query: dict | None) -> st.SearchStrategy:
    if not query:
        return st.just(query)
    return _tainted(query, rename=False).map(lambda q: {k: _for_url(v) for k, v in q.items()})


def flatmap_path_parameters(
    context: schemathesis.HookContext, path: dict | None
) -> st.SearchStrategy:
    if not path:
        return st.just(path)
    return _tainted(path, rename=False).filter(lambda p: all(map(_encodable, map(str, p.values()))))


# --- tests ------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """Requests go through the WSGI handler, not Django's test client: like the test client,
    keep it from closing the database connection at the end of each request (it would close
    the test's transaction on PostgreSQL)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(db):
    world = priced_world()
    objects = [world.customer, world.contract, world.product, world.rate_card, world.rate]
    _world_ids[:] = [str(obj.public_id) for obj in [*objects, BillableMetric.objects.get()]]
    _world_ids.append("acme")  # the customer's ingest alias
    yield world
    _world_ids.clear()


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema_and_never_errors(case, api_token):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {api_token}"},
        excluded_checks=[negative_data_rejection, positive_data_acceptance],
    )


@pytest.mark.django_db
@hostile_schema.hooks.apply(flatmap_body)
@hostile_schema.hooks.apply(flatmap_query)
@hostile_schema.hooks.apply(flatmap_path_parameters)
@hostile_schema.parametrize()
@settings(
    max_examples=HOSTILE_EXAMPLES,
    phases=[Phase.generate, Phase.shrink],  # generated cases only: the hooks do not see the others
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_hostile_values_are_refused_never_a_server_error(case, api_token, world):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {api_token}"}, checks=[not_a_server_error]
    )
