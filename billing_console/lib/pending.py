"""Pending markers: "a task for this key is queued and has not started yet", seen by every
process that enqueues or runs it, so that work already waiting in the queue is not queued twice.

    if store().claim(key):      # atomic: True for exactly one of several callers
        task.delay(...)         # (on failure to enqueue: release(key))
    ...
    store().release(key)        # first thing the task does, before its work

The marker is cleared when the task *starts*, not when it ends: a request that comes while the
task runs claims a new marker and queues a new run, which happens after (nothing is lost). A
marker expires after `ttl` seconds, so a message that never ran (lost with a purged queue, a
broker that dropped it) does not block its key for good: the next request after that queues it.

Where the markers live follows the broker, which is what every enqueuer and worker share:
Redis (`SET NX EX` / `DEL` on the broker's Redis, atomic across any number of workers), files
beside the embedded default's filesystem queue (`O_CREAT | O_EXCL` / unlink), and nowhere when
tasks run eagerly or on another broker (every claim succeeds: no dedupe, nothing lost).
"""

import os
import re
import time
from pathlib import Path
from typing import Protocol

DEFAULT_TTL = 900.0  # seconds; the periodic refresh schedule's period
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


class Store(Protocol):
    def claim(self, key: str) -> bool: ...
    def release(self, key: str) -> bool: ...


class NullStore:
    """No markers: every claim succeeds (eager tasks, brokers without a store here)."""

    def claim(self, key: str) -> bool:
        return True

    def release(self, key: str) -> bool:
        return False


class FileStore:
    """One empty file per pending key in `folder` (the embedded default: one machine)."""

    def __init__(self, folder: Path | str, ttl: float = DEFAULT_TTL) -> None:
        self.folder = Path(folder)
        self.ttl = ttl
        self.folder.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.folder / _UNSAFE.sub("_", key)

    def _create(self, path: Path) -> bool:
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except FileExistsError:
            return False
        return True

    def claim(self, key: str) -> bool:
        path = self._path(key)
        if self._create(path):
            return True
        try:
            stale = time.time() - path.stat().st_mtime > self.ttl
        except FileNotFoundError:  # released in between: try once more
            return self._create(path)
        if not stale:
            return False
        # Expired: take it over. Two callers doing so at once may both win (a refresh queued
        # twice, which is harmless); none loses.
        path.unlink(missing_ok=True)
        return self._create(path)

    def release(self, key: str) -> bool:
        try:
            self._path(key).unlink()
        except FileNotFoundError:
            return False
        return True


class RedisStore:
    """Keys on the broker's Redis: atomic across several workers and machines."""

    PREFIX = "billing_console:pending:"

    def __init__(self, url: str, ttl: float = DEFAULT_TTL) -> None:
        import redis

        self.client = redis.Redis.from_url(url)
        self.ttl = ttl

    def claim(self, key: str) -> bool:
        return bool(self.client.set(self.PREFIX + key, b"1", nx=True, ex=int(self.ttl)))

    def release(self, key: str) -> bool:
        return bool(self.client.delete(self.PREFIX + key))


_stores: dict[tuple, Store] = {}


def store() -> Store:
    """The store for the configured broker (one per process and configuration)."""
    from django.conf import settings

    from billing_console.celery import app

    url = str(app.conf.broker_url or "")
    eager = bool(app.conf.task_always_eager)
    cache_key = (os.getpid(), url, eager, str(settings.VAR_DIR))
    found = _stores.get(cache_key)
    if found is None:
        if eager:
            found = NullStore()
        elif url.startswith(("redis://", "rediss://")):
            found = RedisStore(url)
        elif url.startswith("filesystem://"):
            found = FileStore(Path(settings.VAR_DIR) / "celery" / "pending")
        else:
            found = NullStore()
        _stores[cache_key] = found
    return found
