"""Task routing (billing_console/task_routes.py): the rollup job goes to the `rollups` queue,
every other periodic task to `background`, the follow-ups of writes to the default queue, and no
registered task is left unrouted by accident."""

from pathlib import Path

from django.conf import settings

from billing_console.celery import app
from billing_console.task_routes import (
    BACKGROUND_QUEUE,
    BACKGROUND_TASKS,
    DEFAULT_QUEUE,
    FOLLOW_UP_TASKS,
    ROLLUP_TASKS,
    ROLLUPS_QUEUE,
)


def _queue(name: str) -> str:
    return app.amqp.router.route({}, name)["queue"].name


def _registered() -> set[str]:
    app.loader.import_default_modules()  # every app's tasks module
    return {name for name in app.tasks if not name.startswith("celery.")}


def test_every_registered_task_is_routed_on_purpose():
    registered = _registered()
    lists = (FOLLOW_UP_TASKS, BACKGROUND_TASKS, ROLLUP_TASKS)
    listed = set().union(*lists)
    assert len(listed) == sum(len(names) for names in lists)  # none twice, in one list or two
    assert registered - listed == set(), "add new tasks to billing_console/task_routes.py"
    assert listed - registered == set(), "a listed task is not registered (renamed?)"


def test_periodic_tasks_go_to_the_background_queue_and_the_rollup_job_to_its_own():
    periodic = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert periodic <= _registered()
    assert ROLLUP_TASKS == ("usage.tasks.rollups_advance",)
    assert _queue("usage.tasks.rollups_advance") == ROLLUPS_QUEUE
    for name in periodic - set(ROLLUP_TASKS):
        assert _queue(name) == BACKGROUND_QUEUE, name
    for name in BACKGROUND_TASKS:
        assert _queue(name) == BACKGROUND_QUEUE, name


def test_follow_ups_go_to_the_default_queue():
    assert app.conf.task_default_queue == DEFAULT_QUEUE == "celery"
    for name in FOLLOW_UP_TASKS:
        assert _queue(name) == DEFAULT_QUEUE, name
    # the ones the freshness target (5 s after a write) depends on
    for name in (
        "alerts.tasks.alerts_evaluate_ingested",
        "alerts.tasks.alerts_evaluate_customers",
        "invoicing.tasks.customers_refresh_statements",
        "invoicing.tasks.contract_refresh_statements",
        "webhooks.tasks.delivery_attempt_task",
    ):
        assert name in FOLLOW_UP_TASKS


def test_a_worker_without_queues_consumes_all_three():
    assert set(app.amqp.queues) == {DEFAULT_QUEUE, BACKGROUND_QUEUE, ROLLUPS_QUEUE}


def test_bin_worker_serves_each_queue():
    script = (Path(settings.BASE_DIR) / "bin" / "worker").read_text()
    assert f"-Q {DEFAULT_QUEUE} " in script
    assert f"-Q {BACKGROUND_QUEUE} " in script
    assert f"-Q {ROLLUPS_QUEUE} " in script
    assert "bin/worker" in (Path(settings.BASE_DIR) / "bin" / "serve").read_text()
    assert "bin/worker" in (Path(settings.BASE_DIR) / "Makefile").read_text()


def test_the_filesystem_queue_keeps_queues_apart(tmp_path):
    """The embedded default's transport: a message for `background` is only taken from there."""
    from kombu import Connection

    options = {
        "data_folder_in": str(tmp_path),
        "data_folder_out": str(tmp_path),
        "control_folder": str(tmp_path / "control"),  # else ./control in the cwd
    }
    transport = "billing_console.lib.fs_queue:Transport"
    with Connection(transport=transport, transport_options=options) as conn:
        for queue in (DEFAULT_QUEUE, BACKGROUND_QUEUE, ROLLUPS_QUEUE):
            conn.SimpleQueue(queue).put({"to": queue})
        assert conn.SimpleQueue(ROLLUPS_QUEUE).get(timeout=1).payload == {"to": "rollups"}
        assert conn.SimpleQueue(BACKGROUND_QUEUE).get(timeout=1).payload == {"to": "background"}
        assert conn.SimpleQueue(DEFAULT_QUEUE).get(timeout=1).payload == {"to": "celery"}
