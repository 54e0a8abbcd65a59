"""/v1/upsertAvalaraCredentials through the official SDK: validation naming the field, the
password encrypted at rest and on no read nor in the audit log, and the tax provider's
accessor that decrypts it."""

import json

import metronome
import pytest
from auditlog.models import LogEntry
from cryptography.fernet import Fernet

from billing_console.encryption import SecretUnreadable, decrypt_secret, encrypt_secret
from customers.avalara import FIELDS, AvalaraAccount, avalara_account_get
from customers.models import AvalaraCredentials, ConfiguredBillingProvider

pytestmark = pytest.mark.sdk

PASSWORD = "av-p4ssw0rd-very-secret"
UNKNOWN = "6b1f2f7e-0000-4000-8000-000000000000"


def _provider(sdk, name: str = "EU entity") -> str:
    return sdk.v1.settings.billing_providers.create(
        billing_provider="stripe",  # type: ignore[arg-type]
        delivery_method="direct_to_billing_provider",
        configuration={"name": name, "stripe_secret_key": "sk_test_51abcdefghijklmnop"},
    ).data.delivery_method_id  # fmt: skip


def _upsert(sdk, ids: list[str], **changes) -> None:
    body = {
        "avalara_environment": "SANDBOX",
        "avalara_username": "billing@example.com",
        "avalara_password": PASSWORD,
        "delivery_method_ids": ids,
        **changes,
    }
    extra = {key: body.pop(key) for key in list(body) if key not in FIELDS}
    sdk.v1.settings.upsert_avalara_credentials(**body, extra_body=extra)


def _message(err: pytest.ExceptionInfo) -> str:
    return err.value.body["message"]  # type: ignore[index]


def test_upsert_stores_the_password_encrypted_and_reads_never_show_it(sdk, db):
    first, second = _provider(sdk), _provider(sdk, "US entity")
    _upsert(sdk, [first, second], commit_transactions=True)

    rows = AvalaraCredentials.objects.order_by("pk")
    assert rows.count() == 2
    assert all(PASSWORD not in row.password_encrypted for row in rows)
    listed = [p.model_dump_json() for p in sdk.v1.settings.billing_providers.list().data]
    audit = [e.model_dump_json() for e in sdk.v1.audit_logs.list()]
    assert listed and audit
    assert not any(PASSWORD in text or "avalara" in text.lower() for text in listed)
    assert not any(PASSWORD in text for text in audit)
    entries = LogEntry.objects.get_for_model(AvalaraCredentials)
    assert entries.count() == 2
    assert all(PASSWORD not in json.dumps(e.changes) for e in entries)
    assert all("password_encrypted" not in json.dumps(e.changes) for e in entries)

    provider = ConfiguredBillingProvider.objects.get(public_id=first)
    account = avalara_account_get(provider=provider)
    assert account == AvalaraAccount(
        environment="SANDBOX", username="billing@example.com", password=PASSWORD,
        commit_transactions=True,
    )  # fmt: skip
    assert PASSWORD not in repr(account)


def test_upsert_replaces_the_credentials(sdk, db):
    provider_id = _provider(sdk)
    _upsert(sdk, [provider_id], commit_transactions=True)
    _upsert(sdk, [provider_id, provider_id], avalara_environment="PRODUCTION",
            avalara_password="new-one")  # fmt: skip
    provider = ConfiguredBillingProvider.objects.get(public_id=provider_id)
    account = avalara_account_get(provider=provider)
    assert account is not None
    assert (account.environment, account.password, account.commit_transactions) == (
        "PRODUCTION", "new-one", False
    )  # fmt: skip
    assert AvalaraCredentials.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"avalara_environment": "STAGING"}, "avalara_environment"),
        ({"avalara_username": ""}, "avalara_username"),
        ({"avalara_password": " "}, "avalara_password"),
        ({"delivery_method_ids": []}, "delivery_method_ids"),
        ({"commit_transactions": "yes"}, "commit_transactions"),
        ({"billing_provider_type": "stripe"}, "billing_provider_type"),  # not in the SDK
    ],
)
def test_upsert_rejects_bad_fields_naming_them(sdk, db, changes, field):
    provider_id = _provider(sdk)
    with pytest.raises(metronome.BadRequestError) as err:
        _upsert(sdk, [provider_id], **changes)
    assert _message(err).startswith(f"{field}:"), _message(err)
    assert AvalaraCredentials.objects.count() == 0


def test_upsert_for_an_unknown_provider_is_404_and_stores_nothing(sdk, db):
    provider_id = _provider(sdk)
    with pytest.raises(metronome.NotFoundError) as err:
        _upsert(sdk, [provider_id, UNKNOWN])
    assert _message(err).startswith("delivery_method_ids[1]:")
    assert AvalaraCredentials.objects.count() == 0


def test_upsert_with_a_read_only_token_is_refused(live_server, db):
    from billing_console.services import api_token_create

    _token, raw = api_token_create(name="viewer", read_only=True)
    client = metronome.Metronome(bearer_token=raw, base_url=live_server.url, max_retries=0)
    with pytest.raises(metronome.PermissionDeniedError):
        _upsert(client, [UNKNOWN])
    client.close()


def test_account_get_is_none_without_credentials(sdk, db):
    provider = ConfiguredBillingProvider.objects.get(public_id=_provider(sdk))
    assert avalara_account_get(provider=provider) is None


def test_secrets_survive_key_rotation_and_fail_loudly_without_the_key(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.SECRETS_ENCRYPTION_KEYS = [old]
    token = encrypt_secret("s3cret")
    settings.SECRETS_ENCRYPTION_KEYS = [new, old]
    assert decrypt_secret(token) == "s3cret"
    settings.SECRETS_ENCRYPTION_KEYS = [new]
    with pytest.raises(SecretUnreadable):
        decrypt_secret(token)


def test_without_keys_a_key_is_derived_from_secret_key(settings):
    settings.SECRETS_ENCRYPTION_KEYS = []
    token = encrypt_secret("s3cret")
    assert decrypt_secret(token) == "s3cret"
    settings.SECRET_KEY = "another-secret-key-entirely"
    with pytest.raises(SecretUnreadable):
        decrypt_secret(token)
