"""Key and certificate files for SAML (xmlsec1, which pysaml2 drives, reads files).

Production: this service's private key and certificate (one pair signs and
decrypts, as Suomi.fi expects) come from IDENTITY_SAML_KEY_FILE and
IDENTITY_SAML_CERT_FILE (e.g. container secrets). Development and tests
generate a self-signed pair on first use under `<dir of IDENTITY_DEV_KEY_FILE>/saml/`
(mode 0600), together with the stand-in identity provider's two signing pairs
(two, as Suomi.fi publishes two certificates while it rotates).
`manage.py identity_saml_keys` makes a key and a self-signed certificate for
Suomi.fi's test environment.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MIN_RSA_BITS = 2048
STANDIN_IDP_PAIRS = ("idp-1", "idp-2")


@dataclass(frozen=True)
class KeyPair:
    key_file: str
    cert_file: str

    @property
    def certificate_pem(self) -> str:
        return Path(self.cert_file).read_text()


def generate_pair(common_name: str, *, days: int = 730, bits: int = 3072) -> tuple[bytes, bytes]:
    """A new RSA private key and a self-signed certificate (PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return key_pem, certificate.public_bytes(serialization.Encoding.PEM)


def dev_dir() -> Path:
    return Path(settings.IDENTITY_DEV_KEY_FILE).parent / "saml"


def _ensure_dev_keys(directory: Path) -> None:
    """Generate every development pair once, atomically: a whole directory is
    renamed into place, so concurrent processes end up with the same keys."""
    if (directory / "sp.key").exists():
        return
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=directory.parent, prefix=".saml-"))
    try:
        for name in ("sp", *STANDIN_IDP_PAIRS):
            key_pem, cert_pem = generate_pair(f"chatservice development {name}", bits=2048)
            key_path = staging / f"{name}.key"
            key_path.write_bytes(key_pem)
            key_path.chmod(0o600)
            (staging / f"{name}.crt").write_bytes(cert_pem)
        with contextlib.suppress(OSError):  # another process was first: theirs are the keys
            staging.rename(directory)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def _dev_pair(name: str) -> KeyPair:
    directory = dev_dir()
    _ensure_dev_keys(directory)
    return KeyPair(str(directory / f"{name}.key"), str(directory / f"{name}.crt"))


def _check_pair(pair: KeyPair) -> KeyPair:
    try:
        key = serialization.load_pem_private_key(Path(pair.key_file).read_bytes(), password=None)
        certificate = x509.load_pem_x509_certificate(Path(pair.cert_file).read_bytes())
    except (OSError, ValueError, TypeError):
        raise ImproperlyConfigured(
            "IDENTITY_SAML_KEY_FILE / IDENTITY_SAML_CERT_FILE must be a readable PEM private "
            "key (unencrypted) and its PEM certificate."
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < MIN_RSA_BITS:
        raise ImproperlyConfigured(f"The SAML key must be RSA of at least {MIN_RSA_BITS} bits.")
    public = certificate.public_key()
    if not isinstance(public, rsa.RSAPublicKey) or (
        public.public_numbers() != key.public_key().public_numbers()
    ):
        raise ImproperlyConfigured("IDENTITY_SAML_CERT_FILE is not the certificate of the key.")
    return pair


def service_pair() -> KeyPair:
    """This service's signing and encryption pair."""
    if settings.IDENTITY_SAML_KEY_FILE or settings.IDENTITY_SAML_CERT_FILE:
        return _check_pair(
            KeyPair(settings.IDENTITY_SAML_KEY_FILE, settings.IDENTITY_SAML_CERT_FILE)
        )
    if settings.PRODUCTION:
        raise ImproperlyConfigured(
            "IDENTITY_SAML_KEY_FILE and IDENTITY_SAML_CERT_FILE must be set when "
            "CHATSERVICE_ENV=production (docs/identity.md)."
        )
    return _dev_pair("sp")


def standin_idp_pairs() -> tuple[KeyPair, ...]:
    """The stand-in identity provider's two signing pairs (both published)."""
    return tuple(_dev_pair(name) for name in STANDIN_IDP_PAIRS)


def write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
