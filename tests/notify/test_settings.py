"""Production fails closed: no console text messages, an https gateway and link.
(Settings are read once, at import: each case starts a fresh Python.)"""

import sys

from tests.chatservice.production import production_env, run


def load(tmp_path, **overrides):
    env = {
        k: v
        for k, v in production_env(tmp_path).items()
        if not k.startswith("SMS_") and k != "PUBLIC_BASE_URL"
    }
    env.update({k: v for k, v in overrides.items() if v is not None})
    code = "from django.conf import settings as s; print(s.SMS_BACKEND)"
    return run([sys.executable, "-c", code], env)


def test_production_has_text_messages_off_unless_a_gateway_is_configured(tmp_path):
    result = load(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "off"


def test_production_refuses_the_console_backend(tmp_path):
    result = load(tmp_path, SMS_BACKEND="console")
    assert result.returncode != 0
    assert "SMS_BACKEND=console" in result.stderr


def test_production_needs_https_for_the_gateway_and_the_link(tmp_path):
    good = {
        "SMS_BACKEND": "http",
        "SMS_HTTP_URL": "https://sms.example.fi/send",
        "PUBLIC_BASE_URL": "https://chat.example.fi",
    }
    assert load(tmp_path, **good).stdout.strip() == "http"
    missing = load(tmp_path, **{**good, "PUBLIC_BASE_URL": None})
    assert "PUBLIC_BASE_URL must be set" in missing.stderr
    plain = load(tmp_path, **{**good, "SMS_HTTP_URL": "http://sms.example.fi/"})
    assert "SMS_HTTP_URL must be an https:// address" in plain.stderr
