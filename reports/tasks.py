"""Background work of reports: report builds, and the export schedule."""

from celery import shared_task
from django.utils import timezone

from reports import exports, services


@shared_task
def report_build(run_id: int) -> None:
    """Build one report run; a second delivery of the same run does nothing."""
    services.report_run_build(run_id=run_id)


@shared_task
def export_schedule_run(schedule_id: int, force: bool = False) -> None:
    """Run one export schedule if it is due (or when asked for from the console)."""
    exports.export_run(schedule_id=schedule_id, force=force)


@shared_task
def exports_run_due() -> int:
    """Beat: enqueue each enabled export schedule whose next run is due."""
    due = exports.schedules_due(now=timezone.now())
    for schedule_id in due:
        export_schedule_run.delay(schedule_id)
    return len(due)
