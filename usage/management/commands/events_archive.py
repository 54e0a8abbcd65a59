from datetime import UTC, datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from billing_console.api import ApplicationError
from billing_console.lib.periods import add_months
from usage.models import UsageEvent
from usage.retention import archive_refusals, events_archive


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise CommandError(f"--before: '{text}' is not a date (YYYY-MM-DD) or ISO time.") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _months_ago(months: int, now: datetime) -> datetime:
    """The first instant of the UTC month `months` before the current one."""
    if months < 2:
        raise CommandError("--keep-months: keep at least 2 months (the last 35 days always stay).")
    month = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return add_months(month, -months)


class Command(BaseCommand):
    help = (
        "Write the raw usage events with timestamps before a date to a gzipped JSON-lines file "
        "and delete them from the events table. Rollups, invoices and ledgers are kept; usage "
        "before the date that only raw events could answer is refused from then on."
    )

    def add_arguments(self, parser):
        when = parser.add_mutually_exclusive_group(required=True)
        when.add_argument("--before", help="YYYY-MM-DD (UTC) or an ISO time.")
        when.add_argument(
            "--keep-months", type=int,
            help="Archive what is before the month N months before this one (for a monthly cron).",
        )  # fmt: skip
        parser.add_argument(
            "--out", help="The file to write (.jsonl.gz; it must not exist), or a folder to write "
            "events-before-DATE.jsonl.gz in.",
        )  # fmt: skip
        parser.add_argument(
            "--check", action="store_true", help="Only say whether it can run and how much."
        )

    def handle(self, *args, before, keep_months, out, check, **options):
        now = timezone.now()
        moment = _moment(before) if before else _months_ago(keep_months, now)
        stamp = f"{moment:%Y-%m-%d %H:%M} UTC"
        count = UsageEvent.objects.filter(timestamp__lt=moment).count()
        if check:
            refusals = archive_refusals(moment, now)
            self.stdout.write(f"{count} events have timestamps before {stamp}.")
            for refusal in refusals:
                self.stdout.write(f"Refused: {refusal}")
            if not refusals:
                self.stdout.write("It can run.")
            return
        if not out:
            raise CommandError("--out: the file (or folder) to write the events to is required.")
        if count == 0:  # a monthly cron's second run, or nothing that old
            self.stdout.write(f"Nothing to archive: no event before {stamp} is left.")
            return
        path = Path(out)
        if path.is_dir():
            path /= f"events-before-{moment:%Y-%m-%d}.jsonl.gz"
        try:
            run = events_archive(before=moment, out=path, now=now)
        except ApplicationError as error:
            raise CommandError(error.message) from error
        self.stdout.write(f"Archived {run.events} events before {stamp} to {run.path}.")
        if run.left:
            self.stdout.write(
                f"{run.left} events before it are not rolled up yet and were kept; run again "
                "with another file later to archive them."
            )
