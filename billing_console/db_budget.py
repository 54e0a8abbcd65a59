"""A time budget for the database work of a block: SQL metrics, report builds.

PostgreSQL: `statement_timeout` for the block's statements (local to the transaction inside an
atomic block, else for the session), put back when the block ends. SQLite: a progress handler
that interrupts a statement once the block's deadline has passed. Either way a statement over
budget raises a DatabaseError ("canceling statement due to statement timeout", "interrupted").
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


@contextmanager
def time_budget(milliseconds: int) -> Iterator[None]:
    if connection.vendor == "postgresql":
        local = connection.in_atomic_block
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('statement_timeout'), set_config('statement_timeout', %s, %s)",
                [f"{milliseconds}ms", local],
            )
            previous = cursor.fetchone()[0]
        try:
            yield
        except BaseException:
            # Inside a transaction the failed statement aborted it: rolling back to the savepoint
            # undoes the setting. In autocommit the session keeps it: put it back.
            if not local:
                _set_timeout(previous, local)
            raise
        _set_timeout(previous, local)
        return
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        deadline = time.monotonic() + milliseconds / 1000
        raw = connection.connection
        raw.set_progress_handler(lambda: time.monotonic() > deadline, 10_000)
        try:
            yield
        finally:
            raw.set_progress_handler(None, 0)
        return
    yield


def _set_timeout(value: str, local: bool) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('statement_timeout', %s, %s)", [value, local])
