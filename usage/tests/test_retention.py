"""Retiring raw events (usage.retention, manage.py events_archive): what rollups hold is still
billed and answered to the cent; what only raw events could answer is refused, naming the metric
and the date; nothing not yet rolled up is archived; a run that could lose anything is refused."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from billing_console.api import ApplicationError
from invoicing.tests.factories import FEB, JAN, MAR, priced_world, send_calls
from usage.batch_usage import UsageAsk, metric_usage_many
from usage.models import EventArchive, UsageEvent
from usage.retention import EventsArchived, archive_rows, events_archive
from usage.rollups import rollups_advance
from usage.selectors import metric_usage
from usage.services import billable_metric_create
from usage.tests.archive_world import archive_world  # noqa: F401 (the `world` fixture)
from usage.tests.archive_world import event_at as _event
from usage.tests.archive_world import send as _send
from usage.tests.archive_world import usage_of as _usage

pytestmark = pytest.mark.django_db


def test_rolled_up_usage_stays_and_raw_only_usage_is_refused(world, tmp_path):
    customer, total, by_sql = world
    assert (
        _usage(total, customer, JAN, FEB) == _usage(by_sql, customer, JAN, FEB) == {(): Decimal(12)}
    )
    run = events_archive(before=FEB, out=tmp_path / "2026-01.jsonl.gz")

    assert (run.events, run.left, run.finished_at is not None) == (2, 0, True)
    rows = list(archive_rows(tmp_path / "2026-01.jsonl.gz"))
    assert [(r["transaction_id"], r["timestamp"], r["properties"]) for r in rows] == [
        ("j1", "2026-01-05T10:15:00Z", {"v": 7}),
        ("j2", "2026-01-20T12:30:00Z", {"v": 5}),
    ]
    assert list(UsageEvent.objects.values_list("transaction_id", flat=True)) == ["m1"]

    assert _usage(total, customer, JAN, FEB) == {(): Decimal(12)}  # from its rollups
    assert _usage(by_sql, customer, MAR, MAR + timedelta(days=7)) == {(): Decimal(11)}
    with pytest.raises(EventsArchived) as refused:
        _usage(by_sql, customer, JAN, FEB)
    assert refused.value.message == (
        "usage of billable metric 'sql value' before 2026-02-01 00:00 UTC cannot be computed: "
        "the raw events it needs were archived (manage.py events_archive)."
    )
    with pytest.raises(EventsArchived):  # a partial hour is read from raw events
        _usage(total, customer, datetime(2026, 1, 5, 10, 30, tzinfo=UTC), FEB)
    with pytest.raises(EventsArchived):  # a key the rollups do not hold
        metric_usage(metric=total, customer=customer, starting_at=JAN, ending_before=FEB,
                     group_by=["region"])  # fmt: skip
    many = metric_usage_many(customer=customer, asks=[UsageAsk(total, JAN, FEB)])
    assert list(many.values()) == [{(): Decimal(12)}]
    with pytest.raises(EventsArchived):
        metric_usage_many(customer=customer, asks=[UsageAsk(by_sql, JAN, FEB)])


def test_a_metric_built_after_the_archive_refuses_what_its_rollups_lack(
    world, tmp_path, django_capture_on_commit_callbacks
):
    customer, _total, _sql = world
    events_archive(before=FEB, out=tmp_path / "a.jsonl.gz")
    with django_capture_on_commit_callbacks(execute=True):
        late = billable_metric_create(
            name="late", event_type_filter={"in_values": ["call"]}, aggregation_type="COUNT"
        )
    late.refresh_from_db()
    assert (late.rollup_ready, late.rollups_from) == (True, FEB)
    assert _usage(late, customer, MAR, MAR + timedelta(days=7)) == {(): Decimal(1)}
    with pytest.raises(EventsArchived) as refused:
        _usage(late, customer, JAN, MAR)
    assert "its rollups were built after older events were archived" in refused.value.message


def test_events_not_rolled_up_yet_are_kept(world, tmp_path):
    customer, total, _sql = world
    _send(_event("late", datetime(2026, 1, 9, 8, tzinfo=UTC), 100))  # the rollup job is behind
    run = events_archive(before=FEB, out=tmp_path / "a.jsonl.gz")
    assert (run.events, run.left) == (2, 1)
    assert UsageEvent.objects.filter(transaction_id="late").exists()
    rollups_advance()
    assert _usage(total, customer, JAN, FEB) == {(): Decimal(112)}


def test_refused_while_anything_could_still_need_the_events(tmp_path):
    world = priced_world()
    send_calls(3, datetime(2026, 1, 5, tzinfo=UTC))
    from billing_console.lib.periods import Period
    from invoicing.services import invoice_compute_usage
    from usage.models import BillableMetric

    invoice_compute_usage(contract=world.contract, period=Period(JAN, FEB))  # a draft of January
    BillableMetric.objects.update(rollup_ready=False)
    recent = timezone.now() - timedelta(days=10)
    with pytest.raises(ApplicationError) as refused:
        events_archive(before=max(FEB, recent), out=tmp_path / "a.jsonl.gz")
    message = refused.value.message
    assert "draft invoice(s) cover periods that begin before it (the oldest from 2026-01-01)" in (
        message
    )
    assert "rollups of calls are not built yet" in message
    assert "events of the last 35 days are kept" in message
    assert not EventArchive.objects.exists() and UsageEvent.objects.count() == 3
    assert not (tmp_path / "a.jsonl.gz").exists()


def test_the_command(world, tmp_path):
    out = StringIO()
    call_command("events_archive", "--before", "2026-02-01", "--check", stdout=out)
    assert out.getvalue() == "2 events have timestamps before 2026-02-01 00:00 UTC.\nIt can run.\n"
    path = tmp_path / "jan.jsonl.gz"
    call_command("events_archive", "--before", "2026-02-01", "--out", str(path), stdout=out)
    assert f"Archived 2 events before 2026-02-01 00:00 UTC to {path}." in out.getvalue()
    with pytest.raises(CommandError, match="never overwrites"):  # March's event is left
        call_command("events_archive", "--before", "2026-04-01", "--out", str(path))
    assert UsageEvent.objects.count() == 1
    with pytest.raises(CommandError, match="not a date"):
        call_command("events_archive", "--before", "February", "--out", str(path))


def test_the_usage_api_names_what_was_archived(world, tmp_path, api):
    events_archive(before=FEB, out=tmp_path / "a.jsonl.gz")
    body = {"starting_on": "2026-01-01T00:00:00Z", "ending_before": "2026-02-01T00:00:00Z",
            "window_size": "DAY"}  # fmt: skip
    response = api.post("/v1/usage", body, format="json")
    assert (response.status_code, response.json()) == (400, {"message": (
        "usage of billable metric 'sql value' before 2026-02-01 00:00 UTC cannot be computed: "
        "the raw events it needs were archived (manage.py events_archive).")})  # fmt: skip
    _customer, total, _sql = world
    body["billable_metrics"] = [{"id": str(total.public_id)}]
    response = api.post("/v1/usage", body, format="json")
    assert response.status_code == 200
    values = {row["start_timestamp"][:10]: row["value"] for row in response.json()["data"]}
    assert (values["2026-01-05"], values["2026-01-20"], values["2026-01-06"]) == (7, 5, 0)


def test_a_file_it_cannot_write_changes_nothing(world, tmp_path):
    with pytest.raises(ApplicationError, match="out: the folder .* does not exist"):
        events_archive(before=FEB, out=tmp_path / "missing" / "a.jsonl.gz")
    assert not EventArchive.objects.exists() and UsageEvent.objects.count() == 3


def test_the_command_for_a_monthly_cron(world, tmp_path):
    out = StringIO()
    with time_machine.travel(datetime(2026, 4, 20, tzinfo=UTC), tick=False):
        call_command("events_archive", "--keep-months", "2", "--out", str(tmp_path), stdout=out)
        call_command("events_archive", "--keep-months", "2", "--out", str(tmp_path), stdout=out)
        with pytest.raises(CommandError, match="keep at least 2 months"):
            call_command("events_archive", "--keep-months", "1", "--out", str(tmp_path))
    path = tmp_path / "events-before-2026-02-01.jsonl.gz"
    assert out.getvalue() == (
        f"Archived 2 events before 2026-02-01 00:00 UTC to {path}.\n"
        "Nothing to archive: no event before 2026-02-01 00:00 UTC is left.\n"
    )
    assert [row["transaction_id"] for row in archive_rows(path)] == ["j1", "j2"]
