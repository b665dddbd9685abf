"""Production mode fails closed. Settings are read once, at import, so each case
starts a fresh Python with the environment under test."""

import os
import subprocess
import sys

import pytest

from tests.chatservice.production import SETTINGS_VARIABLES, STRONG_KEY, production_env, run


def load_settings(env: dict[str, str], expression: str = "'loaded'") -> subprocess.CompletedProcess:
    code = f"from django.conf import settings as s; s.INSTALLED_APPS; print(({expression}))"
    return run([sys.executable, "-c", code], env)


def test_complete_production_environment_loads(tmp_path):
    result = load_settings(production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "loaded"


@pytest.mark.parametrize(
    "name",
    [
        "DATABASE_URL",
        "REDIS_URL",
        "DJANGO_SECRET_KEY",
        "DJANGO_ALLOWED_HOSTS",
        "DJANGO_CSRF_TRUSTED_ORIGINS",
    ],
)
def test_production_refuses_to_start_without_a_required_variable(tmp_path, name):
    result = load_settings(production_env(tmp_path, **{name: None}))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{name} must be set when CHATSERVICE_ENV=production" in result.stderr


@pytest.mark.parametrize(
    "key",
    [
        "x",
        "a" * 80,  # long, but one character
        "abcd" * 20,  # four different characters
        "django-insecure-" + STRONG_KEY,
        "dev-only-insecure-secret-key-change-me-in-production-0123456789",  # the repository's
    ],
)
def test_production_refuses_a_weak_secret_key(tmp_path, key):
    result = load_settings(production_env(tmp_path, DJANGO_SECRET_KEY=key))
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is too weak" in result.stderr
    assert key not in result.stderr or key == "x"  # the key itself is not printed


def test_an_empty_variable_counts_as_missing(tmp_path):
    result = load_settings(production_env(tmp_path, DATABASE_URL=""))
    assert result.returncode != 0
    assert "DATABASE_URL must be set when CHATSERVICE_ENV=production" in result.stderr


def test_a_misspelt_environment_is_refused_not_treated_as_development(tmp_path):
    result = load_settings(production_env(tmp_path, CHATSERVICE_ENV="prod"))
    assert result.returncode != 0
    assert "CHATSERVICE_ENV must be 'development' or 'production'" in result.stderr


def test_production_refuses_debug(tmp_path):
    result = load_settings(production_env(tmp_path, DJANGO_DEBUG="true"))
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be off" in result.stderr


def test_production_turns_on_https_redirect_and_hsts_and_exempts_the_probes(tmp_path):
    expression = (
        "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS,"
        " s.SECURE_REDIRECT_EXEMPT, getattr(s, 'SECURE_PROXY_SSL_HEADER', None),"
        " s.SESSION_COOKIE_SECURE, s.CELERY_TASK_ALWAYS_EAGER"
    )
    result = load_settings(production_env(tmp_path, TRUSTED_PROXY_COUNT="1"), expression)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "(True, 31536000, True, ['^healthz$', '^readyz$', '^metrics$'],"
        " ('HTTP_X_FORWARDED_PROTO', 'https'), True, False)"
    )


def test_development_stays_on_plain_http(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    expression = "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.TRUSTED_PROXY_COUNT"
    result = load_settings(env, expression)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(False, 0, 0)"


HTTP_SCRIPT = """
from django.test import Client
c = Client(HTTP_HOST="chat.example.fi")
plain = c.get("/widget/")
print("plain", plain.status_code, plain.get("Location"))
print("healthz", c.get("/healthz").status_code)
print("readyz", c.get("/readyz").status_code in (200, 503))
tls = c.get("/widget/", headers={"X-Forwarded-Proto": "https"}, HTTP_X_FORWARDED_FOR="192.0.2.7")
print("tls", tls.status_code, tls.get("Strict-Transport-Security"))
"""


def test_production_redirects_plain_http_and_sends_hsts_but_the_probes_answer(migrated):
    code = f"import django; django.setup()\n{HTTP_SCRIPT}"
    result = run([sys.executable, "-c", code], {**migrated, "TRUSTED_PROXY_COUNT": "1"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "plain 301 https://chat.example.fi/widget/"
    assert lines[1] == "healthz 200"  # probes come over plain HTTP from inside the network
    assert lines[2] == "readyz True"  # not redirected (the channel layer is down: 503)
    assert lines[3] == "tls 200 max-age=31536000; includeSubDomains"


def test_deploy_check_has_no_https_or_secret_key_warnings(migrated):
    result = run(
        [sys.executable, "manage.py", "check", "--deploy"], {**migrated, "TRUSTED_PROXY_COUNT": "1"}
    )
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    for warning in ("security.W004", "security.W005", "security.W008", "security.W009"):
        assert warning not in output
    assert "chatservice.E001" not in output and "chatservice.W001" not in output
