from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from billing_console.api import ApplicationError
from usage.archive_restore import events_restore, restore_check
from usage.models import EventArchive


def _runs() -> str:
    runs = EventArchive.objects.order_by("pk")
    return (
        "; ".join(
            f"run {run.pk}: before {run.before:%Y-%m-%d}, {run.events} events, {run.path}"
            + (f" (restored {run.restored_at:%Y-%m-%d})" if run.restored_at else "")
            for run in runs
        )
        or "none"
    )


class Command(BaseCommand):
    help = (
        "Put the raw events an events_archive run wrote back into the events table (with their "
        "ids, not counted again in the rollups), so usage that needs raw events can be computed "
        "for those dates again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--run", type=int, help="The archive run (its number: --list).")
        parser.add_argument("--file", help="The run's file (default: where the run wrote it).")
        parser.add_argument(
            "--list", action="store_true", dest="list_runs", help="List the archive runs."
        )
        parser.add_argument(
            "--check", action="store_true", help="Only read and check the file; write nothing."
        )

    def handle(self, *args, run, file, list_runs, check, **options):
        if list_runs:
            self.stdout.write(_runs())
            return
        if run is None:
            raise CommandError(f"--run: which archive run to restore is required ({_runs()}).")
        archive = EventArchive.objects.filter(pk=run).first()
        if archive is None:
            raise CommandError(f"--run: there is no archive run {run} ({_runs()}).")
        path = Path(file or archive.path)
        try:
            if check:
                count = restore_check(run=archive, file=path)
                self.stdout.write(f"{path} holds {count} events of run {run}. It can run.")
                return
            inserted = events_restore(run=archive, file=path)
        except ApplicationError as error:
            raise CommandError(error.message) from error
        self.stdout.write(
            f"Restored {inserted} events of run {run} (before "
            f"{archive.before:%Y-%m-%d %H:%M} UTC) from {path}; the others were already there."
        )
