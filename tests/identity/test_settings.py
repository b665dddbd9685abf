"""Production fails closed on identification too: keys and the provider must be
configured, and nothing meant for development (the stand-in provider, the test
level) may be switched on. Settings are read at import, so each case starts a
fresh Python (tests/chatservice/production.py)."""

import json
import sys

import pytest
from cryptography.fernet import Fernet

from identity.keys import generate_client_jwks
from tests.chatservice.production import production_env, run

IDENTITY = {
    "IDENTITY_HETU_KEYS": Fernet.generate_key().decode(),
    "IDENTITY_HETU_HMAC_KEY": "h" * 20 + "M7qPz0xW3vL9sK2dF6gT",
    "IDENTITY_OIDC_ISSUER": "https://tunnistus.example.fi",
    "IDENTITY_OIDC_CLIENT_ID": "county-chat",
    "IDENTITY_OIDC_REDIRECT_URI": "https://chat.example.fi/identify/callback/",
}


@pytest.fixture(scope="module")
def client_jwks() -> str:
    return json.dumps(generate_client_jwks())


def load(tmp_path, client_jwks, **changes):
    env = production_env(
        tmp_path, **{**IDENTITY, "IDENTITY_OIDC_CLIENT_JWKS": client_jwks, **changes}
    )
    code = (
        "from django.conf import settings as s; s.INSTALLED_APPS; "
        "print(s.IDENTITY_STANDIN_ENABLED, s.IDENTITY_ALLOW_TEST_LEVEL)"
    )
    return run([sys.executable, "-c", code], env)


def test_a_complete_production_configuration_loads_with_the_stand_in_off(tmp_path, client_jwks):
    result = load(tmp_path, client_jwks)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]


@pytest.mark.parametrize(
    "name",
    [
        "IDENTITY_HETU_KEYS",
        "IDENTITY_HETU_HMAC_KEY",
        "IDENTITY_OIDC_ISSUER",
        "IDENTITY_OIDC_CLIENT_ID",
        "IDENTITY_OIDC_REDIRECT_URI",
    ],
)
def test_production_needs_each_identification_variable(tmp_path, client_jwks, name):
    result = load(tmp_path, client_jwks, **{name: None})
    assert result.returncode != 0
    assert f"{name} must be set when CHATSERVICE_ENV=production" in result.stderr


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"IDENTITY_OIDC_CLIENT_JWKS": None},
            "IDENTITY_OIDC_CLIENT_JWKS or IDENTITY_OIDC_CLIENT_JWKS_FILE",
        ),
        ({"IDENTITY_STANDIN": "true"}, "IDENTITY_STANDIN must be off"),
        ({"IDENTITY_ALLOW_TEST_LEVEL": "true"}, "IDENTITY_ALLOW_TEST_LEVEL must be off"),
        ({"IDENTITY_HETU_HMAC_KEY": "short"}, "at least 32 characters"),
        (
            {"IDENTITY_OIDC_ISSUER": "http://tunnistus.example.fi"},
            "IDENTITY_OIDC_ISSUER must be an https",
        ),
        ({"IDENTITY_PROVIDER": "sam1"}, "IDENTITY_PROVIDER must be one of"),
    ],
)
def test_production_refuses_unsafe_identification_settings(tmp_path, client_jwks, changes, message):
    result = load(tmp_path, client_jwks, **changes)
    assert result.returncode != 0
    assert message in result.stderr


def test_the_hmac_key_must_not_be_an_encryption_key(tmp_path, client_jwks):
    key = Fernet.generate_key().decode() + "-padding-to-32"
    result = load(tmp_path, client_jwks, IDENTITY_HETU_KEYS=key, IDENTITY_HETU_HMAC_KEY=key)
    assert result.returncode != 0
    assert "a secret of its own" in result.stderr
