"""One queued follow-up evaluation per customer (alerts.evaluation_queue): touched again before
it starts, nothing more is queued; touched while it runs, another runs after it. The markers
are files here (the embedded default's store) and Redis keys when CELERY_BROKER_URL is
redis:// (CI), as for the draft refreshes (invoicing/tests/test_refresh_queue.py)."""

from collections import deque
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection

from alerts import evaluation_queue, hooks, tasks
from billing_console.lib import pending


@pytest.fixture(params=["files", "redis"])
def store(request, tmp_path):
    if request.param == "files":
        found = pending.FileStore(tmp_path / "pending")
    else:
        if not settings.CELERY_BROKER_URL.startswith("redis://"):
            pytest.skip("needs a redis:// CELERY_BROKER_URL")
        found = pending.RedisStore(settings.CELERY_BROKER_URL)
    with mock.patch.object(pending, "store", return_value=found):
        yield found
    if request.param == "redis":
        for key in found.client.scan_iter(pending.RedisStore.PREFIX + "alerts.evaluate.*"):
            found.client.delete(key)


@pytest.mark.django_db
def test_touched_twice_before_it_starts_evaluates_once_then_again_after(
    store, django_capture_on_commit_callbacks
):
    queue, evaluated = deque(), []

    def touch(customer_id: int, reason: str) -> None:
        """A write touching the customer commits (each in a transaction of its own)."""
        setattr(connection, hooks.BATCH_ATTRIBUTE, None)
        with django_capture_on_commit_callbacks(execute=True):
            hooks.customer_touched(customer_id, reason)

    def evaluate(ids, **kwargs):
        evaluated.append(list(ids))
        if len(evaluated) == 1:  # a write while the evaluation runs: queued again
            touch(7, "invoice")
        return 0

    with (
        mock.patch.object(tasks.alerts_evaluate_customers, "delay", side_effect=lambda *a: queue.append(a)),
        mock.patch.object(tasks.evaluation, "customers_evaluate", side_effect=evaluate),
        mock.patch.object(tasks.Alert.objects, "active") as active,
    ):  # fmt: skip
        active.return_value.exists.return_value = True
        touch(7, "invoice")
        touch(7, "balance")
        touch(8, "invoice")
        assert [args[0] for args in queue] == [[7], [8]]
        while queue:
            tasks.alerts_evaluate_customers.run(*queue.popleft())
    assert evaluated == [[7], [8], [7]]


@pytest.mark.django_db
def test_evaluations_of_given_alerts_leave_the_marker_alone(store):
    with mock.patch.object(tasks.alerts_evaluate_customers, "delay"):
        assert evaluation_queue.customers_evaluate_enqueue([5], "invoice") == [5]
        with mock.patch.object(tasks.evaluation, "customers_evaluate", return_value=0):
            tasks.alerts_evaluate_customers.run([5], "reset", [1])  # one alert: not the follow-up
        assert evaluation_queue.customers_evaluate_enqueue([5], "invoice") == []
