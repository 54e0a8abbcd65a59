"""The API's JSON parser: strict JSON (no NaN or Infinity), bounded nesting, clear 400s.

Python's json module recurses once per nesting level, so a body of 100,000 brackets would end in
a RecursionError (a 500); and a deeply nested value would later cost every reader of it. Bodies
are refused before parsing when their brackets nest deeper than MAX_JSON_DEPTH.
"""

import json
import re
from typing import Any

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser

MAX_JSON_DEPTH = 32
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _depth(body: bytes) -> int:
    """The deepest bracket nesting of a JSON text, strings skipped (linear, no recursion)."""
    depth = deepest = 0
    for match in _TOKENS.finditer(body):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif token in (b"]", b"}"):
            depth -= 1
    return deepest


class BodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "body_too_large"


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


class StrictJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        cap = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        body = stream.read(cap + 1) if stream is not None else b""
        if cap is not None and len(body) > cap:
            raise BodyTooLarge(f"body: larger than {cap} bytes; send smaller batches.")
        limit = getattr(settings, "API_MAX_JSON_DEPTH", MAX_JSON_DEPTH)
        if _depth(body) > limit:
            raise ParseError(f"body: JSON nested deeper than {limit} levels.")
        try:
            return json.loads(body.decode("utf-8"), parse_constant=_no_constants)
        except UnicodeDecodeError:
            raise ParseError("body: is not valid UTF-8.") from None
        except ValueError as error:
            raise ParseError(f"body: is not valid JSON ({error}).") from None
