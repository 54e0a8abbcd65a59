"""On PostgreSQL, Django gives a varchar primary key a second index (varchar_pattern_ops) for LIKE
queries. Nothing searches dedupe keys by prefix, and every ingested event would pay for that
index, so it is dropped. Other databases never had it."""

from django.db import migrations

INDEX = "usage_eventkey_transaction_id_26c51732_like"


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON usage_eventkey "
            "(transaction_id varchar_pattern_ops)"
        )


class Migration(migrations.Migration):
    dependencies = [("usage", "0004_events_brin")]
    operations = [migrations.RunPython(drop, create)]
