"""`manage.py check --deploy` is clean under the production settings with the
example secrets of .env.example (docker-compose.yml's environment)."""

import re
import sys
from pathlib import Path

from tests.chatservice.production import DATABASE_FILE, client_jwks, manage, production_env, run

ROOT = Path(__file__).resolve().parents[2]


def example_env(tmp_path: Path) -> dict[str, str]:
    """.env.example's values as the app containers get them (docker-compose.yml)."""
    example = dict(
        re.findall(r"^([A-Z_]+)=(.*)$", (ROOT / ".env.example").read_text(), re.MULTILINE)
    )
    env = production_env(tmp_path)
    for name in (
        "DJANGO_SECRET_KEY",
        "DJANGO_ALLOWED_HOSTS",
        "DJANGO_CSRF_TRUSTED_ORIGINS",
        "WIDGET_ALLOWED_ORIGINS",
        "METRICS_TOKEN",
        "VIDEO_TURN_SECRET",
        "VIDEO_TURN_URLS",
        "IDENTITY_HETU_KEYS",
        "IDENTITY_HETU_HMAC_KEY",
        "IDENTITY_OIDC_ISSUER",
        "IDENTITY_OIDC_CLIENT_ID",
        "IDENTITY_OIDC_REDIRECT_URI",
        "TRUSTED_PROXY_COUNT",
        "SECURE_SSL_REDIRECT",
        "SECURE_COOKIES",
        "SECURE_HSTS_SECONDS",
        "EMAIL_HOST",
        "EMAIL_PORT",
        "DEFAULT_FROM_EMAIL",
    ):
        env[name] = example[name]
    # The example's JWK Set is a placeholder the operator replaces with generated keys.
    env["IDENTITY_OIDC_CLIENT_JWKS"] = client_jwks()
    env.update(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        SERVE_STATIC="false",
        LOG_FORMAT="json",
    )
    return env


def test_deploy_check_is_clean_with_the_example_settings(tmp_path):
    env = example_env(tmp_path)
    migrated = manage(env, "migrate", "-v0")
    assert migrated.returncode == 0, migrated.stderr
    assert (tmp_path / DATABASE_FILE).exists()
    result = run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (1 silenced)." in result.stdout, result.stdout
