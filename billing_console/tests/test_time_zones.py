"""One date format with the year; timestamps in the user's time zone (UTC by default), billing
dates never shifted; ISO durations in words."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from billing_console.lib.duration_text import duration_words
from billing_console.lib.time_text import day_text, moment_text
from billing_console.models import ConsoleProfile
from billing_console.time_zones import user_time_zone_set

NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (date(2026, 12, 4), "Dec 4, 2026"),
        (datetime(2026, 1, 1, tzinfo=UTC), "Jan 1, 2026"),
        (datetime(2026, 1, 1, 15, 0, tzinfo=UTC), "Jan 1, 2026, 15:00 UTC"),
        # midnight UTC seen from New York is still the UTC date: a billing date does not move
        (datetime(2026, 1, 1, tzinfo=UTC).astimezone(NEW_YORK), "Jan 1, 2026"),
        (datetime(2026, 1, 1), "Jan 1, 2026"),  # naive: UTC
    ],
)
def test_day_text(value, text):
    assert day_text(value) == text


@pytest.mark.parametrize(
    ("zone", "text"),
    [
        ("UTC", "Jan 1, 2026, 03:30 UTC"),
        ("America/New_York", "Dec 31, 2025, 22:30 EST"),
        ("Europe/Berlin", "Jan 1, 2026, 04:30 CET"),
        ("Asia/Kolkata", "Jan 1, 2026, 09:00 IST"),
    ],
)
def test_moment_text_in_the_zone(zone, text):
    assert moment_text(datetime(2026, 1, 1, 3, 30, tzinfo=UTC), ZoneInfo(zone)) == text


def test_moment_text_seconds_and_summer_time():
    at = datetime(2026, 7, 4, 12, 0, 5, tzinfo=UTC)
    assert moment_text(at, NEW_YORK, seconds=True) == "Jul 4, 2026, 08:00:05 EDT"


@pytest.mark.parametrize(
    ("text", "offset", "words"),
    [
        ("P7D", False, "7 days"),
        ("P1D", False, "1 day"),
        ("PT36H", False, "36 hours"),
        ("P1Y2M", False, "1 year 2 months"),
        ("P2W", False, "2 weeks"),
        ("PT1H30M", False, "1 hour 30 minutes"),
        ("-P7D", True, "7 days before"),
        ("P7D", True, "7 days after"),
        ("-PT2H", True, "2 hours before"),
        ("PT0S", True, "at the moment"),
        ("-P7D", False, "minus 7 days"),
        ("not a duration", False, "not a duration"),
        (None, False, ""),
    ],
)
def test_duration_words(text, offset, words):
    assert duration_words(text, offset=offset) == words


def test_time_zone_set_refuses_unknown_names(alice):
    from billing_console.api import ApplicationError

    with pytest.raises(ApplicationError) as err:
        user_time_zone_set(user=alice, time_zone="Mars/Olympus")
    assert err.value.message.startswith("time_zone:")
    user_time_zone_set(user=alice, time_zone="Europe/Berlin")
    assert ConsoleProfile.objects.get(user=alice).time_zone == "Europe/Berlin"


def test_profile_page_sets_the_time_zone(client, bob):
    client.force_login(bob)  # read-only users choose their own time zone too
    page = client.get("/settings/profile/")
    assert page.status_code == 200
    assert '<option value="UTC" selected>' in page.content.decode()
    bad = client.post("/settings/profile/", {"time_zone": "Nowhere/Town"})
    assert bad.status_code == 422
    ok = client.post("/settings/profile/", {"time_zone": "America/New_York"})
    assert ok.status_code == 302
    assert ConsoleProfile.objects.get(user=bob).time_zone == "America/New_York"
    assert (
        "EST" in client.get("/settings/profile/").content.decode()
        or "EDT" in client.get("/settings/profile/").content.decode()
    )


@pytest.mark.django_db
def test_new_york_user_sees_timestamps_shifted_and_billing_dates_unchanged(client, fiona):
    from auditlog.models import LogEntry

    from embeds.tests.worlds import two_customers

    world = two_customers()
    customer = world.a.customer
    customer.created_at = datetime(2026, 1, 1, 3, 30, tzinfo=UTC)
    customer.save(update_fields=["created_at"])
    entry = LogEntry.objects.order_by("-pk").first()  # a person's change, shown by default
    LogEntry.objects.filter(pk=entry.pk).update(
        timestamp=datetime(2026, 1, 1, 3, 30, tzinfo=UTC), actor=fiona
    )
    start = world.a_invoice.period_start
    assert (start.hour, start.minute) == (0, 0)  # a billing date: midnight UTC
    period = day_text(start)

    client.force_login(fiona)
    utc_page = client.get(f"/customers/{customer.public_id}/").content.decode()
    assert "Jan 1, 2026, 03:30 UTC" in utc_page and period in utc_page

    user_time_zone_set(user=fiona, time_zone="America/New_York")
    client.logout()
    client.force_login(fiona)  # a new session reads the new zone
    page = client.get(f"/customers/{customer.public_id}/").content.decode()
    assert "Dec 31, 2025, 22:30 EST" in page
    assert "03:30 UTC" not in page
    assert period in page  # the invoice period did not move a day back

    audit = client.get("/audit-log/").content.decode()
    assert "Dec 31, 2025, 22:30 EST" in audit
    assert timezone.get_current_timezone_name() == "UTC"  # deactivated after the request


def test_a_billing_period_is_written_by_its_last_day():
    from datetime import UTC, datetime

    from billing_console.lib.time_text import period_text

    def at(*args):
        return datetime(*args, tzinfo=UTC)

    assert period_text(at(2026, 1, 1), at(2026, 2, 1)) == "Jan 1 \u2013 Jan 31, 2026"
    assert period_text(at(2025, 12, 15), at(2026, 1, 15)) == "Dec 15, 2025 \u2013 Jan 14, 2026"
    assert period_text(at(2026, 1, 1), at(2026, 1, 2)) == "Jan 1, 2026"  # one day
    assert period_text(at(2026, 1, 1), at(2026, 1, 15, 10, 30)) == (
        "Jan 1, 2026 \u2013 Jan 15, 2026, 10:30 UTC"  # cut mid-day: the moment it stops
    )
