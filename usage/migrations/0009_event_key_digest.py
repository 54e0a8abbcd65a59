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
    old, new = apps.get_model("usage", "EventKey"), apps.get_model("usage", "EventKeyDigest")
    event = apps.get_model("usage", "UsageEvent")
    keys = list(old.objects.values_list("transaction_id", "received_at"))
    for start in range(0, len(keys), 500):
        chunk = dict(keys[start : start + 500])
        ids = dict(
            event.objects.filter(transaction_id__in=list(chunk))
            .order_by("-pk")
            .values_list("transaction_id", "pk")
        )
        new.objects.bulk_create(
            [
                new(
                    key=uuid.UUID(bytes=hashlib.sha256(t.encode()).digest()[:16]),
                    event_id=ids.get(t, 0),
                    received_at=at,
                )
                for t, at in chunk.items()
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
    old, new = apps.get_model("usage", "EventKey"), apps.get_model("usage", "EventKeyDigest")
    event = apps.get_model("usage", "UsageEvent")
    keys = list(new.objects.values_list("event_id", "received_at"))
    for start in range(0, len(keys), 500):
        chunk = dict(keys[start : start + 500])
        ids = event.objects.filter(pk__in=list(chunk)).values_list("pk", "transaction_id")
        old.objects.bulk_create(
            [old(transaction_id=t, received_at=chunk[pk]) for pk, t in ids], ignore_conflicts=True
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
