"""What the audit log does not record: the system's own bookkeeping (a beat task's progress
cursor, a heartbeat, a rollup flag) and saves that change nothing ("300.000000000000 → 300")."""

from datetime import timedelta
from decimal import Decimal
from importlib import import_module
from zoneinfo import ZoneInfo

import pytest
import time_machine
from auditlog.models import LogEntry
from django.conf import settings

from alerts.lifecycle import offset_notification_create, system_notification_set
from billing_console.audit_noise import meaningful_changes, same_value
from contracts.models import Contract
from invoicing.tests.factories import send_calls
from pricing.models import Rate
from reports.tests.overview_world import NOW, acme_world


def _run_beat_schedule() -> None:
    """Every periodic task the beat schedule names, once (as a worker would run it)."""
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        module, name = entry["task"].rsplit(".", 1)
        getattr(import_module(module), name)()


@pytest.fixture
def busy_world(db):
    """Acme with usage, an alert, a draft statement, lifecycle notifications switched on, and
    one pass of every periodic task behind it (what it first issues is real work)."""
    with time_machine.travel(NOW, tick=False):
        world = acme_world()
        offset_notification_create(
            data={
                "name": "Renewal reminder",
                "policy": {"type": "contract.end", "offset": "-P30D"},
            },
            created_by="ops",
        )
        system_notification_set(event_type="contract.start", is_enabled=True)
        _run_beat_schedule()
    return world


def test_a_day_of_background_work_adds_no_audit_entry(busy_world):
    before = LogEntry.objects.count()
    moment = NOW
    with time_machine.travel(moment, tick=False) as clock:
        for _ in range(24 * 4):  # every task every 15 minutes, for a day
            moment += timedelta(minutes=15)
            clock.move_to(moment)
            _run_beat_schedule()
    new = LogEntry.objects.filter(pk__gt=0).order_by("pk")[before:]
    assert [(e.content_type.model, e.changes) for e in new] == []


def test_usage_arriving_moves_only_what_finance_reads(busy_world):
    """Events arriving during the day change the draft statement: that is a system change
    (kept, hidden by default), never a cursor or a stamp."""
    before = LogEntry.objects.count()
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        send_calls(3, NOW)
        _run_beat_schedule()
    fields = {f for e in LogEntry.objects.order_by("pk")[before:] for f in e.changes_dict}
    assert not fields & {"processed_through", "updated_at", "computed_at", "rollup_ready"}


def test_a_save_that_changes_nothing_adds_no_entry(db):
    world = acme_world()
    contract = Contract.objects.get(pk=world.world.contract.pk)
    contract.custom_fields = {"region": "eu", "tier": "gold"}
    contract.save()
    rate = Rate.objects.filter(price__isnull=False).first()
    before = LogEntry.objects.count()
    rate.price = Decimal("2500")  # stored as 2500.000000000000
    rate.save()
    contract.starting_at = contract.starting_at.astimezone(ZoneInfo("Europe/Berlin"))
    contract.custom_fields = {"tier": "gold", "region": "eu"}
    contract.save()
    assert [
        (e.content_type.model, e.changes) for e in LogEntry.objects.order_by("pk")[before:]
    ] == []


@pytest.mark.parametrize(
    ("field", "before", "after", "same"),
    [
        (Rate._meta.get_field("price"), "300.000000000000", "300", True),
        (Rate._meta.get_field("price"), "300.000000000000", "300.5", False),
        (
            Rate._meta.get_field("starting_at"),
            "2027-06-01 00:00:00",
            "2027-06-01T00:00:00+00:00",
            True,
        ),
        (Rate._meta.get_field("starting_at"), "2027-06-01 00:00:00", "2027-03-01 00:00:00", False),
        (Rate._meta.get_field("tiers"), '{"a": 1, "b": [2.0]}', '{"b": [2], "a": 1}', True),
        (Rate._meta.get_field("tiers"), '{"a": 1}', '{"a": 2}', False),
        (Contract._meta.get_field("name"), "01", "1", False),  # text is compared as text
        (Contract._meta.get_field("name"), "None", None, True),
    ],
)
def test_values_written_two_ways_are_one_value(field, before, after, same):
    assert same_value(field, before, after) is same


def test_a_real_change_keeps_only_its_real_pairs():
    changes = {
        "price": ["300.000000000000", "300"],
        "name": ["Old", "New"],
        "updated_at": ["2026-01-01 00:00:00", "2026-01-02 00:00:00"],
    }
    assert meaningful_changes(Rate, changes) == {"name": ["Old", "New"]}
