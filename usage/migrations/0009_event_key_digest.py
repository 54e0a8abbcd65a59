"""Dedupe keys become a 16-byte digest of the transaction id naming the event stored with it
(usage.event_keys), and the events table loses its index on transaction ids: every ingested
event inserted into two indexes of random ids, which outgrow the database's memory together
(bench/scale.py). Event search and the invoice preview find events through the keys.

Existing keys are carried over with their event (and back, read from the events they name,
when the migration is reversed). The digest is spelled out here, as it was when
this migration was written."""

import hashlib
import uuid

from django.db import migrations, models

DIGEST_SQL = "encode(substr(sha256(convert_to({}, 'UTF8')), 1, 16), 'hex')::uuid"


def _models(apps):
    get = apps.get_model
    return get("usage", "EventKey"), get("usage", "EventKeyDigest"), get("usage", "UsageEvent")


def _chunks(rows, size=500):
    rows = list(rows)
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def carry_keys(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # An ingest still running on the old code waits until the migration commits (and then
        # fails on the new table, to be retried by its client): no key is claimed in the old
        # table after it is read.
        schema_editor.execute("LOCK TABLE usage_eventkey IN EXCLUSIVE MODE")
        schema_editor.execute(
            "INSERT INTO usage_eventkeydigest (key, event_id, received_at) "
            f"SELECT {DIGEST_SQL.format('k.transaction_id')}, coalesce(e.id, 0), k.received_at "
            "FROM usage_eventkey k LEFT JOIN usage_usageevent e "
            "ON e.transaction_id = k.transaction_id AND e.received_at = k.received_at "
            "ON CONFLICT (key) DO NOTHING"
        )
        return
    old, new, event = _models(apps)
    for chunk in _chunks(old.objects.values_list("transaction_id", "received_at")):
        stored = event.objects.filter(transaction_id__in=[t for t, _ in chunk])
        ids = {
            (t, at): pk for t, at, pk in stored.values_list("transaction_id", "received_at", "pk")
        }
        new.objects.bulk_create(
            [
                new(
                    key=uuid.UUID(bytes=hashlib.sha256(t.encode()).digest()[:16]),
                    event_id=ids.get((t, at), 0),  # the event stored with the key, as on PostgreSQL
                    received_at=at,
                )
                for t, at in chunk
            ],
            ignore_conflicts=True,
        )


def carry_keys_back(apps, schema_editor):
    """The keys by transaction id again, read from the events they name."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "INSERT INTO usage_eventkey (transaction_id, received_at) "
            "SELECT e.transaction_id, k.received_at FROM usage_eventkeydigest k "
            "JOIN usage_usageevent e ON e.id = k.event_id ON CONFLICT DO NOTHING"
        )
        return
    old, new, event = _models(apps)
    for chunk in _chunks(new.objects.values_list("event_id", "received_at")):
        received = dict(chunk)
        ids = event.objects.filter(pk__in=list(received)).values_list("pk", "transaction_id")
        old.objects.bulk_create(
            [old(transaction_id=t, received_at=received[pk]) for pk, t in ids],
            ignore_conflicts=True,
        )


class Migration(migrations.Migration):
    dependencies = [("usage", "0008_remove_rollupstate_advanced_at")]

    operations = [
        migrations.CreateModel(
            name="EventKeyDigest",
            fields=[
                ("key", models.UUIDField(primary_key=True, serialize=False)),
                ("event_id", models.BigIntegerField()),
                ("received_at", models.DateTimeField(db_index=True)),
            ],
        ),
        migrations.RunPython(carry_keys, carry_keys_back),
        migrations.DeleteModel(name="EventKey"),
        migrations.RenameModel(old_name="EventKeyDigest", new_name="EventKey"),
        migrations.RemoveIndex(model_name="usageevent", name="usage_event_transaction"),
    ]
