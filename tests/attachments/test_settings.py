"""Production fails closed on the scanner: clamd or nothing (a fresh Python per
case: settings are read at import)."""

import os
import sys

from tests.chatservice.production import SETTINGS_VARIABLES, production_env, run


def _load(env, expression="'loaded'"):
    code = f"from django.conf import settings as s; s.INSTALLED_APPS; print(({expression}))"
    return run([sys.executable, "-c", code], env)


def test_production_scans_with_clamd_by_default(tmp_path):
    result = _load(production_env(tmp_path), "s.ATTACHMENT_SCANNER")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "clamd"


def test_production_refuses_the_stand_in_scanner(tmp_path):
    result = _load(production_env(tmp_path, ATTACHMENT_SCANNER="standin"))
    assert result.returncode != 0
    assert "ATTACHMENT_SCANNER must be 'clamd'" in result.stderr


def test_development_uses_the_stand_in_and_keeps_files_outside_the_web_root(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in SETTINGS_VARIABLES and not k.startswith(("ATTACHMENT_", "CLAMD_"))
    }
    env.update(DJANGO_SETTINGS_MODULE="chatservice.settings", MEDIA_ROOT=str(tmp_path / "media"))
    env.pop("CHATSERVICE_ENV", None)
    result = _load(
        env,
        "s.ATTACHMENT_SCANNER, str(s.ATTACHMENT_ROOT), str(s.STATIC_ROOT)",
    )
    assert result.returncode == 0, result.stderr
    scanner, root, static = eval(result.stdout)  # noqa: S307 - our own print of a tuple
    assert scanner == "standin"
    assert root == str(tmp_path / "media" / "attachments")
    assert not root.startswith(static)
