"""Round trips for the no-silent-drop lists (billing_console/wire_fields.py): what was sent must
read back as sent, and a test named by a honoured field must have checked that field."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils.dateparse import parse_datetime

from billing_console.wire_fields import Fields

# Sent as the key, read back (in the SDK's response shapes) as the value.
READ_BACK_AS = {"tiers": "override_tiers"}  # an override's tiers


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        return None


def same(sent: Any, got: Any) -> bool:
    """Equal as the wire means it: numbers by value (1 == 1.0), timestamps by instant."""
    if isinstance(sent, bool) or isinstance(got, bool):
        return sent is got
    if isinstance(sent, int | float) and isinstance(got, int | float):
        return Decimal(str(sent)) == Decimal(str(got))
    if (a := _moment(sent)) is not None and (b := _moment(got)) is not None:
        return a == b
    return sent == got


class ReadBack:
    """Compares sent values with what was read back (`got`, the response as JSON), recording
    the field paths it compared. A sent `x_id` may read back as `x: {id}` (product_id as
    product.id); a temporary id reads back as the id it stood for."""

    def __init__(self, temporary_ids: dict[str, str] | None = None) -> None:
        self.seen: set[str] = set()
        self.temporary_ids = temporary_ids or {}

    def check(self, sent: Any, got: Any, path: str) -> None:
        self.seen.add(path)
        if isinstance(sent, dict):
            assert isinstance(got, dict), f"{path}: read back {got!r}"
            for key, value in sent.items():
                if value is not None and key != "temporary_id":
                    self.check(value, self._field(got, key, path), f"{path}.{key}")
        elif isinstance(sent, list):
            assert isinstance(got, list) and len(got) == len(sent), f"{path}: {got!r} != {sent!r}"
            for item, other in zip(sent, got, strict=True):
                self.check(item, other, f"{path}[]")
        else:
            expected = self.temporary_ids.get(sent, sent) if isinstance(sent, str) else sent
            assert same(expected, got), f"{path}: sent {sent!r}, read back {got!r}"

    @staticmethod
    def _field(got: dict[str, Any], key: str, path: str) -> Any:
        if key in got:
            return got[key]
        if READ_BACK_AS.get(key) in got:
            return got[READ_BACK_AS[key]]
        named = got.get(key.removesuffix("_id"))
        if key.endswith("_id") and isinstance(named, dict) and "id" in named:
            return named["id"]
        raise AssertionError(f"{path}.{key}: not read back (got {sorted(got)})")

    def items(self, sent: list[dict], got: list[dict], path: str, key: str = "name") -> None:
        """A list read back with other items among it: each sent item is found by `key`."""
        self.seen.add(path.removesuffix("[]"))
        for item in sent:
            matches = [g for g in got if g.get(key) == item[key]]
            assert len(matches) == 1, f"{path}: {item[key]!r} read back {len(matches)} times"
            self.check(item, matches[0], path)


def assert_shows(seen: set[str], test: str, *endpoints: Fields) -> None:
    """Every honoured field naming `test` (this test) was compared."""
    named = {p for fields in endpoints for p, e in fields.honoured.items() if e.test == test}
    missing = sorted(named - seen)
    assert missing == [], f"{test} names fields it did not check: {missing}"
