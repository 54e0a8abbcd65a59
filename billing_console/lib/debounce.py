"""Per-process debouncing of follow-up work, for hot paths that would otherwise enqueue a task
per request (ingest: one alert and one threshold evaluation per request).

Time is cut into windows aligned on multiples of `window` seconds. Callers add keys; when the
window ends, a timer thread sends every key gathered in it in one call. A caller adds its keys
after its write committed, so that one send (and the work it starts) sees every write of the
window. One send per window and process, whatever the traffic: with 1,000 customers in 100-event
batches nearly every request names a customer not yet seen in the window, so a send per first
sighting cost a broker round trip on most requests. A dict under a lock is all it takes; a cache
round trip per key would cost more than the work saved.

A window's keys live in the process until it ends: a process killed inside a window loses
them, and the periodic sweep evaluates what they would have (as when the broker is down).
The timer is not a daemon thread, so a process that exits normally (a graceful stop of bin/web
or gunicorn) sends them first, waiting for the window to end.
"""

import logging
import math
import os
import threading
import time
from collections.abc import Callable, Hashable, Iterable
from typing import Any

logger = logging.getLogger(__name__)


class Debouncer:
    def __init__(self, send: Callable[[list[Any]], None]) -> None:
        """`send(keys)` runs once at the end of each window that gathered keys, sorted."""
        self._send = send
        self._lock = threading.Lock()
        self._pending: set[Hashable] = set()
        self._timer: threading.Timer | None = None
        self._pid = os.getpid()

    def add(self, keys: Iterable[Hashable], window: float) -> None:
        """Gather `keys` for the current window; the first keys of a window start its timer."""
        with self._lock:
            if self._pid != os.getpid():  # a forked child: the parent's timer is not ours
                self._pid, self._pending, self._timer = os.getpid(), set(), None
            self._pending.update(keys)
            if self._timer is None and self._pending:
                now = time.time()
                self._timer = threading.Timer(
                    (math.floor(now / window) + 1) * window - now, self.flush
                )
                # Not a daemon, so that a normal exit waits for it. A thread inherits the flag of
                # the thread that creates it, and granian's request threads are daemons.
                self._timer.daemon = False
                self._timer.start()

    def flush(self) -> None:
        """Send what the window gathered now (the timer calls this when the window ends)."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()  # a no-op when the timer itself is calling
            keys, self._pending, self._timer = self._pending, set(), None
        if keys:
            try:
                self._send(sorted(keys))
            except Exception:
                logger.exception("debounced send failed; the periodic sweep will catch up")

    def clear(self) -> None:
        """Drop what is pending without sending it (tests)."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._pending, self._timer = set(), None


def enqueue_debounced(
    task: Any, keys: Iterable[str], *, debouncer: Debouncer, window: float
) -> None:
    """task(sorted keys) at once when tasks run eagerly (tests, the embedded default without a
    worker) or the window is 0; otherwise gathered into `debouncer`, which sends them, sorted,
    when the window closes, once per window."""
    from billing_console.celery import app

    if not window or app.conf.task_always_eager:
        task.delay(sorted(keys))
        return
    debouncer.add(keys, window)
