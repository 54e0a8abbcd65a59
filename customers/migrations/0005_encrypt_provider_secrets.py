"""Encrypt the configured billing providers' secrets at rest: `secret_key` and `webhook_secret`
become `secret_key_encrypted` and `webhook_secret_encrypted`, Fernet tokens (text: a
500-character secret makes a ~760-character token), with the existing plain values encrypted.
Reversible: going back decrypts them into the plain columns."""

from django.db import migrations, models

from billing_console.encryption import decrypt_secret, encrypt_secret

FIELDS = ("secret_key_encrypted", "webhook_secret_encrypted")


def _convert(apps, convert) -> None:  # type: ignore[no-untyped-def]
    model = apps.get_model("customers", "ConfiguredBillingProvider")
    for row in model.objects.only("pk", *FIELDS).iterator():
        for field in FIELDS:
            value = getattr(row, field)
            setattr(row, field, convert(value) if value else "")
        row.save(update_fields=FIELDS)


def encrypt_existing(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    _convert(apps, encrypt_secret)


def decrypt_existing(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    # Raises SecretUnreadable (the migration rolls back) when a key is no longer configured.
    _convert(apps, decrypt_secret)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0004_avalara_credentials"),
    ]

    operations = [
        migrations.RenameField(
            model_name="configuredbillingprovider",
            old_name="secret_key",
            new_name="secret_key_encrypted",
        ),
        migrations.RenameField(
            model_name="configuredbillingprovider",
            old_name="webhook_secret",
            new_name="webhook_secret_encrypted",
        ),
        migrations.AlterField(
            model_name="configuredbillingprovider",
            name="secret_key_encrypted",
            field=models.TextField(blank=True),
        ),
        migrations.AlterField(
            model_name="configuredbillingprovider",
            name="webhook_secret_encrypted",
            field=models.TextField(blank=True),
        ),
        migrations.RunPython(encrypt_existing, decrypt_existing),
    ]
