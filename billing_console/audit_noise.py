"""No-op audit diffs are not recorded: "price: 300.000000000000 → 300" is not a change.

django-auditlog compares a column's old and new values as text, so a value read back from the
database and the same value as written ("300.000000000000" and "300", a datetime in two
formats, JSON with its keys in another order) reads as a change. Here each pair is compared
after normalising it for its column's type, before the entry is saved:

- the documented `pre_log` hook: a receiver returning False stops the entry. An update whose
  every changed column is equal after normalising is dropped there (one read of the stored row,
  as auditlog's own receiver makes);
- a `pre_save` receiver on LogEntry strips the equal pairs, and the columns Django stamps on
  every save (`auto_now`), from an entry that also holds a real change.

`meaningful_changes` is the same test for diffs computed by hand (`audit.audit_updates_bulk`).
"""

import ast
import json
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.dateparse import parse_date, parse_datetime

NUMBER_FIELDS = (models.DecimalField, models.FloatField, models.IntegerField)


def _number(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _moment(value: Any) -> datetime | date | None:
    if isinstance(value, datetime | date):
        return value
    text = str(value).strip()
    try:
        return parse_datetime(text) or parse_date(text)
    except ValueError:
        return None


def _utc_naive(value: datetime | date | None) -> datetime | date | None:
    """auditlog writes datetimes naive, in UTC: an aware one is compared in UTC too."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _tree(value: Any) -> Any:
    """JSON (or a Python literal, as auditlog writes some) with every number a Decimal, so
    that {"a": 1, "b": 2.0} equals {"b": 2, "a": 1}."""
    if isinstance(value, str):
        for parse in (lambda s: json.loads(s, parse_float=Decimal), ast.literal_eval):
            try:
                value = parse(value)
                break
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                continue
    if isinstance(value, dict):
        return {str(k): _tree(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_tree(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value))
    return value


def _blank(value: Any) -> bool:
    return value is None or value == "None"


def same_value(field: models.Field | None, before: Any, after: Any) -> bool:
    """Whether a recorded (before, after) pair of `field` holds one value written two ways."""
    if before == after or (_blank(before) and _blank(after)):
        return True
    if _blank(before) or _blank(after) or field is None:
        return False
    if isinstance(field, NUMBER_FIELDS):
        old, new = _number(before), _number(after)
        return old is not None and new is not None and old == new
    if isinstance(field, models.DateTimeField | models.DateField):
        old_at, new_at = _moment(before), _moment(after)
        return old_at is not None and _utc_naive(old_at) == _utc_naive(new_at)
    if isinstance(field, models.JSONField):
        return _tree(before) == _tree(after)
    return False


def _field(model: type[models.Model] | None, name: str) -> models.Field | None:
    if model is None:
        return None
    try:
        return model._meta.get_field(name)  # type: ignore[return-value]
    except FieldDoesNotExist:
        return None


def meaningful_changes(model: type[models.Model] | None, changes: dict | None) -> dict:
    """`changes` ({field: [before, after]}) without the pairs that are no change at all, and
    without the columns Django stamps on every save."""
    kept = {}
    for name, pair in (changes or {}).items():
        field = _field(model, name)
        if getattr(field, "auto_now", False):
            continue
        if isinstance(pair, list | tuple) and len(pair) == 2 and same_value(field, *pair):
            continue
        kept[name] = pair
    return kept


def drop_noop_update(sender: type[models.Model], instance: models.Model, action: Any, **_: Any):
    """pre_log receiver: False (no entry) for an update that changes nothing."""
    from auditlog.diff import model_instance_diff
    from auditlog.models import LogEntry

    if action != LogEntry.Action.UPDATE or instance.pk is None:
        return None
    old = sender._base_manager.filter(pk=instance.pk).first()
    if old is None:
        return None
    diff = model_instance_diff(
        old, instance, use_json_for_changes=settings.AUDITLOG_STORE_JSON_CHANGES
    )
    return None if meaningful_changes(sender, diff) else False


def strip_noop_pairs(sender: Any, instance: Any, **_: Any) -> None:
    """pre_save receiver on LogEntry: keep only the pairs that changed."""
    if instance.pk is not None or instance.action != instance.Action.UPDATE:
        return
    if not isinstance(instance.changes, dict):
        return
    kept = meaningful_changes(instance.content_type.model_class(), instance.changes)
    if kept:  # all-noise entries were stopped by `drop_noop_update`; keep what we cannot judge
        instance.changes = kept
