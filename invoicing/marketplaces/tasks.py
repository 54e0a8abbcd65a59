"""Beat: hourly marketplace metering. Runs every few minutes (MARKETPLACE_METERING_INTERVAL):
each run records the complete hours not yet recorded and sends what is due (new hours, and
failed records whose backoff has passed); both steps are idempotent, so a run more or a run
lost changes nothing but timing."""

from celery import shared_task
from django.utils import timezone


@shared_task(name="invoicing.tasks.marketplace_metering_run")
def marketplace_metering_run() -> int:
    from invoicing.marketplaces.hourly import marketplace_hours_record
    from invoicing.marketplaces.sending import marketplace_records_send

    now = timezone.now()
    marketplace_hours_record(now=now)
    return marketplace_records_send(now=now)
