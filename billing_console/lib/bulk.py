"""Many new rows of one model written at once, when their primary keys are not needed back.

On PostgreSQL the rows go through COPY: bulk_create there sends each column as one array
parameter, which psycopg quotes value by value on the client (Django binds parameters
client-side), about twice the cost of COPY for a few thousand rows. Elsewhere (SQLite) this is
bulk_create. Either way each field's pre_save runs (auto_now_add and the like), no signals are
sent, and the objects are left without primary keys.
"""

from collections.abc import Sequence

import psycopg
from django.db import connection
from django.db.models import Model


def bulk_insert(model: type[Model], objs: Sequence[Model], *, batch_size: int = 1000) -> None:
    if not objs:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objs, batch_size=batch_size)
        return
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not (f.primary_key and f.db_returning)]
    quote = connection.ops.quote_name
    sql = "COPY {} ({}) FROM STDIN".format(
        quote(meta.db_table), ", ".join(quote(f.column) for f in fields)
    )
    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        with cursor.copy(sql) as copy:
            for obj in objs:
                copy.write_row(
                    [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
                )
