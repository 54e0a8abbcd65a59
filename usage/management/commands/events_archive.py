from datetime import UTC, datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from billing_console.api import ApplicationError
from usage.models import UsageEvent
from usage.retention import archive_refusals, events_archive


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise CommandError(f"--before: '{text}' is not a date (YYYY-MM-DD) or ISO time.") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = (
        "Write the raw usage events with timestamps before a date to a gzipped JSON-lines file "
        "and delete them from the events table. Rollups, invoices and ledgers are kept; usage "
        "before the date that only raw events could answer is refused from then on."
    )

    def add_arguments(self, parser):
        parser.add_argument("--before", required=True, help="YYYY-MM-DD (UTC) or an ISO time.")
        parser.add_argument("--out", help="The file to write (.jsonl.gz); it must not exist.")
        parser.add_argument(
            "--check", action="store_true", help="Only say whether it can run and how much."
        )

    def handle(self, *args, before: str, out: str | None, check: bool, **options):
        moment = _moment(before)
        if check:
            refusals = archive_refusals(moment, timezone.now())
            count = UsageEvent.objects.filter(timestamp__lt=moment).count()
            self.stdout.write(f"{count} events have timestamps before {moment:%Y-%m-%d %H:%M} UTC.")
            for refusal in refusals:
                self.stdout.write(f"Refused: {refusal}")
            if not refusals:
                self.stdout.write("It can run.")
            return
        if not out:
            raise CommandError("--out: the file to write the events to is required.")
        try:
            run = events_archive(before=moment, out=Path(out))
        except ApplicationError as error:
            raise CommandError(error.message) from error
        self.stdout.write(
            f"Archived {run.events} events before {moment:%Y-%m-%d %H:%M} UTC to {run.path}."
        )
        if run.left:
            self.stdout.write(
                f"{run.left} events before it are not rolled up yet and were kept; run again "
                "with another file later to archive them."
            )
