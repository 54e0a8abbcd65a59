"""At most one queued refresh per contract (invoicing.refresh_queue): queued twice before it
starts, it runs once; queued again while it runs, it runs again after. The markers live in the
store the broker selects (billing_console.lib.pending): files for the embedded default, Redis
keys when CELERY_BROKER_URL is redis:// (CI: PostgreSQL + Redis); both are exercised here, the
Redis one only when that broker is reachable."""

from collections import deque
from unittest import mock

import pytest
from django.conf import settings

from billing_console.lib import pending
from invoicing import refresh_queue, tasks
from invoicing.tests.factories import priced_world


def _redis_store():
    url = settings.CELERY_BROKER_URL
    if not url.startswith("redis://"):
        pytest.skip("needs a redis:// CELERY_BROKER_URL")
    store = pending.RedisStore(url)
    try:
        store.client.ping()
    except Exception:
        pytest.skip("Redis not reachable")
    return store


@pytest.fixture(params=["files", "redis"])
def store(request, tmp_path):
    found = pending.FileStore(tmp_path / "pending") if request.param == "files" else _redis_store()
    with mock.patch.object(pending, "store", return_value=found):
        yield found
    if request.param == "redis":  # leave nothing behind on the shared Redis
        for key in found.client.scan_iter(pending.RedisStore.PREFIX + "invoicing.refresh.*"):
            found.client.delete(key)


class FakeQueue:
    """Messages as a broker holds them; `work()` runs them the way a worker would."""

    def __init__(self) -> None:
        self.messages: deque = deque()

    def delay(self, *args):
        self.messages.append(args)

    def work(self) -> None:
        while self.messages:
            tasks.contract_refresh_statements.run(*self.messages.popleft())


@pytest.fixture
def queue():
    fake = FakeQueue()
    with mock.patch.object(tasks.contract_refresh_statements, "delay", side_effect=fake.delay):
        yield fake


@pytest.mark.django_db
def test_queued_twice_runs_once(store, queue):
    contract = priced_world().contract
    with mock.patch.object(tasks.services, "contract_invoices_refresh") as refresh:
        assert refresh_queue.contract_refresh_enqueue(contract.pk) is True
        assert refresh_queue.contract_refresh_enqueue(contract.pk) is False  # already waiting
        assert len(queue.messages) == 1
        queue.work()
    assert refresh.call_count == 1
    # Done: the next request queues (and runs) a new refresh.
    with mock.patch.object(tasks.services, "contract_invoices_refresh") as refresh:
        assert refresh_queue.contract_refresh_enqueue(contract.pk) is True
        queue.work()
    assert refresh.call_count == 1


@pytest.mark.django_db
def test_requested_while_running_runs_again_after(store, queue):
    contract = priced_world().contract
    runs = []

    def refresh(*, contract):
        runs.append(contract.pk)
        if len(runs) == 1:  # a change arrives while the first refresh runs: it asks again
            assert refresh_queue.contract_refresh_enqueue(contract.pk) is True
            assert refresh_queue.contract_refresh_enqueue(contract.pk) is False

    with mock.patch.object(tasks.services, "contract_invoices_refresh", side_effect=refresh):
        refresh_queue.contract_refresh_enqueue(contract.pk)
        queue.work()
    assert runs == [contract.pk, contract.pk]


@pytest.mark.django_db
def test_contracts_are_deduped_one_by_one(store):
    """Another contract's pending refresh does not hold this one back."""
    assert refresh_queue.refresh_claim([1, 2]) == [1, 2]
    assert refresh_queue.refresh_claim([2, 3]) == [3]
    refresh_queue.refresh_started([2])
    assert refresh_queue.refresh_claim([1, 2, 3]) == [2]


@pytest.mark.django_db
def test_the_periodic_refresh_skips_what_is_still_queued(store):
    first, second = priced_world().contract, priced_world(alias="beta").contract
    with mock.patch.object(tasks.contracts_refresh_batch_task, "delay") as delay:
        assert tasks.contracts_refresh_statements.run() == 2
        assert tasks.contracts_refresh_statements.run() == 0  # the first run's batch waits
        assert [c.args for c in delay.call_args_list] == [([first.pk, second.pk],)]
    with mock.patch("invoicing.refresh_batch.contracts_refresh") as refresh:
        tasks.contracts_refresh_batch_task.run([first.pk])  # started: its marker is cleared
        refresh.assert_called_once_with([first.pk])
    with mock.patch.object(tasks.contracts_refresh_batch_task, "delay") as delay:
        assert tasks.contracts_refresh_statements.run() == 1
        assert [c.args for c in delay.call_args_list] == [([first.pk],)]


@pytest.mark.django_db
def test_a_refresh_that_could_not_be_queued_is_not_marked(store):
    with mock.patch.object(
        tasks.contract_refresh_statements, "delay", side_effect=ConnectionError("broker down")
    ):
        with pytest.raises(ConnectionError):
            refresh_queue.contract_refresh_enqueue(7)
    assert refresh_queue.refresh_claim([7]) == [7]


def test_an_expired_marker_is_taken_over(tmp_path):
    """A marker whose message never ran (a purged queue) blocks its key only until it expires."""
    store = pending.FileStore(tmp_path, ttl=60)
    assert store.claim("k") and not store.claim("k")
    with mock.patch.object(pending.time, "time", return_value=pending.time.time() + 61):
        assert store.claim("k")
    assert not store.claim("k")


def test_the_store_follows_the_broker():
    """Eager tasks (the test settings) run inside the enqueue: no marker at all. A worker on the
    embedded default shares files under VAR_DIR; on Redis, the broker's Redis."""
    from billing_console.celery import app

    assert app.conf.task_always_eager
    assert isinstance(pending.store(), pending.NullStore)
    app.conf.task_always_eager = False
    try:
        found = pending.store()
        if settings.CELERY_BROKER_URL == "filesystem://":
            assert isinstance(found, pending.FileStore)
            assert found.folder == settings.VAR_DIR / "celery" / "pending"
        elif settings.CELERY_BROKER_URL.startswith("redis://"):
            assert isinstance(found, pending.RedisStore)
    finally:
        app.conf.task_always_eager = True
