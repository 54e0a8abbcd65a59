"""Recording that a background pass keeps failing on one row (a notification, a metering
cursor): its `error` is the latest failure, its `error_at` when the failures began, so a page can
say "failing since", not just "failed a minute ago"."""

from datetime import datetime

from django.db.models import QuerySet


def failing_record(rows: QuerySet, message: str, now: datetime) -> None:
    rows.filter(error="").update(error_at=now)
    rows.update(error=message[:2000])
