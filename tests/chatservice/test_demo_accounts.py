"""Production refuses a database that still holds the demo accounts of seed_demo
(published passwords and TOTP secrets): at server start, on requests of a process
that could not check at start, in `check --deploy`, and seed_demo itself refuses."""

import logging
import sys

import pytest

from chatservice import checks
from tests.chatservice.production import manage, run
from tests.factories import UserFactory

CREATE_ANNA = (
    "from staff.models import User; "
    "User.objects.create_user(username='anna', email='Anna@example.org', password='demo-anna-2026')"
)


def start_server(env):
    """What daphne does first: load the ASGI application."""
    return run([sys.executable, "-c", "import chatservice.asgi"], env)


def test_production_refuses_to_start_until_the_demo_accounts_are_disabled(migrated):
    env = migrated
    clean = start_server(env)
    assert clean.returncode == 0, clean.stderr

    assert manage(env, "shell", "-c", CREATE_ANNA).returncode == 0
    refused = start_server(env)
    assert refused.returncode != 0
    assert "Demo accounts exist in this production database (Anna@example.org)" in refused.stderr
    assert "manage.py disable_demo_accounts" in refused.stderr
    deploy = manage(env, "check", "--deploy")
    assert deploy.returncode != 0 and "chatservice.E001" in deploy.stderr

    disabled = manage(env, "disable_demo_accounts")
    assert disabled.returncode == 0 and "Deactivated: Anna@example.org" in disabled.stdout
    restarted = start_server(env)
    assert restarted.returncode == 0, restarted.stderr
    assert "chatservice.E001" not in manage(env, "check", "--deploy").stderr


def test_seed_demo_refuses_in_production(migrated):
    env = migrated
    result = manage(env, "seed_demo")
    assert result.returncode != 0
    assert "does not run in production" in result.stderr
    assert manage(env, "check", "--deploy").returncode == 0  # nothing was created


@pytest.mark.django_db
def test_requests_are_refused_while_demo_accounts_may_exist(client, settings, monkeypatch, caplog):
    """A process that could not ask the database at start (it was down) asks on
    requests instead, and serves nothing until the answer is "none"."""
    settings.ENVIRONMENT = "production"
    monkeypatch.setattr(checks, "guard", checks.DemoAccountGuard())
    anna = UserFactory(email="anna@example.org")
    caplog.set_level(logging.ERROR, logger="chatservice.checks")

    for _ in range(2):
        refused = client.get("/widget/")
        assert refused.status_code == 503
        assert "Chattjänsten är tillfälligt otillgänglig" in refused.content.decode()
    assert client.get("/healthz").status_code == 200  # liveness does not depend on it
    assert [r.getMessage() for r in caplog.records if "Demo accounts exist" in r.getMessage()] == [
        "Demo accounts exist in this production database (anna@example.org): their passwords "
        "and TOTP secrets are published, so anyone could log in. Deactivate them with "
        "`python manage.py disable_demo_accounts`, then start again. Every request is "
        "answered 503 until then."
    ]  # once, not per request
    assert not [r for r in caplog.records if r.name == "django.request"]

    anna.is_active = False
    anna.save()
    assert client.get("/widget/").status_code == 200
    assert checks.guard.clean


@pytest.mark.django_db
def test_development_serves_with_demo_accounts(client, monkeypatch):
    monkeypatch.setattr(checks, "guard", checks.DemoAccountGuard())
    UserFactory(email="anna@example.org")
    assert client.get("/widget/").status_code == 200
