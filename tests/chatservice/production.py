"""Helpers for tests that start a fresh Python with a production environment
(settings are read once, at import)."""

import json
import os
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATABASE_FILE = "prod.sqlite3"
STRONG_KEY = "k7Vw-2qR9xLmZpT4sYbN8cHdJ3fGuE6aW1oKiQ5vXyB0nM_rS7tDl"
# Variables of the test run that would leak into the child's settings.
SETTINGS_VARIABLES = (
    "CHATSERVICE_ENV",
    "DJANGO_SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "DJANGO_ALLOWED_HOSTS",
    "DJANGO_CSRF_TRUSTED_ORIGINS",
    "DJANGO_DEBUG",
    "TRUSTED_PROXY_COUNT",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "CELERY_BROKER_URL",
    "CELERY_TASK_ALWAYS_EAGER",
    "IDENTITY_STANDIN",
    "IDENTITY_ALLOW_TEST_LEVEL",
)


@lru_cache(maxsize=1)
def client_jwks() -> str:
    """A private JWK Set for the relying party (the deploy check opens it)."""
    from identity.keys import generate_client_jwks

    return json.dumps(generate_client_jwks())


def production_env(tmp_path: Path, **overrides: str | None) -> dict[str, str]:
    """A complete production environment (nothing listens on the Redis port; no
    setting connects at import); an override of None removes the variable."""
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "chatservice.settings",
            "CHATSERVICE_ENV": "production",
            "DJANGO_SECRET_KEY": STRONG_KEY,
            "DATABASE_URL": f"sqlite:///{tmp_path / DATABASE_FILE}",
            "REDIS_URL": "redis://127.0.0.1:1/0",
            "DJANGO_ALLOWED_HOSTS": "chat.example.fi",
            "DJANGO_CSRF_TRUSTED_ORIGINS": "https://chat.example.fi",
            "BACKGROUND_LOOP": "false",
            # Strong identification (docs/identity.md): required in production too.
            "IDENTITY_HETU_KEYS": "ZmVybmV0LXRlc3Qta2V5LW9mLTMyLWJ5dGVzLTAxMjM=",
            "IDENTITY_HETU_HMAC_KEY": "hmac-test-key-of-more-than-32-characters",
            "IDENTITY_OIDC_ISSUER": "https://idp.example.fi",
            "IDENTITY_OIDC_CLIENT_ID": "chat",
            "IDENTITY_OIDC_REDIRECT_URI": "https://chat.example.fi/identify/callback/",
            "IDENTITY_OIDC_CLIENT_JWKS": client_jwks(),
        }
    )
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return run([sys.executable, "manage.py", *args], env)
