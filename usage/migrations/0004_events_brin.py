"""On PostgreSQL, a BRIN index on event time: tiny, cheap to maintain on an append-mostly table,
and what period-wide scans (month close, event search by time) use. Other databases skip it."""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS usage_event_time_brin ON usage_usageevent "
            "USING brin (timestamp) WITH (pages_per_range = 32)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS usage_event_time_brin")


class Migration(migrations.Migration):
    dependencies = [("usage", "0003_rollups")]
    operations = [migrations.RunPython(create, drop)]
