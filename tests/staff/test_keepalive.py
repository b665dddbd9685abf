"""The staff session's idle timeout and the dashboard's keepalive (issue 9): the
professional's own requests always extend the session; the dashboard's
unattended keepalive (open, visible, connected, nobody touching it) only up to
STAFF_MAX_UNATTENDED_SECONDS after the last input. The browser side is
tests/browser/test_staff_flow.py."""

from types import SimpleNamespace

import pytest
from django.contrib.sessions.models import Session

from staff import middleware

pytestmark = pytest.mark.django_db
UNATTENDED = {"HTTP_X_CHATSERVICE_UNATTENDED": "1"}


@pytest.fixture
def clock(monkeypatch):
    """The middleware's clock, set by the test."""
    now = SimpleNamespace(value=1_800_000_000.0)
    monkeypatch.setattr(middleware, "time", SimpleNamespace(time=lambda: now.value))
    return now


@pytest.fixture
def logged_in(client, professional, settings):
    settings.STAFF_IDLE_SECONDS = 600
    settings.STAFF_MAX_UNATTENDED_SECONDS = 3600
    client.force_login(professional, backend="django.contrib.auth.backends.ModelBackend")
    return client


def keepalive(client, **headers) -> int:
    response = client.post("/staff/keepalive/", **headers)
    assert response.status_code == 200
    return response.json()["expires_in"]


def expire_date(client):
    return Session.objects.get(session_key=client.session.session_key).expire_date


def test_an_attended_keepalive_restarts_the_idle_timeout(logged_in, clock):
    assert logged_in.get("/staff/").status_code == 200
    clock.value += 500
    assert keepalive(logged_in) == 600
    assert logged_in.session.get_expiry_age() == 600


def test_an_unattended_keepalive_counts_only_up_to_the_maximum(logged_in, clock):
    assert logged_in.get("/staff/").status_code == 200  # the last input
    clock.value += 3500  # within STAFF_MAX_UNATTENDED_SECONDS: still in use
    assert keepalive(logged_in, **UNATTENDED) == 600
    extended = expire_date(logged_in)

    clock.value += 200  # 3700 s untouched: no longer extended, the idle timeout runs
    assert keepalive(logged_in, **UNATTENDED) == 400
    assert expire_date(logged_in) == extended  # the session was not saved again
    clock.value += 300
    assert keepalive(logged_in, **UNATTENDED) == 100

    # "Continue" on the dashboard's warning is the professional's own act.
    assert keepalive(logged_in) == 600
    assert expire_date(logged_in) > extended
    clock.value += 3500
    assert keepalive(logged_in, **UNATTENDED) == 600  # counted from that input


def test_the_supervisor_views_polling_is_unattended_too(logged_in, professional, clock):
    professional.is_supervisor = True
    professional.save()
    assert logged_in.get("/staff/supervisor/").status_code == 200
    clock.value += 3700
    assert logged_in.get("/staff/supervisor/figures/", **UNATTENDED).status_code == 200
    # The figures' refresh did not extend the session: it ended 600 s after the page load.
    assert keepalive(logged_in, **UNATTENDED) == 0
