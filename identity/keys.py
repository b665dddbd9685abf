"""This service's JOSE keys as an OpenID Connect relying party, and the stand-in
provider's keys in development.

The relying party has two kinds of private keys (JWK, `use` = `sig` / `enc`):
- `sig`: signs the request object and the `private_key_jwt` client assertion.
  The first `sig` key signs; the others stay published while providers may
  still hold them (rotation).
- `enc`: the provider encrypts ID tokens to one of them (chosen by `kid`); every
  `enc` key decrypts, so a new key can be published before the old one goes.

Production reads a private JWK Set from IDENTITY_OIDC_CLIENT_JWKS (JSON) or the
file IDENTITY_OIDC_CLIENT_JWKS_FILE (`manage.py identity_keys generate` writes
one). Development generates keys once into IDENTITY_DEV_KEY_FILE (under var/,
mode 0600) so that every process of `make run` shares them.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from joserfc.jwk import ECKey, Key, KeySet, RSAKey

MIN_RSA_BITS = 2048


@dataclass(frozen=True)
class ClientKeys:
    signing: Key
    signing_alg: str
    decryption: tuple[Key, ...]
    public_jwks: dict[str, Any]


def signing_alg(key: Key) -> str:
    """The JWS algorithm of a signing key: its `alg`, else RS256 / ES256 by type."""
    if isinstance(key, RSAKey):
        return str(key.alg or "RS256")
    if isinstance(key, ECKey) and key.curve_name == "P-256":
        return "ES256"
    raise ImproperlyConfigured("Signing keys must be RSA or EC P-256.")


def _check(key: Key, source: str) -> None:
    if not key.is_private:
        raise ImproperlyConfigured(f"{source}: key {key.kid!r} has no private part.")
    if key.get("use") not in ("sig", "enc"):
        raise ImproperlyConfigured(f'{source}: key {key.kid!r} needs "use": "sig" or "enc".')
    if isinstance(key, RSAKey):
        if key.raw_value.key_size < MIN_RSA_BITS:
            raise ImproperlyConfigured(
                f"{source}: RSA keys must have at least {MIN_RSA_BITS} bits."
            )
    elif isinstance(key, ECKey) and key.curve_name == "P-256" and key.get("use") == "sig":
        pass
    else:
        raise ImproperlyConfigured(
            f"{source}: keys must be RSA (signing or encryption) or EC P-256 (signing)."
        )


def load_key_set(data: dict[str, Any], source: str) -> KeySet:
    try:
        key_set = KeySet.import_key_set(data)  # type: ignore[arg-type]
    except Exception:
        raise ImproperlyConfigured(f"{source} is not a private JWK Set.") from None
    kids = set()
    for key in key_set:
        if not key.get("kid"):
            raise ImproperlyConfigured(f'{source}: every key needs a "kid".')
        if key.kid in kids:
            raise ImproperlyConfigured(f'{source}: "kid" {key.kid!r} is used twice.')
        kids.add(key.kid)
        _check(key, source)
    return key_set


def generate_client_jwks() -> dict[str, Any]:
    """A new private JWK Set for the relying party: one signing, one encryption key."""
    keys: list[Key] = [
        RSAKey.generate_key(MIN_RSA_BITS, parameters={"use": "sig", "alg": "RS256"}),
        RSAKey.generate_key(MIN_RSA_BITS, parameters={"use": "enc", "alg": "RSA-OAEP-256"}),
    ]
    for key in keys:
        key.ensure_kid()
    return KeySet(keys).as_dict(private=True)  # type: ignore[return-value]


def _generate_standin_jwks() -> dict[str, Any]:
    keys: list[Key] = [
        RSAKey.generate_key(MIN_RSA_BITS, parameters={"use": "sig", "alg": "RS256"}),
        ECKey.generate_key("P-256", parameters={"use": "sig", "alg": "ES256"}),
    ]
    for key in keys:
        key.ensure_kid()
    return KeySet(keys).as_dict(private=True)  # type: ignore[return-value]


@lru_cache(maxsize=4)
def _dev_keys(path: str) -> dict[str, Any]:
    """The development keys: read from `path`, or generated and written there once
    (exclusively, so that concurrent processes end up with the same keys).
    An empty path keeps them in this process only."""
    fresh = {"client": generate_client_jwks(), "standin": _generate_standin_jwks()}
    if not path:
        return fresh
    target = Path(path)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".keys-")
        try:
            with os.fdopen(fd, "w") as handle:  # mkstemp: mode 0600
                json.dump(fresh, handle)
            # os.link fails if another process was first: theirs are the keys then.
            with contextlib.suppress(FileExistsError):
                os.link(temporary, target)
        finally:
            os.unlink(temporary)
    return json.loads(target.read_text())


@lru_cache(maxsize=8)
def _client_keys(jwks_json: str, jwks_file: str, dev_file: str, production: bool) -> ClientKeys:
    if jwks_json:
        source = "IDENTITY_OIDC_CLIENT_JWKS"
        try:
            data = json.loads(jwks_json)
        except ValueError:
            raise ImproperlyConfigured(f"{source} is not JSON.") from None
    elif jwks_file:
        source = "IDENTITY_OIDC_CLIENT_JWKS_FILE"
        try:
            data = json.loads(Path(jwks_file).read_text())
        except (OSError, ValueError):
            raise ImproperlyConfigured(f"{source} is not a readable JSON file.") from None
    else:
        if production:
            raise ImproperlyConfigured(
                "IDENTITY_OIDC_CLIENT_JWKS or IDENTITY_OIDC_CLIENT_JWKS_FILE must be set "
                "when CHATSERVICE_ENV=production (docs/identity.md)."
            )
        source = "the development keys"
        data = _dev_keys(dev_file)["client"]
    key_set = load_key_set(data, source)
    signing = [k for k in key_set if k.get("use") == "sig"]
    encryption = [k for k in key_set if k.get("use") == "enc"]
    if not signing or not encryption:
        raise ImproperlyConfigured(f'{source} needs at least one "sig" and one "enc" key.')
    if not all(isinstance(k, RSAKey) for k in encryption):
        raise ImproperlyConfigured(f"{source}: encryption keys must be RSA (RSA-OAEP).")
    return ClientKeys(
        signing=signing[0],
        signing_alg=signing_alg(signing[0]),
        decryption=tuple(encryption),
        public_jwks=key_set.as_dict(private=False),  # type: ignore[arg-type]
    )


def client_keys() -> ClientKeys:
    return _client_keys(
        settings.IDENTITY_OIDC_CLIENT_JWKS,
        settings.IDENTITY_OIDC_CLIENT_JWKS_FILE,
        str(settings.IDENTITY_DEV_KEY_FILE),
        settings.PRODUCTION,
    )


def standin_keys() -> KeySet:
    """The stand-in provider's private signing keys (RS256 and ES256)."""
    return load_key_set(_dev_keys(str(settings.IDENTITY_DEV_KEY_FILE))["standin"], "stand-in keys")
