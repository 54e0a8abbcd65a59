"""Many rows of one model written at once (a month close writes thousands).

Django binds parameters on the client: psycopg quotes every value into the SQL text, which for a
few thousand rows costs more than the database takes to write them. On PostgreSQL these send
the values apart from the SQL instead (COPY; a server-bound statement); elsewhere (SQLite) they
are Django's own bulk_create and executemany. No signals are sent.
"""

from collections.abc import Sequence

from django.db import connection
from django.db.models import Model

from billing_console.lib.pg import server_bound_cursor


def bulk_insert(model: type[Model], objs: Sequence[Model], *, batch_size: int = 1000) -> None:
    """New rows, when their primary keys are not needed back: each field's pre_save runs
    (auto_now_add and the like) and the objects are left without primary keys."""
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
    with server_bound_cursor() as cursor, cursor.copy(sql) as copy:
        for obj in objs:
            copy.write_row([f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields])


def bulk_update_rows(model: type[Model], objs: Sequence[Model], names: list[str]) -> None:
    """Save fields `names` of each object (by primary key), as one UPDATE per row sent together:
    bulk_update's CASE expressions cost more to build than the rows take to write. Values are
    written as they are: auto_now fields are set by the caller."""
    if not objs:
        return
    meta = model._meta
    fields = [meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    sql = "UPDATE {} SET {} WHERE {} = %s".format(
        quote(meta.db_table),
        ", ".join(f"{quote(field.column)} = %s" for field in fields),
        quote(meta.pk.column),
    )
    rows = [
        [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields] + [obj.pk]
        for obj in objs
    ]
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)
        return
    with server_bound_cursor() as cursor:
        cursor.executemany(sql, rows)
