"""A deadline for every web request, for a web server that has none of its own.

gunicorn's sync workers replace a worker that has been busy with one request for longer than
`--timeout`. granian, the web server of the production guide (`bin/web`), has no such limit: a
request stuck in a loop or on a lock would hold its thread for good. `RequestDeadline` wraps the
WSGI application. A watchdog thread in each worker process looks at the requests in flight
every second; when one has run for longer than its deadline it logs the request and ends the
process, and granian (`--respawn-failed-workers`) starts another in its place. As with any
killed worker, the process's other requests in flight are cut off too: their clients see the
connection close and retry (ingest is idempotent), and every open transaction of the process is
rolled back by PostgreSQL when its connection drops, so nothing is half written.

The deadline covers the application's call, the time Django takes to build the response. A
streamed body (the audit log export) is sent afterwards at the client's pace and is not covered:
a slow download is not a runaway request.

Off unless WEB_REQUEST_TIMEOUT is set (`bin/web` sets 60 s): under `runserver` the process is
the whole server, and ending it would stop `make run`.
"""

import itertools
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

logger = logging.getLogger(__name__)

EXIT_STATUS = 70  # EX_SOFTWARE: the worker ended itself; the server replaces it


class RequestDeadline:
    """WSGI middleware: ends this process when a request runs for longer than `seconds`."""

    def __init__(
        self,
        application: Callable[..., Iterable[bytes]],
        seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        end_process: Callable[[int], Any] = os._exit,
        interval: float = 1.0,
    ) -> None:
        self.application = application
        self.seconds = seconds
        self.clock, self.end_process, self.interval = clock, end_process, interval
        self.in_flight: dict[int, tuple[float, dict]] = {}  # request number: (start, environ)
        self.numbers = itertools.count()
        self.watchdog_pid = 0  # the process whose watchdog runs (a forked worker starts its own)
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if self.seconds <= 0:
            return self.application(environ, start_response)
        if self.watchdog_pid != os.getpid():
            self.start_watchdog()
        number = next(self.numbers)
        self.in_flight[number] = (self.clock(), environ)  # named only if it runs late
        try:
            return self.application(environ, start_response)
        finally:
            self.in_flight.pop(number, None)

    def start_watchdog(self) -> None:
        with self.lock:
            if self.watchdog_pid == os.getpid():
                return
            self.in_flight.clear()  # a forked child does not run its parent's requests
            self.watchdog_pid = os.getpid()
            threading.Thread(target=self.watch, name="request-deadline", daemon=True).start()

    def watch(self) -> None:
        while not self.overdue():
            time.sleep(self.interval)

    def overdue(self) -> bool:
        """Ends the process (and answers True) when a request in flight is past its deadline."""
        now = self.clock()
        for started, environ in self.in_flight.copy().values():
            if now - started > self.seconds:
                logger.error(
                    "request %s %s ran for %.0f s, past the %s s deadline (WEB_REQUEST_TIMEOUT): "
                    "ending worker process %d to be replaced",
                    environ.get("REQUEST_METHOD", ""),
                    environ.get("PATH_INFO", ""),
                    now - started,
                    self.seconds,
                    os.getpid(),
                )
                for handler in logging.getLogger().handlers + logger.handlers:
                    handler.flush()
                self.end_process(EXIT_STATUS)
                return True
        return False
