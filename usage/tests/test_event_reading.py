"""The inline check of well-formed events accepts exactly what the field-by-field reading
accepts, with the same result, and leaves every error message to the latter."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from billing_console.api import ApplicationError
from usage.event_reading import _read_event
from usage.event_reading import read_event_field_by_field as _read_event_field_by_field

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

texts = st.one_of(
    st.text(max_size=3), st.sampled_from(["", " ", "\t", "a" * 128, "a" * 129, "b" * 256]),
    st.none(), st.integers(), st.just(["x"]),
)  # fmt: skip
stamps = st.one_of(
    st.sampled_from([
        "2026-11-20T11:00:00Z", "2026-11-20T11:00:00+02:00", "2026-11-20T11:00:00",
        "2026-11-20", "2026-10-17T12:00:00Z", "2026-10-17T11:59:59Z", "2026-11-21T12:00:00Z",
        "2026-11-21T12:00:01Z", "20261120T110000Z", "2026-11-20 11:00:00Z", "not a date", "",
        "2026-02-30T11:00:00Z", "2026-11-20T11:00:00+25:00", "2026-11-20T11:00:00.1234567Z",
        "2026-11-20T11:00:00.5+05:30", "2026-11-20t11:00:00z", "2026-11-20T24:00:00Z",
    ]),
    st.none(), st.integers(),
)  # fmt: skip
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**31), max_value=10**31),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=5),
    st.just("x" * 8193), st.just("y" * 8192),
)  # fmt: skip
properties = st.one_of(
    st.none(), st.integers(), st.lists(scalars, max_size=2),
    st.dictionaries(st.one_of(st.text(max_size=3), st.just("k" * 257)), scalars, max_size=4),
    st.dictionaries(st.text(max_size=2), st.dictionaries(st.text(max_size=2), scalars), max_size=2),
)  # fmt: skip
VALID = {"transaction_id": "t-1", "customer_id": "acme", "event_type": "call",
         "timestamp": "2026-11-20T11:00:00Z", "properties": {"tokens": 12, "model": "mini"}}  # fmt: skip
one_field_changed = st.builds(
    lambda key, value: {**VALID, key: value},
    st.sampled_from(sorted(VALID)), st.one_of(texts, stamps, properties),
)  # fmt: skip
events = st.one_of(
    one_field_changed,
    st.fixed_dictionaries({}, optional={
        "transaction_id": texts, "customer_id": texts, "event_type": texts,
        "timestamp": stamps, "properties": properties,
    }),
    st.none(), st.lists(st.integers(), max_size=1),
)  # fmt: skip


def _outcome(read, raw):
    try:
        return read(3, raw, NOW)
    except ApplicationError as error:
        return ("error", str(error))


@settings(max_examples=600, deadline=None)
@given(events)
def test_the_inline_check_agrees_with_the_field_by_field_reading(raw):
    assert _outcome(_read_event, raw) == _outcome(_read_event_field_by_field, raw)


def test_a_valid_event_takes_the_inline_check(monkeypatch):
    import usage.event_reading

    monkeypatch.setattr(usage.event_reading, "read_event_field_by_field", None)
    assert _read_event(0, VALID, NOW)["timestamp"] == datetime(2026, 11, 20, 11, tzinfo=UTC)


def test_too_many_properties_take_the_full_check():
    raw = {"transaction_id": "t", "customer_id": "c", "event_type": "e",
           "timestamp": (NOW - timedelta(hours=1)).isoformat(),
           "properties": {str(i): i for i in range(257)}}  # fmt: skip
    assert _outcome(_read_event, raw) == (
        "error", "usage[3].properties: may have at most 256 keys."
    )  # fmt: skip


@settings(max_examples=600, deadline=None)
@given(events)
def test_the_fronts_typed_decoding_reads_what_json_loads_reads(raw):
    """Whatever msgspec decodes into CommonEvent passes or fails the inline check exactly as the
    same JSON read by json.loads does (the ingest front's two ways of reading a body)."""
    import json

    import msgspec

    from usage.event_reading import read_event_inline as _read_event_inline
    from usage.ingest_front import _decode_common

    text = json.dumps([raw]).encode()
    try:
        [typed] = _decode_common(text)
    except (msgspec.MsgspecError, ValueError):
        return  # read by json.loads, as the view reads it
    assert _read_event_inline(typed, NOW) == _read_event_inline(json.loads(text)[0], NOW)
