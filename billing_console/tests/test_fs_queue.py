"""The embedded default's queue (billing_console/lib/fs_queue.py) drains without a poll per
message: queued messages are taken back to back, a full worker is woken by the ack that frees
it, and only an empty queue waits (polling_interval, 0.1 s). No timing: the waits are counted,
and time is a fake clock."""

import threading

import pytest
from django.conf import settings
from kombu import Connection, Consumer, Exchange, Producer, Queue
from kombu.transport import virtual

from billing_console.lib import fs_queue


def queue() -> Queue:
    """A new one per use: kombu binds a declared Queue to its first channel for good."""
    return Queue("tests", Exchange("tests", type="direct"), routing_key="tests")


@pytest.fixture
def connection(tmp_path, monkeypatch):
    # kombu keeps the filesystem transport's bindings in one class-wide state: a fresh one per
    # test, or a binding declared under another test's folder is never written to this one.
    monkeypatch.setattr(fs_queue.Transport, "global_state", virtual.BrokerState())
    folder = tmp_path / "queue"
    folder.mkdir()
    options = {
        "data_folder_in": str(folder), "data_folder_out": str(folder),
        "control_folder": str(tmp_path / "control"), "store_processed": False,
    }  # fmt: skip
    with Connection("filesystem://", transport=fs_queue.Transport, transport_options=options) as c:
        yield c


class Waits:
    """Stands in for Transport.idle_wait: counts the waits, runs `then` during each."""

    def __init__(self, transport, then=None) -> None:
        self.seconds: list[float] = []
        self.then = then
        transport.idle_wait = self

    def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)
        if self.then:
            self.then()


def publish(connection, count: int) -> None:
    producer, declared = Producer(connection.default_channel), queue()
    for i in range(count):
        producer.publish({"n": i}, exchange="tests", routing_key="tests", declare=[declared])


def test_queued_messages_are_taken_back_to_back(connection):
    publish(connection, 25)
    got = []
    waits = Waits(connection.transport)
    consumer = Consumer(connection.default_channel, [queue()], accept=["json"])
    consumer.register_callback(lambda body, message: (got.append(body["n"]), message.ack()))
    consumer.qos(prefetch_count=2)  # as the worker: prefork x2, prefetch multiplier 1
    with consumer:
        for _ in range(25):
            connection.drain_events(timeout=5)
    assert sorted(got) == list(range(25))  # same-millisecond messages: any order
    assert waits.seconds == []  # not one poll interval spent while messages remained


def test_a_full_worker_is_woken_by_the_ack(connection):
    """prefetch 1, the message held (a task running): the next poll finds no room and waits;
    the ack (from the pool's result thread) wakes it, and the next message comes at once."""
    publish(connection, 2)
    held = []
    consumer = Consumer(connection.default_channel, [queue()], accept=["json"])
    consumer.register_callback(lambda body, message: held.append(message))
    consumer.qos(prefetch_count=1)
    woken = []

    def task_finishes():
        thread = threading.Thread(target=held[0].ack)
        thread.start()
        thread.join()
        woken.append(connection.transport._wake.is_set())

    with consumer:
        connection.drain_events(timeout=5)
        waits = Waits(connection.transport, then=task_finishes)
        connection.drain_events(timeout=5)
    assert len(held) == 2
    assert len(waits.seconds) == 1 and woken == [True]


def test_only_an_empty_queue_is_polled(connection, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(fs_queue, "monotonic", lambda: clock[0])
    waits = Waits(connection.transport, then=lambda: clock.__setitem__(0, clock[0] + 0.1))
    consumer = Consumer(connection.default_channel, [queue()], accept=["json"])
    consumer.register_callback(lambda body, message: message.ack())
    with consumer, pytest.raises(TimeoutError):
        connection.drain_events(timeout=1.0)
    assert waits.seconds and max(waits.seconds) <= 0.1
    assert len(waits.seconds) in (10, 11)  # 1 s of fake time, polled every 0.1 s


def test_the_embedded_default_uses_it():
    if settings.CELERY_BROKER_URL != "filesystem://":
        pytest.skip("another broker is configured")
    from billing_console.celery import app

    assert app.connection_for_read().transport_cls == "billing_console.lib.fs_queue:Transport"
    assert app.connection_for_read().transport.__class__ is fs_queue.Transport
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["polling_interval"] <= 0.2


def test_a_message_still_being_written_is_left_for_later(connection, tmp_path):
    """kombu's own _put creates the file, then writes it: a fast poll could take it empty (the
    worker's consumer died on the JSONDecodeError). Ours writes whole, then renames; a file
    that does not decode yet is put back and taken once complete."""
    publish(connection, 1)
    folder = tmp_path / "queue"
    assert [p.name.endswith(".tests.msg") for p in folder.iterdir()] == [True]  # no .part left
    complete = next(folder.iterdir())
    body = complete.read_bytes()
    partial = folder / ("0_" + complete.name.split("_", 1)[1])  # sorts first
    complete.rename(partial)
    partial.write_bytes(b"")  # created, not yet written
    got = []
    consumer = Consumer(connection.default_channel, [queue()], accept=["json"])
    consumer.register_callback(lambda body, message: (got.append(body), message.ack()))
    waits = Waits(connection.transport, then=lambda: partial.write_bytes(body))
    with consumer:
        connection.drain_events(timeout=5)
    assert got == [{"n": 0}]
    assert len(waits.seconds) == 1  # skipped once, taken at the next poll
    assert list(folder.iterdir()) == []
