"""The real thing: a Celery worker on Redis delivers to a receiver that fails twice, retrying
after backoff by countdown (no eager mode, no beat). PostgreSQL + Redis only."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection

from billing_console.celery import app
from webhooks import services
from webhooks.models import Delivery
from webhooks.tests.receiver import receiver

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.CELERY_BROKER_URL.startswith("redis://")
        or settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="needs PostgreSQL and a Redis broker (DATABASE_URL, CELERY_BROKER_URL)",
    ),
]


@pytest.fixture
def worker():
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "billing_console.settings",
        "DEBUG": "1",
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",  # the test receiver
        "WEBHOOK_RETRY_BASE_SECONDS": "1",
        "WEBHOOK_RETRY_MAX_SECONDS": "2",
    }
    app.control.purge()  # our own Redis db: nothing left over from earlier runs
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "billing_console", "worker", "--pool=solo",
         "--without-gossip", "--without-mingle", "--loglevel=WARNING"],
        env=env, cwd=settings.BASE_DIR,
    )  # fmt: skip
    app.conf.task_always_eager = False
    try:
        yield process
    finally:
        app.conf.task_always_eager = True
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_worker_retries_with_backoff_and_delivers_exactly_once_more(worker):
    with receiver([500, 500, 200]) as hook:
        services.endpoint_create(url=hook.url)
        services.event_publish("payment_gate.threshold_reached", {"n": 1}, key="worker-test")
        requests = hook.wait_for(3, timeout=60)
        assert len(requests) == 3
        time.sleep(3)  # past any further backoff: nothing more arrives
        assert len(hook.requests) == 3

    assert len({r.headers["webhook-id"] for r in requests}) == 1
    delivery = Delivery.objects.get()
    for _ in range(50):  # the worker records the last attempt just after the response
        delivery.refresh_from_db()
        if delivery.status == Delivery.SUCCEEDED:
            break
        time.sleep(0.1)
    assert (delivery.status, delivery.attempt_count) == (Delivery.SUCCEEDED, 3)
    attempts = list(delivery.attempts.all())
    assert [a.response_code for a in attempts] == [500, 500, 200]
    # Backoff: 1 s after the first failure, 2 s after the second.
    assert attempts[1].attempted_at - attempts[0].attempted_at >= timedelta(seconds=1)
    assert attempts[2].attempted_at - attempts[1].attempted_at >= timedelta(seconds=2)
