"""Putting archived events back (usage.archive_restore, manage.py events_restore): usage that
needs raw events is answered again for the restored dates, to the cent, and nothing is counted
twice (neither in the events nor in the rollups); a file that is not the run's whole file
changes nothing."""

import gzip
from datetime import UTC, datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from billing_console.api import ApplicationError
from invoicing.tests.factories import FEB, JAN, MAR
from usage.archive_restore import events_restore
from usage.models import EventArchive, PendingRollup, UsageEvent
from usage.retention import EventsArchived, events_archive
from usage.rollups import rollups_advance
from usage.services import billable_metric_create
from usage.tests.archive_world import (
    archive_world,  # noqa: F401 (the `world` fixture)
    usage_of,
)

pytestmark = pytest.mark.django_db
APR = datetime(2026, 4, 1, tzinfo=UTC)


def test_restored_events_answer_raw_usage_again_and_count_once(world, tmp_path):
    customer, total, by_sql = world
    ids = dict(UsageEvent.objects.values_list("transaction_id", "id"))
    run = events_archive(before=FEB, out=tmp_path / "jan.jsonl.gz")
    with pytest.raises(EventsArchived):
        usage_of(by_sql, customer, JAN, FEB)

    assert events_restore(run=run, file=tmp_path / "jan.jsonl.gz") == 2

    run.refresh_from_db()
    assert (run.restored_events, run.restored_at is not None) == (2, True)
    assert dict(UsageEvent.objects.values_list("transaction_id", "id")) == ids  # as they were
    assert not PendingRollup.objects.exists()  # the rollups hold them already
    rollups_advance()
    assert usage_of(by_sql, customer, JAN, FEB) == {(): Decimal(12)}
    assert usage_of(total, customer, JAN, FEB) == {(): Decimal(12)}  # not 24
    assert usage_of(by_sql, customer, JAN, MAR + (MAR - FEB)) == {(): Decimal(23)}
    # Restored twice: nothing inserted again.
    first_restored_at = run.restored_at
    assert events_restore(run=run, file=tmp_path / "jan.jsonl.gz") == 0
    run.refresh_from_db()
    assert (run.restored_events, run.restored_at) == (2, first_restored_at)
    assert UsageEvent.objects.count() == 3


def test_the_refusal_lifts_only_where_no_other_run_covers(world, tmp_path):
    customer, _total, by_sql = world
    january = events_archive(before=FEB, out=tmp_path / "jan.jsonl.gz")
    march = events_archive(before=APR, out=tmp_path / "mar.jsonl.gz")
    assert (january.events, march.events, UsageEvent.objects.count()) == (2, 1, 0)

    events_restore(run=march, file=tmp_path / "mar.jsonl.gz")

    assert usage_of(by_sql, customer, FEB, APR) == {(): Decimal(11)}
    with pytest.raises(EventsArchived) as refused:  # January's run still stands
        usage_of(by_sql, customer, JAN, APR)
    assert "before 2026-02-01 00:00 UTC" in refused.value.message


def _write(path, lines: list[str]) -> None:
    with gzip.open(path, "wt", encoding="utf-8") as file:
        file.writelines(line + "\n" for line in lines)


def test_a_file_that_is_not_the_runs_whole_file_changes_nothing(world, tmp_path):
    january = events_archive(before=FEB, out=tmp_path / "jan.jsonl.gz")
    with gzip.open(tmp_path / "jan.jsonl.gz", "rt") as file:
        first, second = file.read().splitlines()
    _write(tmp_path / "short.jsonl.gz", [first])
    _write(tmp_path / "later.jsonl.gz", [first, second.replace("2026-01-20", "2026-02-20")])
    _write(tmp_path / "broken.jsonl.gz", [first, second[:-5]])
    _write(tmp_path / "naive.jsonl.gz", [first, second.replace("12:30:00Z", "12:30:00")])
    (tmp_path / "plain.jsonl").write_text(first + "\n")

    for name, message in [
        ("short.jsonl.gz", "it holds 1 events, run .* archived 2: it is not the run's whole"),
        ("later.jsonl.gz", "line 2 is an event of 2026-02-20 12:30 UTC, not before 2026-02-01"),
        ("broken.jsonl.gz", "line 2 is not an archived event"),
        ("naive.jsonl.gz", "line 2 is not an archived event .'2026-01-20T12:30:00' has no time"),
        ("plain.jsonl", "cannot be read as gzipped JSON lines"),
        ("missing.jsonl.gz", "does not exist"),
    ]:
        with pytest.raises(ApplicationError, match=message):
            events_restore(run=january, file=tmp_path / name)
    assert UsageEvent.objects.count() == 1  # March's only
    assert EventArchive.objects.get().restored_at is None


def test_the_command(world, tmp_path):
    path = tmp_path / "jan.jsonl.gz"
    run = events_archive(before=FEB, out=path)
    out = StringIO()
    call_command("events_restore", "--list", stdout=out)
    call_command("events_restore", "--run", str(run.pk), "--check", stdout=out)
    assert UsageEvent.objects.count() == 1
    call_command("events_restore", "--run", str(run.pk), stdout=out)
    assert out.getvalue() == (
        f"run {run.pk}: before 2026-02-01, 2 events, {path}\n"
        f"{path} holds 2 events of run {run.pk}. It can run.\n"
        f"Restored 2 events of run {run.pk} (before 2026-02-01 00:00 UTC) from {path}; the "
        "others were already there.\n"
    )
    assert UsageEvent.objects.count() == 3
    with pytest.raises(CommandError, match=f"there is no archive run {run.pk + 1} \\(run "):
        call_command("events_restore", "--run", str(run.pk + 1))
    with pytest.raises(CommandError, match="--run: which archive run to restore is required"):
        call_command("events_restore")


def test_the_events_page_says_only_what_is_still_archived(world, tmp_path, client, alice):
    client.force_login(alice)
    january = events_archive(before=FEB, out=tmp_path / "jan.jsonl.gz")
    march = events_archive(before=APR, out=tmp_path / "mar.jsonl.gz")
    page = client.get(reverse("usage:event-list")).content.decode()
    assert "Events before Apr 1, 2026, 00:00 UTC were archived" in page
    events_restore(run=march, file=tmp_path / "mar.jsonl.gz")
    page = client.get(reverse("usage:event-list")).content.decode()
    assert "Events before Feb 1, 2026, 00:00 UTC were archived" in page
    events_restore(run=january, file=tmp_path / "jan.jsonl.gz")
    assert 'id="archived-events"' not in client.get(reverse("usage:event-list")).content.decode()


def test_a_metric_built_while_the_events_were_away_is_rebuilt_with_them(
    world, tmp_path, django_capture_on_commit_callbacks
):
    customer, _total, _sql = world
    run = events_archive(before=FEB, out=tmp_path / "jan.jsonl.gz")
    with django_capture_on_commit_callbacks(execute=True):
        late = billable_metric_create(
            name="late", event_type_filter={"in_values": ["call"]}, aggregation_type="COUNT"
        )
    late.refresh_from_db()
    assert late.rollups_from == FEB
    with pytest.raises(EventsArchived):
        usage_of(late, customer, JAN, FEB)

    with django_capture_on_commit_callbacks(execute=True) as rebuilds:
        events_restore(run=run, file=tmp_path / "jan.jsonl.gz")

    assert len(rebuilds) == 1
    late.refresh_from_db()
    assert (late.rollup_ready, late.rollups_from) == (True, None)
    assert usage_of(late, customer, JAN, FEB) == {(): Decimal(2)}
