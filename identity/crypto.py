"""Personal identity codes at rest: encryption and keyed hashes.

- Encryption: Fernet (AES-128-CBC + HMAC-SHA256, authenticated) through
  MultiFernet, keys from IDENTITY_HETU_KEYS (comma-separated, newest first). The
  first key encrypts; every key decrypts, so a new key is put first, the stored
  codes are re-encrypted (`manage.py rotate_hetu_keys`), and the old key is then
  removed.
- Lookups: HMAC-SHA256 keyed with IDENTITY_HETU_HMAC_KEY, a separate secret. A
  plain hash of a HETU is brute-forced in seconds (about 10^9 valid codes); the
  keyed hash is not, without the key.

Without the variables (development only; production refuses to start, see
settings) the keys are derived from SECRET_KEY, so `make run` works as is.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

__all__ = ["InvalidToken", "decrypt_hetu", "encrypt_hetu", "hetu_digest", "subject_digest"]


def _derive(purpose: bytes) -> bytes:
    """32 bytes from SECRET_KEY for one purpose (development defaults only)."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"chatservice.identity", info=purpose
    ).derive(settings.SECRET_KEY.encode())


@lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    if not keys:
        return MultiFernet([Fernet(base64.urlsafe_b64encode(_derive(b"hetu encryption v1")))])
    try:
        return MultiFernet([Fernet(key.strip().encode()) for key in keys])
    except (ValueError, TypeError):
        raise ImproperlyConfigured(
            "IDENTITY_HETU_KEYS must be comma-separated Fernet keys (generate one with: "
            "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')."
        ) from None


def fernet() -> MultiFernet:
    return _fernet(tuple(k for k in settings.IDENTITY_HETU_KEYS if k.strip()), settings.SECRET_KEY)


def _hmac_key() -> bytes:
    configured = settings.IDENTITY_HETU_HMAC_KEY
    if configured:
        return configured.encode()
    return _derive(b"hetu lookup hmac v1")


def encrypt_hetu(hetu: str) -> str:
    return fernet().encrypt(hetu.encode()).decode()


def decrypt_hetu(ciphertext: str) -> str:
    """Raises InvalidToken when no configured key opens it."""
    return fernet().decrypt(ciphertext.encode()).decode()


def reencrypt_hetu(ciphertext: str) -> str:
    """The same code encrypted with the newest key (key rotation)."""
    return fernet().rotate(ciphertext.encode()).decode()


def _digest(kind: str, value: str) -> str:
    # The kind separates the domains: a subject can never collide with a code.
    return hmac.new(_hmac_key(), f"{kind}\x00{value}".encode(), hashlib.sha256).hexdigest()


def hetu_digest(hetu: str) -> str:
    """Keyed hash of a personal identity code, exactly as given (the century sign
    is part of the identity and is not normalised)."""
    return _digest("hetu", hetu)


def subject_digest(*, provider: str, issuer: str, subject: str) -> str:
    """Keyed hash of a provider's identifier of a person (eIDAS users have no HETU)."""
    return _digest("subject", f"{provider}\x00{issuer}\x00{subject}")


def pseudonym(digest: str) -> str:
    """A short keyed pseudonym for the timeline and logs (never the code itself)."""
    return digest[:16]
