"""Production with IDENTITY_PROVIDER=saml fails closed: our address, entityID,
key, certificate, contact and the identity provider's metadata must be set, and
addresses must be https. Each case starts a fresh Python (settings are read at
import). Also: the key command and the deploy checks."""

import sys

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command

from identity.checks import saml_service_provider
from tests.chatservice.production import production_env, run
from tests.identity.saml_support import require_xmlsec

SAML = {
    "IDENTITY_PROVIDER": "saml",
    "IDENTITY_HETU_KEYS": Fernet.generate_key().decode(),
    "IDENTITY_HETU_HMAC_KEY": "h" * 20 + "M7qPz0xW3vL9sK2dF6gT",
    "IDENTITY_SAML_BASE_URL": "https://chat.example.fi",
    "IDENTITY_SAML_ENTITY_ID": "https://chat.example.fi/identify/saml/metadata/",
    "IDENTITY_SAML_KEY_FILE": "/run/secrets/saml.key",
    "IDENTITY_SAML_CERT_FILE": "/run/secrets/saml.crt",
    "IDENTITY_SAML_IDP_METADATA_URL": "https://static.apro.tunnistus.fi/static/metadata/idp-metadata.xml",
    "IDENTITY_SAML_CONTACT_EMAIL": "tunnistus@example.fi",
}


def load(tmp_path, **changes):
    env = production_env(tmp_path, **{**SAML, **changes})
    code = (
        "from django.conf import settings as s; s.INSTALLED_APPS; "
        "print(s.IDENTITY_PROVIDER, s.IDENTITY_STANDIN_ENABLED)"
    )
    return run([sys.executable, "-c", code], env)


def test_a_complete_saml_production_configuration_loads(tmp_path):
    result = load(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["saml", "False"]


@pytest.mark.parametrize(
    "name",
    [
        "IDENTITY_SAML_BASE_URL",
        "IDENTITY_SAML_ENTITY_ID",
        "IDENTITY_SAML_KEY_FILE",
        "IDENTITY_SAML_CERT_FILE",
        "IDENTITY_SAML_CONTACT_EMAIL",
    ],
)
def test_production_needs_each_saml_variable(tmp_path, name):
    result = load(tmp_path, **{name: None})
    assert result.returncode != 0
    assert f"{name} must be set when CHATSERVICE_ENV=production" in result.stderr


def test_production_needs_the_identity_provider_metadata(tmp_path):
    result = load(tmp_path, IDENTITY_SAML_IDP_METADATA_URL=None)
    assert result.returncode != 0
    assert "IDENTITY_SAML_IDP_METADATA_FILE or IDENTITY_SAML_IDP_METADATA_URL" in result.stderr


@pytest.mark.parametrize("name", ["IDENTITY_SAML_BASE_URL", "IDENTITY_SAML_IDP_METADATA_URL"])
def test_production_addresses_must_be_https(tmp_path, name):
    result = load(tmp_path, **{name: "http://chat.example.fi"})
    assert result.returncode != 0
    assert f"{name} must be an https:// address" in result.stderr


def test_the_key_command_writes_a_private_key_and_a_certificate(tmp_path, settings):
    call_command(
        "identity_saml_keys", "generate", "--cn", "chat.example.fi", "--out", str(tmp_path)
    )
    assert (tmp_path / "saml.key").stat().st_mode & 0o777 == 0o600
    assert b"BEGIN CERTIFICATE" in (tmp_path / "saml.crt").read_bytes()
    settings.IDENTITY_PROVIDER = "saml"
    settings.IDENTITY_SAML_KEY_FILE = str(tmp_path / "saml.key")
    settings.IDENTITY_SAML_CERT_FILE = str(tmp_path / "saml.crt")
    settings.IDENTITY_SAML_IDP_METADATA_FILE = ""
    require_xmlsec()
    assert saml_service_provider(None) == []
    with pytest.raises(Exception, match="exists already"):
        call_command(
            "identity_saml_keys", "generate", "--cn", "chat.example.fi", "--out", str(tmp_path)
        )


def test_the_deploy_check_refuses_a_certificate_of_another_key(tmp_path, settings):
    for name in ("a", "b"):
        call_command("identity_saml_keys", "generate", "--cn", name, "--out", str(tmp_path / name))
    settings.IDENTITY_PROVIDER = "saml"
    settings.IDENTITY_SAML_KEY_FILE = str(tmp_path / "a" / "saml.key")
    settings.IDENTITY_SAML_CERT_FILE = str(tmp_path / "b" / "saml.crt")
    settings.IDENTITY_SAML_IDP_METADATA_FILE = str(tmp_path / "missing.xml")
    ids = {error.id for error in saml_service_provider(None)}
    assert {"identity.E004", "identity.E005"} <= ids
