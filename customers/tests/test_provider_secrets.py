"""The configured billing providers' secrets (Stripe secret key and webhook secret, Azure client
secret) are Fernet tokens in the database, read and set in plain through the model; migration
0005 encrypted the plain values stored before."""

import importlib

import pytest
from auditlog.models import LogEntry
from cryptography.fernet import Fernet
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from billing_console.api import ApplicationError
from billing_console.encryption import decrypt_secret
from customers.billing_providers import (
    STORED_SECRET_UNREADABLE,
    billing_provider_set_up,
    billing_provider_update,
)
from customers.models import ConfiguredBillingProvider

pytestmark = pytest.mark.django_db

KEY = "sk_test_4eC39HqLyjWDarjtT1zdp7dc"
WHSEC = "whsec_testsecret123"
MIGRATION = importlib.import_module("customers.migrations.0005_encrypt_provider_secrets")


def _stripe(**config: str) -> ConfiguredBillingProvider:
    return billing_provider_set_up(
        data={"billing_provider": "stripe", "delivery_method": "direct_to_billing_provider",
              "configuration": {"name": "US entity", "stripe_secret_key": KEY,
                                "stripe_webhook_secret": WHSEC, **config}}
    )  # fmt: skip


def _columns(pk: int) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT secret_key_encrypted, webhook_secret_encrypted "
            "FROM customers_configuredbillingprovider WHERE id = %s",
            [pk],
        )
        return cursor.fetchone()


def test_the_columns_hold_tokens_and_the_model_reads_the_plain_secrets():
    provider = _stripe()
    stored_key, stored_whsec = _columns(provider.pk)
    assert KEY not in stored_key and WHSEC not in stored_whsec
    assert decrypt_secret(stored_key) == KEY and decrypt_secret(stored_whsec) == WHSEC
    fresh = ConfiguredBillingProvider.objects.get(pk=provider.pk)
    assert (fresh.secret_key, fresh.webhook_secret) == (KEY, WHSEC)
    assert fresh.masked_secret_key == "sk_test_…p7dc"
    assert fresh.has_secret_key and fresh.has_webhook_secret


def test_an_unset_secret_is_stored_empty():
    provider = ConfiguredBillingProvider.objects.create(
        billing_provider="gcp_marketplace", delivery_method="direct_to_billing_provider"
    )
    assert _columns(provider.pk) == ("", "")
    assert (provider.secret_key, provider.webhook_secret, provider.has_secret_key) == ("", "", False)  # fmt: skip


def test_a_500_character_secret_fits():
    secret = "x" * 500
    provider = ConfiguredBillingProvider.objects.create(
        billing_provider="azure_marketplace", delivery_method="direct_to_billing_provider",
        secret_key=secret, webhook_secret=secret,
    )  # fmt: skip
    assert len(_columns(provider.pk)[0]) > 500
    fresh = ConfiguredBillingProvider.objects.get(pk=provider.pk)
    assert fresh.secret_key == secret and fresh.webhook_secret == secret


def test_the_same_set_up_again_compares_plain_secrets():
    first = _stripe()
    assert _stripe().pk == first.pk  # tokens differ at every encryption; the secrets do not
    assert _stripe(stripe_webhook_secret="whsec_othersecret1").pk != first.pk


def test_update_keeps_blank_secrets_and_encrypts_new_ones():
    provider = _stripe()
    billing_provider_update(provider=provider, name="US", webhook_secret="whsec_rotated12345")
    fresh = ConfiguredBillingProvider.objects.get(pk=provider.pk)
    assert (fresh.secret_key, fresh.webhook_secret) == (KEY, "whsec_rotated12345")
    assert "whsec_rotated12345" not in _columns(provider.pk)[1]


def test_the_audit_log_records_no_secret():
    provider = _stripe()
    billing_provider_update(provider=provider, name="US", secret_key="sk_test_rotatedKey00000001")
    entries = LogEntry.objects.get_for_object(provider)
    assert entries.count() == 2
    text = " ".join(str(e.changes) for e in entries)
    assert "secret" not in text and "sk_test" not in text and "whsec" not in text


def test_secrets_encrypted_with_a_key_no_longer_configured(settings):
    settings.SECRETS_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    provider = _stripe()
    settings.SECRETS_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    provider = ConfiguredBillingProvider.objects.get(pk=provider.pk)
    assert provider.masked_secret_key == "unreadable: set it again"
    assert _stripe().pk != provider.pk  # an unreadable secret is not the same set-up
    with pytest.raises(ApplicationError) as err:
        billing_provider_update(provider=provider, name="US")
    assert err.value.message == STORED_SECRET_UNREADABLE.format(field="secret_key")
    billing_provider_update(provider=provider, name="US", secret_key=KEY, webhook_secret=WHSEC)
    assert ConfiguredBillingProvider.objects.get(pk=provider.pk).secret_key == KEY


def _historical_apps():  # the models as migration 0005 sees them
    state = MigrationLoader(connection).project_state(
        ("customers", "0005_encrypt_provider_secrets")
    )
    return state.apps


def test_the_migration_encrypts_plain_values_and_reverses():
    provider = ConfiguredBillingProvider.objects.create(
        billing_provider="stripe", delivery_method="direct_to_billing_provider"
    )
    # As stored before 0005: plain values (the column was renamed, the values kept).
    ConfiguredBillingProvider.objects.filter(pk=provider.pk).update(
        secret_key_encrypted=KEY, webhook_secret_encrypted=""
    )
    apps = _historical_apps()
    MIGRATION.encrypt_existing(apps, None)
    stored_key, stored_whsec = _columns(provider.pk)
    assert KEY not in stored_key and stored_whsec == ""
    fresh = ConfiguredBillingProvider.objects.get(pk=provider.pk)
    assert (fresh.secret_key, fresh.webhook_secret) == (KEY, "")

    MIGRATION.decrypt_existing(apps, None)
    assert _columns(provider.pk) == (KEY, "")
