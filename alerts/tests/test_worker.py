"""End to end on PostgreSQL with a real Celery worker on Redis: an ingest over the live server
that crosses a spend threshold puts the customer in_alarm and delivers one signed webhook within
5 s; a second crossing sends nothing; reset re-notifies. Skipped without DATABASE_URL (PostgreSQL)
and a redis:// CELERY_BROKER_URL; `make test` in CI sets both."""

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.db import connection
from standardwebhooks.webhooks import Webhook

from alerts.models import CustomerAlert
from alerts.tests.factories import spend_world
from billing_console.celery import app
from webhooks.services import endpoint_create
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
    """A worker process on the test database and our Redis db; enqueued tasks go to it."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "billing_console.settings",
        "DEBUG": "1",
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",  # the test receiver
    }
    app.control.purge()  # our own Redis db: nothing left over from earlier runs
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "billing_console", "worker", "--pool=solo",
         "--without-gossip", "--without-mingle", "--loglevel=WARNING", "-n", f"alerts-{os.getpid()}@%h"],
        env=env, cwd=settings.BASE_DIR,
    )  # fmt: skip
    app.conf.task_always_eager = False
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(timeout=0.5):  # ready before the clock starts
            assert process.poll() is None, "the worker exited"
            assert time.monotonic() < deadline, "the worker did not start"
        yield process
    finally:
        app.conf.task_always_eager = True
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _ingest(sdk, count: int, prefix: str) -> None:
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    sdk.v1.usage.ingest(usage=[
        {"transaction_id": f"{prefix}-{i}", "customer_id": "acme", "event_type": "call",
         "timestamp": now, "properties": {}}
        for i in range(count)
    ])  # fmt: skip


def _wait(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _verified(endpoint, request) -> dict:
    """The receiver's check: the Standard Webhooks signature over the raw body."""
    return Webhook(endpoint.secret).verify(request.body, request.headers)


def test_ingest_crossing_a_spend_threshold_delivers_one_signed_webhook(worker, sdk):
    world = spend_world(price=100)  # $1 per call
    customer_id = str(world.customer.public_id)
    with receiver([200]) as hook:
        endpoint = endpoint_create(url=hook.url, event_types=["alerts.*"])
        alert_id = sdk.v1.alerts.create(
            alert_type="spend_threshold_reached", name="Spend $10", threshold=1000,
            customer_id=customer_id,
        ).data.id  # fmt: skip
        state = lambda: CustomerAlert.objects.filter(alert__public_id=alert_id).first()  # noqa: E731
        _wait(lambda: state() is not None and state().status == "ok")  # evaluated on create

        started = time.monotonic()
        _ingest(sdk, 10, "cross")  # $10: crosses
        [request] = hook.wait_for(1, timeout=5)
        assert time.monotonic() - started < 5
        assert state().status == "in_alarm"
        event = _verified(endpoint, request)
        assert event["type"] == "alerts.spend_threshold_reached"
        assert event["data"]["customer_id"] == customer_id
        assert event["data"]["alert_id"] == alert_id
        assert (event["data"]["spend"], event["data"]["triggered_by"]) == (1000, "usage")

        # A second crossing: evaluated (the measured spend moves) but nothing is sent.
        _ingest(sdk, 5, "more")
        _wait(lambda: state().value == 1500)
        time.sleep(1.5)
        assert len(hook.requests) == 1

        # Reset: evaluated afresh, still over the threshold, notified again.
        sdk.v1.customers.alerts.reset(alert_id=alert_id, customer_id=customer_id)
        second = hook.wait_for(2, timeout=5)[1]
        again = _verified(endpoint, second)
        assert again["data"]["triggered_by"] == "reset" and again["data"]["spend"] == 1500
        assert second.headers["webhook-id"] != request.headers["webhook-id"]
        assert json.loads(second.body)["id"] != json.loads(request.body)["id"]
        time.sleep(1)
        assert len(hook.requests) == 2
