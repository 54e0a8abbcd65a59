"""The audit log as finance reads it: "Contract Acme — Enterprise 2026: end date Jun 1, 2027 →
Mar 1, 2027", not "ContractEdit object (5): ending_before 2027-06-01 00:00:00 → ...".

Each console entry (the wire entry of reports.audit_log, money in major units by
reports.audit_money) gets: the kind of thing changed ("Contract"), its name as a person knows
it (the name recorded with the entry; for rows without a name of their own, one made from the
live row and the row it belongs to), and each change as a line with the field's label and its
values written for people (dates "Jun 1, 2027", yes/no, a choice's label, a related row's name).
The API (/v1/auditLogs) is untouched: it keeps the wire shape.
"""

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, time
from decimal import Decimal, InvalidOperation
from typing import Any

from auditlog.models import LogEntry
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.dateparse import parse_date, parse_datetime

from billing_console.lib.time_text import day_text, moment_text
from reports.audit_log import VERBS, entry_changes
from reports.audit_money import entries_shown

# auditlog's object_repr of a model without __str__ ("ContractEdit object (5)") or of one
# it could not name
_GENERIC = re.compile(r"^(\w+ object \(.*\)|<error forming object repr>)$")
_ISO_DAY = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
# Where a row without a name of its own belongs, tried in order ("Contract edit on Acme — ...").
PARENTS = ("contract", "commit", "charge", "discount", "service", "subscription", "customer",
           "rate_card", "plan", "product", "invoice", "provider", "from_contract")  # fmt: skip
# Field labels where the column's name is not what people call it.
LABELS = {
    "starting_at": "start date", "ending_before": "end date", "starting_on": "start date",
    "archived_at": "archived", "net_payment_terms_days": "payment terms (days)",
    "fiat_per_custom_credit": "price per credit", "overwrite_rate": "new rate",
    "total_contract_value": "total contract value", "is_enabled": "enabled",
    "disabled_at": "disabled", "voided_at": "voided", "finalized_at": "finalized",
    "issued_at": "issue date", "period_start": "period start", "period_end": "period end",
    "external_id": "external id", "public_id": "id", "credit_type": "currency",
    "fiat_credit_type": "currency",
}  # fmt: skip
# Columns that read better as a state: (model, column) -> (label, {recorded value: word}).
# "User Jane Doe: status active → deactivated".
STATES = {("auth.user", "is_active"): ("status", {"True": "active", "False": "deactivated"})}
# Many-to-many columns recorded as text, already for people (people.audit: "role Finance → Admin").
LABELS["groups"] = "role"
DAY = "M j, Y"  # Jun 1, 2027
EMPTY = "—"


@dataclass(frozen=True)
class Line:
    label: str
    before: str
    after: str

    def __str__(self) -> str:
        return f"{self.label} {self.before} → {self.after}"


def _field(model: type[models.Model] | None, name: str) -> models.Field | None:
    try:
        return model._meta.get_field(name) if model else None  # type: ignore[return-value]
    except FieldDoesNotExist:
        return None


def field_label(model: type[models.Model] | None, name: str) -> str:
    if model is not None and (model._meta.label_lower, name) in STATES:
        return STATES[(model._meta.label_lower, name)][0]
    field = _field(model, name)
    default = name.replace("_", " ")
    verbose = str(getattr(field, "verbose_name", default))
    if verbose != default:  # the model names it: take its word
        return verbose
    return LABELS.get(name, default)


def _number(text: str) -> str:
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        return text
    if not value.is_finite():
        return text
    value = value.normalize()
    return f"{value:,f}" if value == value.to_integral() or abs(value) >= 1 else f"{value:f}"


def _moment(field: models.Field, text: str) -> str:
    if isinstance(field, models.DateTimeField):
        at = parse_datetime(text)
        if at is None:
            return text
        # Midnight UTC is a billing date (a contract's end), the same for every reader; any
        # other moment (archived at) is written in the reader's time zone.
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        if at.astimezone(UTC).time() == time(0):
            return day_text(at)
        return moment_text(at, timezone.get_current_timezone())
    day = parse_date(text)
    return date_format(day, DAY) if day else text


def value_text(field: models.Field | None, value: Any, names: dict[tuple, str]) -> str:
    """One recorded value (auditlog keeps text) for people."""
    if value in (None, "None", ""):
        return EMPTY
    text = str(value)
    if field is None or field.many_to_many:
        return text
    state = STATES.get((field.model._meta.label_lower, field.name))
    if state is not None:
        return state[1].get(text, text)
    if field.is_relation and field.related_model is not None:
        return names.get((field.related_model, text), f"#{text}")
    if field.choices:
        return str(dict(field.flatchoices).get(text, text))
    if isinstance(field, models.BooleanField):
        return {"True": "yes", "False": "no"}.get(text, text)
    if isinstance(field, models.DateTimeField | models.DateField):
        return _moment(field, text)
    if isinstance(field, models.DecimalField | models.IntegerField | models.FloatField):
        return _number(text)
    return text


def _related_names(items: list[tuple[type[models.Model] | None, dict]]) -> dict[tuple, str]:
    """(model, pk text) -> the related row's name, for every foreign key value shown."""
    wanted: dict[type[models.Model], set[str]] = defaultdict(set)
    for model, changes in items:
        for name, pair in changes.items():
            field = _field(model, name)
            if field is not None and field.many_to_one and field.related_model is not None:
                wanted[field.related_model].update(str(v) for v in pair if str(v).isdigit())
    names: dict[tuple, str] = {}
    for related, pks in wanted.items():
        for pk, row in related._base_manager.in_bulk([int(p) for p in pks]).items():
            names[(related, str(pk))] = str(row)
    return names


def _has_own_str(model: type[models.Model]) -> bool:
    return model.__str__ is not models.Model.__str__


def _dates_readable(name: str) -> str:
    """ "Calls from 2026-01-01" (a rate's own name) -> "Calls from Jan 1, 2026"."""

    def day(match: re.Match) -> str:
        parsed = parse_date(match.group(0))
        return date_format(parsed, DAY) if parsed else match.group(0)

    return _ISO_DAY.sub(day, name)


def object_name(entry: LogEntry, row: models.Model | None) -> str:
    """The changed row as a person names it."""
    return _dates_readable(_object_name(entry, row))


def _object_name(entry: LogEntry, row: models.Model | None) -> str:
    recorded = entry.object_repr or ""
    generic = bool(_GENERIC.match(recorded))
    model = type(row) if row is not None else entry.content_type.model_class()
    if row is not None and model is not None and model._meta.label_lower == "contracts.contract":
        return f"{row.customer} — {row.name if generic else recorded}"  # type: ignore[attr-defined]
    if not generic:
        return recorded
    if row is None:
        return f"#{entry.object_pk} (since deleted)"
    if _has_own_str(type(row)):
        return str(row)
    own = str(getattr(row, "name", "") or "").strip()
    for parent in PARENTS:
        related = getattr(row, parent, None) if _field(type(row), parent) else None
        if isinstance(related, models.Model):
            kind = related._meta.verbose_name
            whose = object_name_of(related)
            return f"{own} on {kind} {whose}" if own else f"on {kind} {whose}"
    return own or f"#{entry.object_pk}"


def object_name_of(row: models.Model) -> str:
    if row._meta.label_lower == "contracts.contract":
        return f"{row.customer} — {row}"  # type: ignore[attr-defined]
    return str(row)


def _names_path(model: type[models.Model]) -> list[str]:
    """What naming a row reads: its parents, and a contract's customer (one query a model)."""
    paths = []
    for name in ("customer", *PARENTS):
        field = _field(model, name)
        if field is not None and field.many_to_one and name not in paths:
            paths.append(name)
            if _field(field.related_model, "customer") is not None:
                paths.append(f"{name}__customer")
    return [p for p in paths if p != "customer__customer"]


def _live_rows(entries: list[LogEntry]) -> dict[int, models.Model]:
    by_model: dict[type[models.Model], list[LogEntry]] = defaultdict(list)
    for entry in entries:
        model = entry.content_type.model_class()
        if model is not None and entry.object_pk.isdigit():
            by_model[model].append(entry)
    rows: dict[int, models.Model] = {}
    for model, group in by_model.items():
        found = model._base_manager.select_related(*_names_path(model)).in_bulk(
            [int(e.object_pk) for e in group]
        )
        for entry in group:
            if (row := found.get(int(entry.object_pk))) is not None:
                rows[entry.pk] = row
    return rows


def console_entries(rows: Iterable[LogEntry]) -> list[dict[str, Any]]:
    """Each entry as the console shows it: the wire entry plus `kind`, `name`, `lines`,
    `sentence`, `system` and `at` (the moment, for the template's date format)."""
    entries = list(rows)
    shown = entries_shown(entries)
    models_ = [entry.content_type.model_class() for entry in entries]
    names = _related_names([(m, e["changes"]) for m, e in zip(models_, shown, strict=True)])
    live = _live_rows(entries)
    out = []
    for entry, wire, model in zip(entries, shown, models_, strict=True):
        kind = str(model._meta.verbose_name) if model else entry.content_type.model
        name = object_name(entry, live.get(entry.pk))
        raw = entry_changes(entry)
        lines = [
            Line(
                field_label(model, field),
                *(
                    shown if shown != stored else value_text(_field(model, field), shown, names)
                    for shown, stored in zip(pair, raw.get(field, pair), strict=True)
                ),  # money reports.audit_money wrote as "$30.00" is kept as it wrote it
            )
            for field, pair in wire["changes"].items()
        ]
        subject = f"{kind[:1].upper()}{kind[1:]} {name}"
        said = "; ".join(map(str, lines)) if wire["action"] == "update" else ""
        sentence = f"{subject}: {said}" if said else subject
        out.append(dict(wire, kind=kind, name=name, subject=subject, lines=lines,
                        sentence=sentence, verb=VERBS.get(entry.action, "Changed"), system=entry.actor_id is None, at=entry.timestamp))  # fmt: skip
    return out
