"""Avalara credentials per configured billing provider (/v1/upsertAvalaraCredentials), and the
one accessor a tax provider reads them with. The tax itself is computed at finalize by the tax
app (tax/providers/avalara.py: AvaTax createOrAdjust, voided with the invoice)."""

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from billing_console.api import ApplicationError
from billing_console.encryption import decrypt_secret, encrypt_secret
from billing_console.wire import Reader
from customers.billing_providers import billing_provider_get
from customers.models import AvalaraCredentials, AvalaraEnvironment, ConfiguredBillingProvider

# SettingUpsertAvalaraCredentialsParams (metronome-sdk 4.12.0)
FIELDS = frozenset({
    "avalara_environment", "avalara_username", "avalara_password", "delivery_method_ids",
    "commit_transactions",
})  # fmt: skip
DELIVERY_METHOD_IDS_EMPTY = "delivery_method_ids: must name at least one billing provider."


@dataclass(frozen=True)
class AvalaraAccount:
    """Decrypted credentials, for the tax provider only: never logged, never on the wire."""

    environment: str  # PRODUCTION or SANDBOX
    username: str
    password: str = field(repr=False)
    commit_transactions: bool


@transaction.atomic
def avalara_credentials_upsert(*, data: Any) -> list[AvalaraCredentials]:
    """Set (or replace) the Avalara credentials of each provider in delivery_method_ids. An
    omitted commit_transactions is false. Unknown or archived providers are a 404."""
    reader = Reader(data)
    unknown = sorted(set(data) - FIELDS)
    if unknown:  # accepted means honoured: nothing sent is dropped unseen
        raise reader.fail(unknown[0], "is not a field of upsertAvalaraCredentials.")
    environment = reader.choice(
        "avalara_environment", tuple(AvalaraEnvironment.values), required=True
    )
    username = reader.str("avalara_username", required=True, max_length=200)
    password = reader.str("avalara_password", required=True, max_length=500)
    ids = reader.str_list("delivery_method_ids")
    if not ids:
        raise ApplicationError(DELIVERY_METHOD_IDS_EMPTY)
    commit_transactions = bool(reader.bool("commit_transactions", False))
    providers = [
        billing_provider_get(value, f"delivery_method_ids[{i}]") for i, value in enumerate(ids)
    ]
    password_encrypted = encrypt_secret(password)
    saved = []
    for provider in {p.pk: p for p in providers}.values():
        credentials = AvalaraCredentials.objects.filter(provider=provider).first()
        if credentials is None:
            credentials = AvalaraCredentials(provider=provider)
        credentials.environment = environment
        credentials.username = username
        credentials.password_encrypted = password_encrypted
        credentials.commit_transactions = commit_transactions
        credentials.full_clean()
        credentials.save()  # a full save: auditlog records the change (without the password)
        saved.append(credentials)
    return saved


def avalara_account_get(*, provider: ConfiguredBillingProvider) -> AvalaraAccount | None:
    """The provider's Avalara account, decrypted; None when none is set. Raises
    billing_console.encryption.SecretUnreadable when the encryption key has changed."""
    credentials = AvalaraCredentials.objects.filter(provider=provider).first()
    if credentials is None:
        return None
    return AvalaraAccount(
        environment=credentials.environment,
        username=credentials.username,
        password=decrypt_secret(credentials.password_encrypted),
        commit_transactions=credentials.commit_transactions,
    )
