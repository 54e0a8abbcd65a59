import socket

from celery import shared_task
from django.utils import timezone

from billing_console.models import WorkerHeartbeat


@shared_task
def worker_heartbeat() -> None:
    """Run by the beat schedule: proves to the console that background work is running."""
    WorkerHeartbeat.objects.update_or_create(
        name="worker",
        defaults={"last_seen_at": timezone.now(), "hostname": socket.gethostname()[:200]},
    )
