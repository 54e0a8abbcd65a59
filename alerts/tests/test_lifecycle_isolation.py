"""One lifecycle notification that cannot be processed never stops the others: it is rolled
back alone, its error is shown on the settings page and retried every pass, and it picks up from
where it stopped once it can. Offsets beyond what a calendar can apply are refused up front."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from alerts.durations import parse_duration
from alerts.lifecycle import notifications_due, offset_notification_create
from alerts.models import OffsetNotification
from alerts.tests.factories import published, spend_world
from billing_console.api import ApplicationError

MAR = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.mark.parametrize("text", ["P101Y", "-P1201M", "P37201D", "P99999999999D", "PT9999999999H"])
def test_offsets_longer_than_a_century_are_refused(text):
    with pytest.raises(ValueError, match="longer than 100 years"):
        parse_duration(text)
    assert parse_duration("-P100Y").months == 1200


@pytest.mark.django_db
def test_a_long_offset_is_refused_naming_the_field():
    with pytest.raises(ApplicationError, match=r"^policy\.offset: 'P2100Y' is longer than"):
        offset_notification_create(
            data={"name": "x", "policy": {"type": "contract.end", "offset": "P2100Y"}},
            created_by="",
        )


@pytest.mark.django_db
def test_a_failing_notification_is_recorded_and_the_others_go_on(client, dave):
    world = spend_world(contract_extra={"ending_before": "2026-03-01T00:00:00Z"})
    with time_machine.travel(datetime(2026, 2, 1, tzinfo=UTC), tick=False):
        good = offset_notification_create(
            data={"name": "Renewal reminder", "policy": {"type": "contract.end", "offset": "-P7D"}},
            created_by="test",
        )
        bad = offset_notification_create(
            data={"name": "Legacy", "policy": {"type": "contract.end", "offset": "-P1D"}},
            created_by="test",
        )
    # Stored before offsets were bounded (applying it would overflow the calendar).
    OffsetNotification.objects.filter(pk=bad.pk).update(offset="-P2100Y")
    before = bad.processed_through

    at = MAR - timedelta(days=7)
    with time_machine.travel(at, tick=False):
        assert notifications_due(now=at) == 1  # the reminder, sent
    [event] = published("contract.end")
    assert event.payload["contract_id"] == str(world.contract.public_id)
    good.refresh_from_db()
    bad.refresh_from_db()
    assert (good.processed_through, good.error) == (at, "")
    assert bad.processed_through == before  # nothing of its pass was kept
    assert bad.error == "ValueError: '-P2100Y' is longer than 100 years."
    assert bad.error_at == at

    client.force_login(dave)
    page = client.get(reverse("alerts:notification-settings")).text
    assert 'Legacy<br><span class="field-error" role="status">Failing since' in page
    assert "retried every minute: ValueError: &#x27;-P2100Y&#x27; is longer than" in page

    minute = at + timedelta(minutes=1)
    with time_machine.travel(minute, tick=False):
        assert notifications_due(now=minute) == 0  # failing still: since the first failure
    bad.refresh_from_db()
    assert (bad.error_at, bad.processed_through) == (at, before)

    OffsetNotification.objects.filter(pk=bad.pk).update(offset="-P1D")  # set right
    later = MAR - timedelta(days=1)
    with time_machine.travel(later, tick=False):
        assert notifications_due(now=later) == 1  # its moment, caught up from where it stopped
    bad.refresh_from_db()
    assert (bad.processed_through, bad.error, bad.error_at) == (later, "", None)
    assert len(published("contract.end")) == 2
