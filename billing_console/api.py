"""API plumbing shared by every app: errors, envelopes, cursor pagination, input helpers.

The wire format is Metronome's: single objects as {"data": {...}}, lists as
{"data": [...], "next_page": cursor | null}, errors as {"message": "..."} naming the field.
"""

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.dateparse import parse_datetime
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from billing_console.lib.periods import OUTSIDE_WINDOW, within_window

# Business-rule failures map to HTTP statuses by their code.
ERROR_STATUS = {
    "invalid": status.HTTP_400_BAD_REQUEST,
    "not_found": status.HTTP_404_NOT_FOUND,
    "conflict": status.HTTP_409_CONFLICT,
    "forbidden": status.HTTP_403_FORBIDDEN,
}


class ApplicationError(Exception):
    """A business-rule failure with a human message and a machine code (HackSoft, Zulip)."""

    def __init__(self, message: str, code: str = "invalid", extra: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.extra = extra or {}


def _flatten(detail: Any, prefix: str = "") -> list[str]:
    """Turn DRF's nested error detail into 'field.sub: message' strings."""
    if isinstance(detail, Mapping):
        out: list[str] = []
        for key, value in detail.items():
            name = (
                prefix if key == "non_field_errors" else (f"{prefix}.{key}" if prefix else str(key))
            )
            out.extend(_flatten(value, name))
        return out
    if isinstance(detail, list):
        if all(not isinstance(item, (Mapping, list)) for item in detail):
            return [f"{prefix}: {item}" if prefix else str(item) for item in detail]
        out = []
        for index, item in enumerate(detail):
            if item:
                out.extend(_flatten(item, f"{prefix}[{index}]"))
        return out
    return [f"{prefix}: {detail}" if prefix else str(detail)]


def error_message(detail: Any) -> str:
    return _wire_text("; ".join(_flatten(detail)) or "Invalid request.")


def _wire_text(message: str) -> str:
    """`message` with any lone surrogate it echoes from the input (DRF's '"\\ud800" is not a valid
    choice.') as its escape: it has no UTF-8 form, so rendering the error would be a 500."""
    return message.encode("utf-8", "backslashreplace").decode()


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        body = {"message": _wire_text(exc.message), **exc.extra}
        return Response(body, status=ERROR_STATUS.get(exc.code, status.HTTP_400_BAD_REQUEST))
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        return Response({"message": error_message(detail)}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return Response(
            {"message": f"body: larger than {limit} bytes; send smaller batches."},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, Http404):
        return Response({"message": str(exc) or "Not found."}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        response = Response({"message": str(exc.detail)}, status=status.HTTP_401_UNAUTHORIZED)
        response["WWW-Authenticate"] = "Bearer"
        return response
    if isinstance(exc, exceptions.APIException):
        response = drf_exception_handler(exc, context)
        if response is not None:
            response.data = {"message": error_message(exc.detail)}
        return response
    return None


# --- envelopes --------------------------------------------------------------------------


def data_response(data: Any, status_code: int = status.HTTP_200_OK) -> Response:
    return Response({"data": data}, status=status_code)


# --- input ------------------------------------------------------------------------------


def param(request: Request, name: str, default: Any = None) -> Any:
    """A list parameter, from the query string (GET lists) or the JSON body (POST lists)."""
    if name in request.query_params:
        return request.query_params.get(name)
    if isinstance(request.data, Mapping) and name in request.data:
        return request.data.get(name)
    return default


def param_list(request: Request, name: str) -> list[str] | None:
    """Arrays arrive comma-separated in the query (the SDK's array_format) or as JSON lists."""
    raw = param(request, name)
    if raw is None:
        return None
    if isinstance(raw, str):
        return [item for item in raw.split(",") if item]
    if isinstance(raw, list) and all(isinstance(item, str) for item in raw):
        return raw
    raise exceptions.ValidationError({name: ["Must be a list of strings."]})


def param_bool(request: Request, name: str, default: bool = False) -> bool:
    raw = param(request, name)
    if raw is None:
        return default
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.lower() in {"true", "false", "1", "0"}:
        return raw.lower() in {"true", "1"}
    raise exceptions.ValidationError({name: ["Must be a boolean."]})


class MomentField(serializers.DateTimeField):
    """An input DateTimeField within the window every input instant lies in (README, "Input
    limits"); DRF itself answers "Datetime value out of range." only where UTC overflows."""

    def to_internal_value(self, value: Any) -> Any:
        moment = super().to_internal_value(value)
        if not within_window(moment):
            raise exceptions.ValidationError(OUTSIDE_WINDOW)
        return moment


def validated(serializer_class: type, data: Any, **kwargs: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# --- cursor pagination --------------------------------------------------------------------


def encode_cursor(position: Any) -> str:
    raw = json.dumps({"after": position}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> Any:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()))["after"]
    except (binascii.Error, ValueError, KeyError, TypeError) as err:
        raise exceptions.ValidationError({"next_page": ["Not a valid cursor."]}) from err


def page_limit(request: Request, default: int | None = None) -> int:
    raw = param(request, "limit")
    limit_default = default or settings.API_PAGE_SIZE_DEFAULT
    if raw in (None, ""):
        return limit_default
    try:
        limit = int(raw)
    except (TypeError, ValueError) as err:
        raise exceptions.ValidationError({"limit": ["Must be an integer."]}) from err
    if not 1 <= limit <= settings.API_PAGE_SIZE_MAX:
        raise exceptions.ValidationError(
            {"limit": [f"Must be between 1 and {settings.API_PAGE_SIZE_MAX}."]}
        )
    return limit


def paginated_response(
    request: Request,
    queryset: QuerySet,
    serialize: Callable[[Any], Any],
    *,
    cursor_param: str = "next_page",
    default_limit: int | None = None,
    order_field: str | None = None,
    descending: bool = False,
) -> Response:
    """Keyset pagination, stable under concurrent inserts: on the primary key, or on
    (`order_field`, pk) for a datetime field, ascending or descending."""
    limit = page_limit(request, default_limit)
    cursor = param(request, cursor_param)
    sign = "-" if descending else ""
    ordering = [f"{sign}{order_field}", f"{sign}pk"] if order_field else [f"{sign}pk"]
    queryset = queryset.order_by(*ordering)
    if cursor:
        queryset = queryset.filter(
            _after(decode_cursor(str(cursor)), order_field, descending, cursor_param)
        )
    rows = list(queryset[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_page = None
    if has_more:
        last = rows[-1]
        position = [getattr(last, order_field).isoformat(), last.pk] if order_field else last.pk
        next_page = encode_cursor(position)
    return Response({"data": [serialize(row) for row in rows], "next_page": next_page})


def _after(position: Any, order_field: str | None, descending: bool, cursor_param: str) -> Q:
    op = "lt" if descending else "gt"
    invalid = exceptions.ValidationError({cursor_param: ["Not a valid cursor."]})
    if order_field is None:
        if not isinstance(position, int):
            raise invalid
        return Q(**{f"pk__{op}": position})
    if not (isinstance(position, list) and len(position) == 2 and isinstance(position[1], int)):
        raise invalid
    try:
        value = parse_datetime(str(position[0]))
    except ValueError:  # well-formed but no such day (a tampered 2026-02-30)
        raise invalid from None
    if value is None or value.tzinfo is None or not within_window(value):
        raise invalid
    return Q(**{f"{order_field}__{op}": value}) | Q(
        **{order_field: value, f"pk__{op}": position[1]}
    )


def sequence_response(
    request: Request,
    items: list[Any],
    serialize: Callable[[Any], Any],
    *,
    cursor_param: str = "next_page",
) -> Response:
    """Cursor pages over a computed, deterministic sequence (e.g. breakdown windows): the
    cursor is the offset of the next item."""
    limit = page_limit(request)
    cursor = param(request, cursor_param)
    offset = decode_cursor(str(cursor)) if cursor else 0
    if not isinstance(offset, int) or offset < 0:
        raise ApplicationError(f"{cursor_param}: invalid cursor.")
    page = items[offset : offset + limit]
    more = offset + limit < len(items)
    return Response(
        {
            "data": [serialize(item) for item in page],
            "next_page": encode_cursor(offset + limit) if more else None,
        }
    )


def list_response(items: Iterable[Any]) -> Response:
    return Response({"data": list(items), "next_page": None})


def get_by_public_id(queryset: Any, public_id: Any, what: str, field: str = "id") -> Any:
    """The row of `queryset` with this public id, or a 404 naming the field."""
    import uuid

    missing = ApplicationError(f"{field}: no {what} with id '{public_id}'.", "not_found")
    try:
        key = uuid.UUID(str(public_id))
    except (ValueError, TypeError):
        raise missing from None
    found = queryset.filter(public_id=key).first()
    if found is None:
        raise missing
    return found
