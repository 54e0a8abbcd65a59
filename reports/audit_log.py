"""The audit log as Metronome shows it (GET /v1/auditLogs) and as the console lists it.

Entries are django-auditlog's LogEntry rows: billing_console.audit puts the actor, the IP
address, the user agent and a request id on each. Here they are named as Metronome names
things: a `resource_type` per audited model ("customer", "rate_card", ...) and a `resource_id`,
the public id of the row. A registered model without a public id of its own is shown as a change
of its parent (an ingest alias is a change of its customer). Models registered later get a
resource type from their verbose name, so nothing registered is ever left out.
"""

import base64
import binascii
import json
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model, Q, QuerySet
from django.utils.dateparse import parse_datetime

from billing_console.api import ApplicationError
from billing_console.lib.periods import OUTSIDE_WINDOW, within_window
from billing_console.wire import text_problem

# Registered models without a public id: shown as a change of the row their foreign key names.
PARENT_FIELDS = {
    "customers.ingestalias": "customer",
    "pricing.productversion": "product",
    "pricing.credittypeconversion": "rate_card",
    "pricing.ratecardnamedschedule": "rate_card",
    "pricing.ratecardproductposition": "rate_card",
    "contracts.contractnamedschedule": "contract",
    "customers.customernamedschedule": "customer",
    "customers.avalaracredentials": "provider",
    "tax.anrokcredentials": "provider",
    "tax.customertaxaddress": "customer",
}
# Entry ids on the wire: stable, opaque (uuid5 of the row), never the sequential key.
ENTRY_NAMESPACE = uuid.UUID("6d1f5e0a-6c1b-4f0e-9a59-2b8a4f4f1c11")
ACTIONS = {0: "create", 1: "update", 2: "delete", 3: "access"}
VERBS = {0: "Created", 1: "Updated", 2: "Deleted", 3: "Accessed"}
SORTS = ("date_asc", "date_desc")
TOGETHER = "{given}: requires {missing} as well (filter by both or neither)."


def _parent_field(model: type[Model]) -> str | None:
    return PARENT_FIELDS.get(model._meta.label_lower)


def _has_public_id(model: type[Model]) -> bool:
    try:
        model._meta.get_field("public_id")
    except FieldDoesNotExist:
        return False
    return True


def resource_type_of(model: type[Model]) -> str:
    parent = _parent_field(model)
    if parent:
        return resource_type_of(model._meta.get_field(parent).related_model)
    return str(model._meta.verbose_name).replace(" ", "_").lower()


def resource_types() -> dict[str, list[type[Model]]]:
    """Every resource type, with the registered models whose entries it covers."""
    types: dict[str, list[type[Model]]] = defaultdict(list)
    for model in sorted(auditlog.get_models(), key=lambda m: m._meta.label_lower):
        types[resource_type_of(model)].append(model)
    return dict(sorted(types.items()))


# --- filtering ----------------------------------------------------------------------------


def _uuid(value: str) -> str | None:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None


def _object_pks(model: type[Model], resource_id: str) -> Q:
    """Entries of `model` that belong to the resource with this id, deleted rows included."""
    content_type = ContentType.objects.get_for_model(model)
    parent = _parent_field(model)
    key = _uuid(resource_id)
    if parent:
        parent_model = model._meta.get_field(parent).related_model
        parent_pk = parent_model.objects.filter(public_id=key).values_list("pk", flat=True).first()
        if parent_pk is None:
            return Q(pk__in=[])
        live = model.objects.filter(**{parent: parent_pk}).values_list("pk", flat=True)
        # a deleted child still names its parent in its create and delete entries
        recorded = Q(**{f"changes__{parent}__1": str(parent_pk)}) | Q(
            **{f"changes__{parent}__0": str(parent_pk)}
        )
        return Q(content_type=content_type) & (Q(object_pk__in=[str(pk) for pk in live]) | recorded)
    if _has_public_id(model):
        if key is None:
            return Q(pk__in=[])
        live = model.objects.filter(public_id=key).values_list("pk", flat=True).first()
        created = LogEntry.objects.filter(
            Q(changes__public_id__1=key) | Q(changes__public_id__0=key),
            content_type=content_type,
        ).values_list("object_pk", flat=True)
        pks = {str(live)} if live is not None else set(created[:1])
        return Q(content_type=content_type, object_pk__in=pks)
    return Q(content_type=content_type, object_pk=str(resource_id))


@dataclass(frozen=True)
class AuditFilters:
    resource_type: str | None = None
    resource_id: str | None = None
    starting_on: datetime | None = None  # inclusive
    ending_before: datetime | None = None  # exclusive
    actor: str | None = None  # console only: a username (API tokens: the token's service user)
    # console only: False hides what the system did on its own (no actor: background jobs)
    with_system: bool = True


SYSTEM_ACTOR = "system"  # Who = "system": the entries no person or API token made


def audit_filters_read(data: Any) -> AuditFilters:
    """Filters from query parameters; ApplicationError naming the field at fault."""

    def text(key: str) -> str | None:
        value = data.get(key)
        if value is not None and (problem := text_problem(str(value))):
            raise ApplicationError(f"{key}: {problem}")
        return str(value).strip() or None if value is not None else None

    def moment(key: str) -> datetime | None:
        raw = text(key)
        if raw is None:
            return None
        try:
            parsed = parse_datetime(raw)
        except ValueError:  # well-formed but no such day: 2026-02-30
            parsed = None
        if parsed is None or parsed.tzinfo is None:
            raise ApplicationError(f"{key}: must be an RFC 3339 timestamp with a time zone.")
        if not within_window(parsed):
            raise ApplicationError(f"{key}: {OUTSIDE_WINDOW}")
        return parsed

    resource_type, resource_id = text("resource_type"), text("resource_id")
    if resource_type and not resource_id:
        raise ApplicationError(TOGETHER.format(given="resource_type", missing="resource_id"))
    if resource_id and not resource_type:
        raise ApplicationError(TOGETHER.format(given="resource_id", missing="resource_type"))
    if resource_type and resource_type not in resource_types():
        raise ApplicationError(f"resource_type: must be one of {', '.join(resource_types())}.")
    filters = AuditFilters(
        resource_type, resource_id, moment("starting_on"), moment("ending_before"), text("actor")
    )
    if (
        filters.starting_on
        and filters.ending_before
        and filters.ending_before <= filters.starting_on
    ):
        raise ApplicationError("ending_before: must be after starting_on.")
    return filters


def audit_entries(filters: AuditFilters) -> QuerySet[LogEntry]:
    qs = LogEntry.objects.select_related("actor", "actor__api_token", "content_type")
    models = resource_types()[filters.resource_type] if filters.resource_type else None
    if filters.resource_id:  # the console may look an id up across every type
        condition = Q(pk__in=[])
        for model in models or auditlog.get_models():
            condition |= _object_pks(model, filters.resource_id)
        qs = qs.filter(condition)
    elif models:
        qs = qs.filter(content_type__in=ContentType.objects.get_for_models(*models).values())
    if filters.starting_on:
        qs = qs.filter(timestamp__gte=filters.starting_on)
    if filters.ending_before:
        qs = qs.filter(timestamp__lt=filters.ending_before)
    if filters.actor and filters.actor.lower() == SYSTEM_ACTOR:
        qs = qs.filter(actor__isnull=True)
    elif filters.actor:
        qs = qs.filter(actor__username=filters.actor)
    elif not filters.with_system:
        qs = qs.filter(actor__isnull=False)
    return qs


# --- cursor (keyset on timestamp, pk) --------------------------------------------------------


def cursor_encode(entry: LogEntry) -> str:
    raw = json.dumps([entry.timestamp.isoformat(), entry.pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_after(qs: QuerySet[LogEntry], cursor: str, descending: bool) -> QuerySet[LogEntry]:
    invalid = ApplicationError("next_page: not a valid cursor.")
    try:
        position = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        at, pk = parse_datetime(position[0]), int(position[1])
    except (binascii.Error, ValueError, TypeError, IndexError, KeyError):
        raise invalid from None
    if at is None or at.tzinfo is None or not within_window(at):
        raise invalid
    op = "lt" if descending else "gt"
    return qs.filter(Q(**{f"timestamp__{op}": at}) | Q(timestamp=at, **{f"pk__{op}": pk}))


# --- presentation ----------------------------------------------------------------------------


def _shown(model: type[Model] | None, field: str) -> bool:
    """A column of the row itself, other than a timestamp Django stamps on every save."""
    if model is None:
        return True
    try:
        model_field = model._meta.get_field(field)
    except FieldDoesNotExist:
        return False
    return model_field.concrete and not getattr(model_field, "auto_now", False)


def _null(value: Any) -> Any:
    return None if value == "None" else value


def entry_changes(entry: LogEntry) -> dict[str, list[Any]]:
    """{field: [before, after]} of the model's own columns (auditlog also lists reverse
    relations on create, and `updated_at` moves with every save: neither is news)."""
    model = entry.content_type.model_class()
    return {
        field: [_null(before), _null(after)]
        for field, (before, after) in (entry.changes_dict or {}).items()
        if _shown(model, field)
    }


def _resolve_ids(entries: list[LogEntry]) -> dict[int, str]:
    """Each entry's resource id, fetched per model in one query."""
    by_model: dict[type[Model], list[LogEntry]] = defaultdict(list)
    for entry in entries:
        model = entry.content_type.model_class()
        if model is not None:
            by_model[model].append(entry)
    ids: dict[int, str] = {}
    for model, group in by_model.items():
        parent = _parent_field(model)
        source = (
            f"{parent}__public_id" if parent else "public_id" if _has_public_id(model) else None
        )
        if source is None:
            ids.update({entry.pk: entry.object_pk for entry in group})
            continue
        live = dict(
            model.objects.filter(pk__in=[e.object_pk for e in group]).values_list("pk", source)
        )
        for entry in group:
            found = live.get(int(entry.object_pk)) if entry.object_pk.isdigit() else None
            if found is None and not parent:  # deleted: its create/delete entry kept the id
                before, after = (entry.changes_dict or {}).get("public_id", [None, None])
                found = _null(after) or _null(before)
            ids[entry.pk] = str(found) if found else entry.object_pk
    return ids


def _actor(entry: LogEntry) -> dict[str, Any] | None:
    user = entry.actor
    if user is None:
        return None
    token = getattr(user, "api_token", None)  # the reverse one-to-one raises when absent
    if token is not None:
        return {"id": str(token.public_id), "name": f"API token: {token.name}", "email": None}
    return {
        "id": user.get_username(),
        "name": user.get_full_name() or user.get_username(),
        "email": user.email or entry.actor_email or None,
    }


def _description(entry: LogEntry, changes: dict[str, list[Any]]) -> str:
    model = entry.content_type.model_class()
    what = str(model._meta.verbose_name) if model else entry.content_type.model
    text = f"{VERBS.get(entry.action, 'Changed')} {what} “{entry.object_repr}”"
    if entry.action == LogEntry.Action.UPDATE and changes:
        text += ": " + ", ".join(sorted(changes))
    return text


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def entry_to_wire(entry: LogEntry, resource_id: str) -> dict[str, Any]:
    extra = entry.additional_data if isinstance(entry.additional_data, dict) else {}
    model = entry.content_type.model_class()
    changes = entry_changes(entry)
    return {
        "id": str(uuid.uuid5(ENTRY_NAMESPACE, str(entry.pk))),
        "timestamp": _iso(entry.timestamp),
        "actor": _actor(entry),
        "action": ACTIONS.get(entry.action, "update"),
        "description": _description(entry, changes),
        "request": {
            "id": entry.cid or f"entry-{uuid.uuid5(ENTRY_NAMESPACE, str(entry.pk))}",
            "ip": entry.remote_addr,
            "user_agent": extra.get("user_agent") or None,
        },
        "resource_type": resource_type_of(model) if model else entry.content_type.model,
        "resource_id": resource_id,
        "status": "success",
        # Beyond Metronome's fields: what changed, and through what.
        "changes": changes,
        "via": extra.get("via") or ("system" if entry.actor_id is None else None),
    }


def entries_to_wire(entries: Iterable[LogEntry]) -> list[dict[str, Any]]:
    rows = list(entries)
    ids = _resolve_ids(rows)
    return [entry_to_wire(entry, ids[entry.pk]) for entry in rows]
