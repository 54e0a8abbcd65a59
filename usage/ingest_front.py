"""The ingest front: POST /v1/ingest answered before Django's middleware and DRF, when it can be.

Ingest is the hottest path of the product: clients send 100-event batches as fast as the server
takes them. Django's middleware stack and DRF's request handling cost about as much CPU per
request as reading and storing the 100 events, so this WSGI middleware (the pattern whitenoise
uses for static files) answers the common case itself: a JSON body with a live bearer token,
every event well-formed. It runs the same code as the API view for what matters: the same
JSON limits (billing_console.parsers) and the same usage_ingest, which validates every event
and stores the batch in one statement, here with the token check in that statement.

The body is decoded by msgspec into CommonEvent (the five fields, typed) when it has that form,
a third of the cost of json.loads, and no depth to check; any other body is read by json.loads
under the parser's limits, as before.

Anything else is handed to Django with the body replayed, untouched: a missing, revoked or
read-only token (the view answers 401 or 403), a body that is not JSON, an invalid event, a
database error, SQLite. Every error the API can give therefore comes from the one DRF view, in
its envelope, and a request the front gave up on is served in full by Django (storing is
idempotent: a batch the front stored before an error is deduplicated). Only the 200 comes from
here, with the headers Django's security and clickjacking middleware would have set.
"""

import io
import json
import logging
from typing import Annotated, Any

import msgspec
from django.core import signals
from django.core.exceptions import DisallowedHost, RequestDataTooBig
from django.core.handlers.wsgi import WSGIRequest
from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.security import SecurityMiddleware

from billing_console.api import ApplicationError
from billing_console.auth import bearer_token, record_token_use
from billing_console.models import hash_token
from billing_console.parsers import deeper_than, json_depth_limit, no_json_constants
from usage.services import (
    MAX_EVENTS,
    CommonEvent,
    IngestResult,
    NotCommonForm,
    TokenNotLive,
    usage_ingest,
)

PATH = "/v1/ingest"
logger = logging.getLogger(__name__)


def _unused(request: Any) -> Any:  # the middlewares' get_response: only their process_response runs
    raise NotImplementedError


class _Declined(Exception):
    """The front leaves this request to Django."""


class IngestFront:
    def __init__(self, application: Any) -> None:
        self.application = application
        self.header_middlewares = [SecurityMiddleware(_unused), XFrameOptionsMiddleware(_unused)]

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "POST":
            return self.application(environ, start_response)
        if connection.vendor != "postgresql" or not environ.get("CONTENT_LENGTH"):
            return self.application(environ, start_response)
        request = WSGIRequest(environ)
        signals.request_started.send(sender=self.__class__, environ=environ)
        try:
            body = request.body  # read within DATA_UPLOAD_MAX_MEMORY_SIZE
        except RequestDataTooBig:
            body = None
        try:
            if body is None:
                raise _Declined
            response = self._ingest(request, body)
        except _Declined:
            response = None
        finally:
            signals.request_finished.send(sender=self.__class__)
        if response is None:
            if body is not None:  # Django reads the body as sent
                environ["wsgi.input"] = io.BytesIO(body)
            return self.application(environ, start_response)
        start_response(f"{response.status_code} {response.reason_phrase}", list(response.items()))
        return [b""]

    def _ingest(self, request: WSGIRequest, body: bytes) -> HttpResponse:
        try:
            request.get_host()
        except DisallowedHost:
            raise _Declined from None
        if request.content_type != "application/json":
            raise _Declined
        raw_token = bearer_token(request.META.get("HTTP_AUTHORIZATION", ""))
        if raw_token is None:
            raise _Declined
        token_hash = hash_token(raw_token)
        try:
            result = self._store(body, token_hash)
            record_token_use(*result.api_token)
        except (_Declined, ApplicationError, DatabaseError, TokenNotLive):  # the view answers
            raise _Declined from None
        except Exception:  # a defect here must not cost the request: the view serves it
            logger.exception("ingest front failed; the request goes to the API view")
            raise _Declined from None
        response = HttpResponse(status=200, headers={"Allow": "POST, OPTIONS"})
        for middleware in self.header_middlewares:
            response = middleware.process_response(request, response)
        del response["Content-Type"]  # as DRF's empty 200, which CommonMiddleware measures
        response["Content-Length"] = "0"
        return response

    def _store(self, body: bytes, token_hash: str) -> IngestResult:
        try:
            events, text = _decode_common(body), body.decode()
        except (msgspec.MsgspecError, RecursionError, ValueError):
            events, text = _parse(body)
        try:
            return usage_ingest(events=events, body=text, api_token_hash=token_hash)
        except NotCommonForm:  # read as the view reads it, with its depth limit
            events, text = _parse(body)
            return usage_ingest(events=events, body=text, api_token_hash=token_hash)


class _NotCanonical(ValueError):
    """A number the text writes otherwise than Python would (1.10, 1e2): not stored as sent."""


def _canonical_float(text: str) -> float:
    value = float(text)
    if repr(value) != text:
        raise _NotCanonical
    return value


_decode_common = msgspec.json.Decoder(
    Annotated[list[CommonEvent], msgspec.Meta(min_length=1, max_length=MAX_EVENTS)],
    float_hook=_canonical_float,
).decode


def _parse(body: bytes) -> tuple[Any, str | None]:
    """The events and, when every number in the text reads back as written, the text itself
    (stored as sent: a number such as 1.10 would otherwise be stored as 1.1 on one path and as
    1.10 on the other). Declines what StrictJSONParser would refuse."""
    noncanonical: list[str] = []

    def number(text: str) -> float:
        try:
            return _canonical_float(text)
        except _NotCanonical:
            noncanonical.append(text)
            return float(text)

    try:
        text = body.decode("utf-8")
        events = json.loads(text, parse_constant=no_json_constants, parse_float=number)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise _Declined from None
    if deeper_than(events, json_depth_limit()):
        raise _Declined
    return events, None if noncanonical else text
