"""Reading wire-shaped (JSON) input in services, with errors that name the field path.

Services that take nested Metronome-shaped payloads (contracts, commits, overrides) validate
them here, so the API and the console report the same `commits[0].priority: ...` messages.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.dateparse import parse_datetime

from billing_console.api import ApplicationError
from billing_console.lib.periods import OUTSIDE_WINDOW, within_window
from billing_console.wire_fields import Fields, refuse_unsupported

# Largest magnitude a RateField holds (28 digits, 12 decimal places).
MAX_NUMBER = Decimal("1e16")


def text_problem(value: str) -> str | None:
    """Why no database can store `value` as text, if none can: PostgreSQL refuses NUL (SQLite
    would store it), and a lone surrogate (JSON's "\\ud800") has no UTF-8 encoding."""
    if "\x00" in value:
        return "must not contain NUL (\\u0000) characters."
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "must not contain unpaired surrogates (such as \\ud800)."
    return None


class Reader:
    """Reads fields from a dict, raising ApplicationError('path.field: why')."""

    def __init__(self, data: Any, path: str = "") -> None:
        if not isinstance(data, dict):
            raise ApplicationError(f"{path or 'body'}: must be an object.")
        self.data = data
        self.path = path

    def _name(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def fail(self, key: str, why: str) -> ApplicationError:
        return ApplicationError(f"{self._name(key)}: {why}")

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def raw(self, key: str, default: Any = None) -> Any:
        """The value as sent (any JSON), its strings and keys checked as str() checks them."""
        value = self.data.get(key)
        if value is None:
            return default
        stack = [(self._name(key), value)]
        while stack:
            path, item = stack.pop()
            if isinstance(item, str) and (problem := text_problem(item)):
                raise ApplicationError(f"{path}: {problem}")
            if isinstance(item, dict):
                for name, child in item.items():
                    if problem := text_problem(name):
                        raise ApplicationError(f"{path}: keys {problem}")
                    stack.append((f"{path}.{name}", child))
            elif isinstance(item, list):
                stack.extend((f"{path}[{i}]", child) for i, child in enumerate(item))
        return value

    def str(
        self, key: str, *, required: bool = False, default: str = "", max_length: int = 2000
    ) -> str:
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.fail(key, "is required.")
            return default
        if not isinstance(value, str):
            raise self.fail(key, "must be a string.")
        if problem := text_problem(value):
            raise self.fail(key, problem)
        if required and not value.strip():
            raise self.fail(key, "may not be blank.")
        if len(value) > max_length:
            raise self.fail(key, f"must be at most {max_length} characters.")
        return value

    def decimal(
        self,
        key: str,
        *,
        required: bool = False,
        minimum: Decimal | None = None,
        positive: bool = False,
    ) -> Decimal | None:
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.fail(key, "is required.")
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
            raise self.fail(key, "must be a number.")
        try:
            number = Decimal(str(value))  # via str: never binary float arithmetic
        except InvalidOperation:
            raise self.fail(key, "must be a number.") from None
        if not number.is_finite() or abs(number) >= MAX_NUMBER:
            raise self.fail(key, "is out of range.")
        if minimum is not None and number < minimum:
            raise self.fail(key, f"must be at least {minimum}.")
        if positive and number <= 0:
            raise self.fail(key, "must be greater than 0.")
        return number

    def datetime(self, key: str, *, required: bool = False) -> datetime | None:
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.fail(key, "is required.")
            return None
        if isinstance(value, datetime):
            parsed = value
        elif isinstance(value, str):
            try:
                parsed = parse_datetime(value)
            except ValueError:  # well-formed but no such time: 2026-02-30, 24:00
                raise self.fail(key, "is not a valid date and time.") from None
        else:
            parsed = None
        if parsed is None:
            raise self.fail(key, "must be an RFC 3339 timestamp.")
        if parsed.tzinfo is None:
            raise self.fail(key, "must include a time zone offset (e.g. Z).")
        if not within_window(parsed):
            raise self.fail(key, OUTSIDE_WINDOW)
        return parsed

    def bool(self, key: str, default: bool | None = None) -> bool | None:
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.fail(key, "must be a boolean.")
        return value

    def list(self, key: str, *, required: bool = False) -> list:
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.fail(key, "is required.")
            return []
        if not isinstance(value, list):
            raise self.fail(key, "must be a list.")
        return value

    def str_list(self, key: str) -> list[str]:
        items = self.list(key)
        if not all(isinstance(item, str) for item in items):
            raise self.fail(key, "must be a list of strings.")
        for index, item in enumerate(items):
            if problem := text_problem(item):
                raise ApplicationError(f"{self._name(key)}[{index}]: {problem}")
        return items

    def str_map(self, key: str) -> dict[str, str]:
        value = self.data.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise self.fail(key, "must be an object of string values.")
        for name, item in value.items():
            if problem := text_problem(name):
                raise self.fail(key, f"keys {problem}")
            if problem := text_problem(item):
                raise ApplicationError(f"{self._name(key)}.{name}: {problem}")
        return value

    def child(self, key: str, *, required: bool = False) -> Reader | None:
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.fail(key, "is required.")
            return None
        return Reader(value, self._name(key))

    def children(self, key: str, *, required: bool = False) -> list[Reader]:
        return [
            Reader(item, f"{self._name(key)}[{i}]")
            for i, item in enumerate(self.list(key, required=required))
        ]

    def choice(
        self,
        key: str,
        choices: tuple[str, ...] | list[str],
        *,
        required: bool = False,
        default: str = "",
    ) -> str:
        value = self.str(key, required=required, default=default)
        if value and value not in choices:
            raise self.fail(key, f"must be one of {', '.join(choices)}.")
        return value


def request_object(request: Any) -> dict[str, Any]:
    """A POST body that must be a JSON object (Metronome's bodies all are)."""
    if not isinstance(request.data, dict):
        raise ApplicationError("body: must be a JSON object.")
    return request.data


def request_reader(request: Any, fields: Fields | None = None) -> Reader:
    """The body's reader; with `fields`, the endpoint's refused fields are a 400 first."""
    data = request_object(request)
    if fields is not None:
        refuse_unsupported(data, fields)
    return Reader(data)
