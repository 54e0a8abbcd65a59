"""Named schedules: a time series of arbitrary JSON values, keyed by name, on a rate card, a
contract or a customer (Metronome's getNamedSchedule / updateNamedSchedule).

Each owning app has a concrete model on `NamedScheduleSegment` with a foreign key to its owner;
the writes and reads here take that model and the owner. A schedule is a set of segments
[starting_at, ending_before) that never overlap; an update writes one segment and overwrites
whatever the schedule held over that window, splitting a segment that reaches past either end.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.db.models import Q

if TYPE_CHECKING:  # models import this module; the wire Reader pulls in DRF
    from billing_console.wire import Reader

MAX_VALUE_BYTES = 100_000  # a schedule value is configuration, not a data store


class NamedScheduleSegment(models.Model):
    schedule_name = models.CharField(max_length=200)
    # Contracts qualify a schedule with properties ({"region": "eu"}); {} elsewhere.
    properties = models.JSONField(default=dict, blank=True)
    starting_at = models.DateTimeField()
    ending_before = models.DateTimeField(null=True, blank=True)  # exclusive; null = open-ended
    value = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["schedule_name", "starting_at", "pk"]


def _covering(qs: models.QuerySet, at: datetime) -> models.QuerySet:
    return qs.filter(starting_at__lte=at).filter(
        Q(ending_before__isnull=True) | Q(ending_before__gt=at)
    )


def named_schedule_segments(
    model: type[NamedScheduleSegment],
    *,
    owner: dict[str, Any],
    schedule_name: str,
    properties: dict[str, str] | None = None,
    covering_date: datetime | None = None,
) -> list[NamedScheduleSegment]:
    """The schedule's segments in time order; with `covering_date`, the one covering it."""
    qs = model.objects.filter(**owner, schedule_name=schedule_name)
    if properties is not None:
        qs = qs.filter(properties=properties)
    if covering_date is not None:
        qs = _covering(qs, covering_date)
    return list(qs.order_by("starting_at", "pk"))


@transaction.atomic
def named_schedule_update(
    model: type[NamedScheduleSegment],
    *,
    owner: dict[str, Any],
    schedule_name: str,
    starting_at: datetime,
    ending_before: datetime | None,
    value: Any,
    properties: dict[str, str] | None = None,
) -> NamedScheduleSegment:
    """Set the schedule to `value` over [starting_at, ending_before), overwriting what it held
    there. Segments are trimmed with save() and removed with delete(), so the audit log shows
    every change."""
    properties = properties or {}
    same = model.objects.select_for_update().filter(
        **owner, schedule_name=schedule_name, properties=properties
    )
    overlapping = same.filter(Q(ending_before__isnull=True) | Q(ending_before__gt=starting_at))
    if ending_before is not None:
        overlapping = overlapping.filter(starting_at__lt=ending_before)
    for segment in list(overlapping.order_by("starting_at", "pk")):
        _carve(segment, starting_at, ending_before)
    return model.objects.create(
        **owner,
        schedule_name=schedule_name,
        properties=properties,
        starting_at=starting_at,
        ending_before=ending_before,
        value=value,
    )


def _carve(segment: NamedScheduleSegment, start: datetime, end: datetime | None) -> None:
    """Remove [start, end) from `segment`: keep what lies before and after it."""
    keeps_head = segment.starting_at < start
    keeps_tail = end is not None and (segment.ending_before is None or segment.ending_before > end)
    if keeps_head and keeps_tail:  # split in two: the head stays, the tail is a copy
        tail_end = segment.ending_before
        segment.ending_before = start
        segment.save(update_fields=["ending_before", "updated_at"])
        segment.pk = None
        segment._state.adding = True
        segment.starting_at, segment.ending_before = end, tail_end
        segment.save()
    elif keeps_head:
        segment.ending_before = start
        segment.save(update_fields=["ending_before", "updated_at"])
    elif keeps_tail:
        segment.starting_at = end
        segment.save(update_fields=["starting_at", "updated_at"])
    else:
        segment.delete()


# -- wire ------------------------------------------------------------------------------------


def named_schedule_input(reader: Reader, *, with_properties: bool = False) -> dict[str, Any]:
    """updateNamedSchedule's body: schedule_name, starting_at, ending_before?, value,
    properties? (contracts)."""
    import json

    start = reader.datetime("starting_at", required=True)
    end = reader.datetime("ending_before")
    if end is not None and end <= start:  # type: ignore[operator]
        raise reader.fail("ending_before", "must be after starting_at.")
    if "value" not in reader.data or reader.data["value"] is None:
        raise reader.fail("value", "is required.")
    if len(json.dumps(reader.data["value"])) > MAX_VALUE_BYTES:
        raise reader.fail("value", f"must be at most {MAX_VALUE_BYTES} bytes of JSON.")
    data: dict[str, Any] = {
        "schedule_name": _name(reader),
        "starting_at": start,
        "ending_before": end,
        "value": reader.data["value"],
    }
    if with_properties:
        data["properties"] = reader.str_map("properties")
    return data


def _name(reader: Reader) -> str:
    return reader.str("schedule_name", required=True, max_length=200)


def named_schedule_query(reader: Reader, *, with_properties: bool = False) -> dict[str, Any]:
    """getNamedSchedule's body: schedule_name, covering_date?, properties? (contracts)."""
    data: dict[str, Any] = {
        "schedule_name": _name(reader),
        "covering_date": reader.datetime("covering_date"),
    }
    if with_properties:
        data["properties"] = reader.str_map("properties")
    return data


def segment_to_wire(segment: NamedScheduleSegment) -> dict[str, Any]:
    def iso(value: datetime | None) -> str | None:
        return value.isoformat().replace("+00:00", "Z") if value else None

    return {
        "starting_at": iso(segment.starting_at),
        "ending_before": iso(segment.ending_before),
        "value": segment.value,
    }
