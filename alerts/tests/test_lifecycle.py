"""Lifecycle notifications: offsets found by the beat task at the right moment, exactly once;
write-based system events published when the write commits."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from alerts.durations import parse_duration
from alerts.lifecycle import (
    notifications_due,
    offset_notification_archive,
    offset_notification_create,
    system_notification_set,
)
from alerts.tasks import lifecycle_notifications_due
from alerts.tests.factories import published, spend_world
from billing_console.api import ApplicationError
from contracts.lifecycle import contract_update_end_date

MAR = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "moment", "expected"),
    [
        ("P7D", "2026-03-01T00:00:00", "2026-03-08T00:00:00"),
        ("-P7D", "2026-03-01T00:00:00", "2026-02-22T00:00:00"),
        ("-PT2H", "2026-03-01T00:00:00", "2026-02-28T22:00:00"),
        ("P1M", "2026-01-31T00:00:00", "2026-02-28T00:00:00"),
        ("-P1Y2M3DT4H5M6S", "2026-05-10T12:00:00", "2025-03-07T07:54:54"),
        ("P2W", "2026-01-01T00:00:00", "2026-01-15T00:00:00"),
        ("+PT30M", "2026-01-01T00:00:00", "2026-01-01T00:30:00"),
    ],
)
def test_durations_apply_calendar_months_and_signs(text, moment, expected):
    at = datetime.fromisoformat(moment).replace(tzinfo=UTC)
    assert parse_duration(text).apply(at) == datetime.fromisoformat(expected).replace(tzinfo=UTC)


@pytest.mark.parametrize("text", ["", "P", "7D", "PT", "P1.5D", "-P-1D", "P1H", "bogus"])
def test_invalid_durations_are_refused(text):
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.django_db
def test_contract_end_minus_7_days_fires_at_the_right_moment_exactly_once():
    world = spend_world(contract_extra={"ending_before": "2026-03-01T00:00:00Z"})
    with time_machine.travel(datetime(2026, 2, 1, tzinfo=UTC), tick=False):
        notification = offset_notification_create(
            data={"name": "Renewal reminder", "policy": {"type": "contract.end", "offset": "-P7D"}},
            created_by="test",
        )
    with time_machine.travel(MAR - timedelta(days=7, seconds=1), tick=False):
        assert lifecycle_notifications_due() == 0
    assert published() == []
    with time_machine.travel(MAR - timedelta(days=7), tick=False):
        assert lifecycle_notifications_due() == 1
        assert lifecycle_notifications_due() == 0  # the beat task running twice
    with time_machine.travel(MAR + timedelta(days=1), tick=False):
        assert lifecycle_notifications_due() == 0
    [event] = published()
    assert event.type == "contract.end"
    assert event.payload["contract_id"] == str(world.contract.public_id)
    assert event.payload["customer_id"] == str(world.customer.public_id)
    assert event.payload["timestamp"] == "2026-03-01T00:00:00Z"  # the moment, not the offset
    assert event.payload["offset_id"] == str(notification.public_id)
    assert event.payload["offset_duration"] == "-P7D"


@pytest.mark.django_db
def test_a_run_missed_by_the_beat_is_caught_up_and_a_replayed_window_publishes_nothing():
    world = spend_world(contract_extra={"ending_before": "2026-03-01T00:00:00Z"})
    with time_machine.travel(datetime(2026, 2, 1, tzinfo=UTC), tick=False):
        notification = offset_notification_create(
            data={"name": "Ended", "policy": {"type": "contract.end", "offset": "PT0S"}},
            created_by="test",
        )
    with time_machine.travel(MAR + timedelta(hours=5), tick=False):  # worker was down for hours
        assert notifications_due(now=MAR + timedelta(hours=5)) == 1
    # Even if the pointer were lost and the window replayed, the event key is already used.
    notification.refresh_from_db()
    notification.processed_through = datetime(2026, 2, 1, tzinfo=UTC)
    notification.save()
    assert notifications_due(now=MAR + timedelta(hours=6)) == 1  # found again...
    assert len(published("contract.end")) == 1  # ...but published once
    assert world.contract.public_id


@pytest.mark.django_db
def test_offsets_never_fire_for_moments_already_past_and_stop_when_archived():
    spend_world(contract_extra={"ending_before": "2026-03-01T00:00:00Z"})
    with time_machine.travel(MAR - timedelta(days=2), tick=False):  # the -7d moment has passed
        offset_notification_create(
            data={"name": "Late", "policy": {"type": "contract.end", "offset": "-P7D"}},
            created_by="test",
        )
        archived = offset_notification_create(
            data={"name": "Archived", "policy": {"type": "contract.end", "offset": "P1D"}},
            created_by="test",
        )
        offset_notification_archive(notification=archived)
    with time_machine.travel(MAR + timedelta(days=3), tick=False):
        assert lifecycle_notifications_due() == 0
    assert published() == []


@pytest.mark.django_db
def test_credit_expiring_and_a_moved_end_date():
    from billing_console.wire import Reader
    from contracts.terms.create import commit_create_from_wire

    world = spend_world()
    with time_machine.travel(datetime(2026, 1, 10, tzinfo=UTC), tick=False):
        credit = commit_create_from_wire(
            Reader({"product_id": str(world.product.public_id), "priority": 1, "name": "Trial",
                    "access_schedule": {"schedule_items": [{"amount": 500, "starting_at": "2026-01-01T00:00:00Z",
                                                            "ending_before": "2026-02-01T00:00:00Z"}]}}),
            customer=world.customer, contract=world.contract, kind="CREDIT",
        )  # fmt: skip
        offset_notification_create(
            data={"name": "Trial credit expiring", "policy": {"type": "credit.segment.end", "offset": "-P3D"}},
            created_by="test",
        )  # fmt: skip
        end = offset_notification_create(
            data={"name": "Contract over", "policy": {"type": "contract.end", "offset": "PT0S"}},
            created_by="test",
        )
    with time_machine.travel(datetime(2026, 1, 29, tzinfo=UTC), tick=False):
        assert lifecycle_notifications_due() == 1
        contract_update_end_date(
            contract=world.contract, ending_before=datetime(2026, 2, 10, tzinfo=UTC)
        )
    with time_machine.travel(datetime(2026, 2, 10, tzinfo=UTC), tick=False):
        assert lifecycle_notifications_due() == 1
    expiring, ended = published()
    assert expiring.type == "credit.segment.end"
    assert expiring.payload["credit_id"] == str(credit.public_id)
    assert (expiring.payload["segment_number"], expiring.payload["total_segments"]) == (1, 1)
    assert ended.type == "contract.end" and ended.payload["offset_id"] == str(end.public_id)


@pytest.mark.django_db(transaction=True)
def test_write_based_system_events_publish_when_enabled():
    system_notification_set(event_type="contract.create", is_enabled=True)
    system_notification_set(event_type="credit.create", is_enabled=True)
    world = spend_world()  # contract created after contract.create was turned on
    assert [e.type for e in published()] == ["contract.create"]
    assert published()[0].payload["contract_id"] == str(world.contract.public_id)
    system_notification_set(event_type="contract.create", is_enabled=False)
    from contracts.services import contract_create

    contract_create(customer=world.customer, data={"starting_at": "2026-06-01T00:00:00Z"})
    assert len(published("contract.create")) == 1


@pytest.mark.django_db
def test_unknown_types_and_bad_offsets_are_refused_naming_the_field():
    with pytest.raises(ApplicationError, match=r"^policy\.type: 'invoice.paid' is not"):
        offset_notification_create(
            data={"name": "x", "policy": {"type": "invoice.paid", "offset": "P1D"}}, created_by=""
        )
    with pytest.raises(ApplicationError, match=r"^policy\.offset: '7 days' is not"):
        offset_notification_create(
            data={"name": "x", "policy": {"type": "contract.end", "offset": "7 days"}},
            created_by="",
        )
