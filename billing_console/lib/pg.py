"""PostgreSQL specifics shared by the hot paths (ingest, token lookup, the month close)."""

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from django.db import connection


@contextmanager
def server_bound_cursor() -> Iterator[psycopg.Cursor]:
    """A psycopg cursor on Django's connection that sends parameters apart from the SQL.

    Django's cursors bind parameters on the client: psycopg quotes every value into the SQL
    text, and PostgreSQL parses and plans that text again on each call. Here values travel
    apart, and many values cost no quoting. `execute(..., prepare=True)` prepares a statement
    once per connection: Django turns psycopg's preparing off, the settings turn it back on
    (DATABASE_PREPARED_STATEMENTS=0 behind a transaction-mode pooler, which would lose them).
    Database errors still reach Django as its own (a broken connection is then discarded at
    the end of the request). PostgreSQL only."""
    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        yield cursor
