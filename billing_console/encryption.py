"""Secrets kept in the database (a tax provider's password, a billing provider's API key and
webhook secret, an export's S3 secret access key), encrypted at rest with Fernet (AES-128-CBC +
HMAC-SHA256, from `cryptography`).

SECRETS_ENCRYPTION_KEYS lists Fernet keys: the first encrypts, every one decrypts, so a key is
rotated by putting the new one first and re-saving the secrets. With none set, one key is
derived from SECRET_KEY (HKDF), so rotating SECRET_KEY then makes stored secrets unreadable:
production should set its own key."""

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

SECRET_UNREADABLE = (
    "A stored secret cannot be decrypted with SECRETS_ENCRYPTION_KEYS: the key it was "
    "encrypted with is no longer configured. Set it up again."
)


class SecretUnreadable(Exception):
    pass


def _derived_key() -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"billing-console secrets")
    return base64.urlsafe_b64encode(hkdf.derive(settings.SECRET_KEY.encode()))


def _fernet() -> MultiFernet:
    keys = list(settings.SECRETS_ENCRYPTION_KEYS) or [_derived_key()]
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as err:
        raise ImproperlyConfigured(
            "SECRETS_ENCRYPTION_KEYS: each key must be 32 url-safe base64-encoded bytes "
            "(Fernet.generate_key())."
        ) from err


def encrypt_secret(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode()


def decrypt_secret(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as err:
        raise SecretUnreadable(SECRET_UNREADABLE) from err
