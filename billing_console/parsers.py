"""The API's JSON parser: strict JSON (no NaN or Infinity), bounded nesting, clear 400s.

A deeply nested value would cost every later reader of it, so bodies nesting deeper than
MAX_JSON_DEPTH are refused. Python's json module recurses once per nesting level and raises
RecursionError on a body of 100,000 brackets: that is a 400 too. The depth of what did parse is
then walked without recursion (a pass over the parsed containers is ten times cheaper than
scanning the text for brackets, and this parser sits on the ingest hot path).
"""

import json
from typing import Any

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser

MAX_JSON_DEPTH = 32


def deeper_than(value: Any, limit: int) -> bool:
    """Whether parsed JSON nests objects and arrays more than `limit` levels (no recursion:
    one level of containers at a time)."""
    level = [value] if type(value) in _CONTAINERS else []
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return True
        below = []
        for container in level:
            for item in container.values() if type(container) is dict else container:
                if type(item) in _CONTAINERS:
                    below.append(item)
        level = below
    return False


_CONTAINERS = frozenset({dict, list})  # what json.loads builds


def json_depth_limit() -> int:
    return getattr(settings, "API_MAX_JSON_DEPTH", MAX_JSON_DEPTH)


class BodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "body_too_large"


def no_json_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


class StrictJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        cap = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        body = stream.read(cap + 1) if stream is not None else b""
        if cap is not None and len(body) > cap:
            raise BodyTooLarge(f"body: larger than {cap} bytes; send smaller batches.")
        limit = json_depth_limit()
        too_deep = ParseError(f"body: JSON nested deeper than {limit} levels.")
        try:
            data = json.loads(body.decode("utf-8"), parse_constant=no_json_constants)
        except UnicodeDecodeError:
            raise ParseError("body: is not valid UTF-8.") from None
        except RecursionError:
            raise too_deep from None
        except ValueError as error:
            raise ParseError(f"body: is not valid JSON ({error}).") from None
        if deeper_than(data, limit):
            raise too_deep
        return data
