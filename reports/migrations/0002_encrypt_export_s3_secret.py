"""Encrypt the export schedules' S3 secret access keys at rest: `s3_secret_access_key` becomes
`s3_secret_access_key_encrypted`, a Fernet token (text: a 200-character key makes a
~350-character token), with the existing plain values encrypted. Reversible: going back
decrypts them into the plain column."""

from django.db import migrations, models

from billing_console.encryption import decrypt_secret, encrypt_secret

FIELD = "s3_secret_access_key_encrypted"


def _convert(apps, convert) -> None:  # type: ignore[no-untyped-def]
    model = apps.get_model("reports", "ExportSchedule")
    for row in model.objects.exclude(**{FIELD: ""}).only("pk", FIELD).iterator():
        setattr(row, FIELD, convert(getattr(row, FIELD)))
        row.save(update_fields=[FIELD])


def encrypt_existing(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    _convert(apps, encrypt_secret)


def decrypt_existing(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    # Raises SecretUnreadable (the migration rolls back) when a key is no longer configured.
    _convert(apps, decrypt_secret)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
    ]

    operations = [
        migrations.RenameField(
            model_name="exportschedule",
            old_name="s3_secret_access_key",
            new_name="s3_secret_access_key_encrypted",
        ),
        migrations.AlterField(
            model_name="exportschedule",
            name="s3_secret_access_key_encrypted",
            field=models.TextField(blank=True),
        ),
        migrations.RunPython(encrypt_existing, decrypt_existing),
    ]
