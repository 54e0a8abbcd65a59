"""The embedded default's queue (`make run`, no broker server): kombu's filesystem transport,
made to keep up.

kombu's virtual transports sleep `polling_interval` (1 s) whenever a poll comes back empty, and
a poll also comes back empty when the worker already holds all the messages its prefetch allows
(acks_late, prefetch 1 x 2 processes). So every task waited for the next poll after the one
before it finished: about 2 tasks a second however short they were, and a restart's 250-odd
refreshes and alert evaluations took minutes to drain. Here:

- while the queue has messages and the worker has room, they are taken back to back, no sleep;
- a worker that is full waits for an ack (a task finishing), which wakes it at once;
- only an empty queue is polled, every `polling_interval` (0.1 s by default here, set in
  `broker_transport_options`), for what other processes (web, beat) write into it.

Selected by `CELERY_BROKER_TRANSPORT` in the settings when CELERY_BROKER_URL is `filesystem://`.
"""

import os
import threading
import uuid
from queue import Empty
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads


class Channel(filesystem.Channel):
    """Writes a message whole before it shows in the queue, takes one by a rename inside the
    queue's folder, and tells its transport when a message is acked or rejected (the worker
    has room again).

    kombu's own `_put` creates the file, then locks and writes it, and its `_get` lists, moves
    and reads: a consumer polling fast can take a file still empty. Seen here: the worker's
    consumer died on the JSONDecodeError and the worker with it. Now a message is written to a
    hidden name and renamed into place (atomic), and a file that does not decode (written by a
    process still on kombu's own transport) is put back for a later poll."""

    def _put(self, queue, payload, **kwargs):
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        path = os.path.join(self.data_folder_out, name)
        hidden = os.path.join(self.data_folder_out, f".{name}.part")  # not a `.msg` name
        try:
            with open(hidden, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
            os.rename(hidden, path)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {path!r} to directory") from exc

    def _get(self, queue):
        wanted = f"{queue}.msg"
        for name in sorted(os.listdir(self.data_folder_in)):
            if name.partition(".")[2] != wanted:
                continue
            path = os.path.join(self.data_folder_in, name)
            taken = f"{path}.taken"  # not a `.msg` name: no other consumer lists it
            try:
                os.rename(path, taken)
            except OSError:  # another consumer took it first
                continue
            try:
                with open(taken, "rb") as f:
                    message = loads(bytes_to_str(f.read()))
            except ValueError:  # still being written by kombu's own _put: later
                os.rename(taken, path)
                continue
            if self.store_processed:
                os.makedirs(self.processed_folder, exist_ok=True)
                os.replace(taken, os.path.join(self.processed_folder, name))
            else:
                os.remove(taken)
            return message
        raise Empty()

    def basic_ack(self, delivery_tag, multiple=False):
        super().basic_ack(delivery_tag, multiple=multiple)
        self.connection.wake()

    def basic_reject(self, delivery_tag, requeue=False):
        super().basic_reject(delivery_tag, requeue=requeue)
        self.connection.wake()


class Transport(filesystem.Transport):
    Channel = Channel
    polling_interval = 0.1  # idle only: while messages remain the loop does not sleep

    def __init__(self, client, **kwargs):
        super().__init__(client, **kwargs)
        self._wake = threading.Event()

    def wake(self) -> None:
        """A slot freed up (acks come from the pool's result thread): poll now."""
        self._wake.set()

    def idle_wait(self, seconds: float) -> None:
        """Wait until woken or `seconds` pass (a method, so that tests can count the waits)."""
        self._wake.wait(seconds)

    def drain_events(self, connection, timeout=None):
        """Deliver one message: at once if one is queued and the worker has room; otherwise
        wait for room (an ack) or for the next idle poll, until `timeout` (socket.timeout)."""
        deadline = None if timeout is None else monotonic() + timeout
        while True:
            self._wake.clear()  # before the poll: an ack during it is not missed
            try:
                self.cycle.get(self._deliver, timeout=timeout)
                return
            except Empty:
                pass
            wait = self.polling_interval
            if deadline is not None:
                left = deadline - monotonic()
                if left <= 0:
                    raise TimeoutError()
                wait = min(wait, left)
            self.idle_wait(wait)
