"""Per-process debouncing of follow-up work, for hot paths that would otherwise enqueue a task
per request (ingest: one alert and one threshold evaluation per request).

Time is cut into windows aligned on multiples of `window` seconds. The first caller in a window
to name a key gets it back and schedules the work for the window's end; later callers in the
same window get nothing back for that key: their writes committed before the window closed, so
the scheduled work sees them too. Aligned windows matter with many keys: per-key windows would
expire at scattered moments and let nearly every request enqueue something. Each web process
keeps its own windows. A dict under a lock is all it takes: checking 100 keys costs
microseconds, where a cache round trip per key would not.
"""

import math
import threading
import time
from collections.abc import Hashable, Iterable
from typing import Any


class Debouncer:
    def __init__(self) -> None:
        self._window_end = 0.0
        self._seen: set[Hashable] = set()
        self._lock = threading.Lock()

    def due(self, keys: Iterable[Hashable], window: float) -> tuple[list[Hashable], float]:
        """The keys not yet scheduled in the current window, and the seconds until it ends."""
        now = time.time()
        with self._lock:
            if now >= self._window_end:
                self._window_end = (math.floor(now / window) + 1) * window
                self._seen = set()
            due = [key for key in dict.fromkeys(keys) if key not in self._seen]
            self._seen.update(due)
            return due, self._window_end - now

    def clear(self) -> None:
        """Close the current window (tests)."""
        with self._lock:
            self._window_end = 0.0
            self._seen = set()


def enqueue_debounced(task: Any, keys: list[str], *, debouncer: Debouncer, window: float) -> None:
    """task(keys) at once when tasks run eagerly (tests, the embedded default without a worker)
    or the window is 0; otherwise task(due keys) when the window closes, once per window."""
    from billing_console.celery import app

    if not window or app.conf.task_always_eager:
        task.delay(keys)
        return
    due, remaining = debouncer.due(keys, window)
    if due:
        task.apply_async((due,), countdown=remaining)
