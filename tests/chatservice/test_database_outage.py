"""PostgreSQL unreachable: pages answer a translated 503 "temporarily unavailable"
(with Retry-After) instead of 500, whether the failure hits a view, the session
middleware loading a session or saving one, and the outage is logged once (and
its end once), not as a traceback per request."""

import logging
import os
import subprocess
import sys
from unittest import mock

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import OperationalError
from django.test import Client

from conversations import outages
from tests.chatservice.production import ROOT, SETTINGS_VARIABLES

# Nothing listens on port 1: every connection attempt is refused at once.
UNREACHABLE = "postgres://chat:secret@127.0.0.1:1/chat"
PAGES = """
from django.test import Client
client = Client(HTTP_HOST="localhost", raise_request_exception=False)
client.cookies["sessionid"] = "s" * 32  # a returning visitor: the session is loaded first
for path in ["/widget/", "/fi/widget/services/", "/en/widget/", "/staff/", "/widget/"]:
    response = client.get(path)
    print(path, response.status_code, response.get("Retry-After"), response.get("Cache-Control"))
    print(response.content.decode().split("<h1>")[1].split("</h1>")[0])
probe = Client(HTTP_HOST="localhost")  # a liveness probe: no cookies
print("healthz", probe.get("/healthz").status_code)
"""


def test_unreachable_database_gives_translated_503_pages_and_one_log_line():
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    env.update(DATABASE_URL=UNREACHABLE, BACKGROUND_LOOP="false", DB_CONN_MAX_AGE="0")
    code = f"import django; django.setup()\n{PAGES}"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "/widget/ 503 30 no-store",
        "Chattjänsten är tillfälligt otillgänglig",
        "/fi/widget/services/ 503 30 no-store",
        "Chat-palvelu on tilapäisesti poissa käytöstä",
        "/en/widget/ 503 30 no-store",
        "The chat service is temporarily unavailable",
        "/staff/ 503 30 no-store",
        "Chattjänsten är tillfälligt otillgänglig",
        "/widget/ 503 30 no-store",
        "Chattjänsten är tillfälligt otillgänglig",
        "healthz 200",
    ]
    log = result.stderr.strip().splitlines()
    assert len(log) == 1, result.stderr  # no traceback, no line per request
    assert "WARNING conversations.outages database unavailable (OperationalError)" in log[0]


@pytest.fixture
def fresh_outage(monkeypatch):
    outage = outages.Outage("database")
    monkeypatch.setattr(outages, "database", outage)
    return outage


@pytest.mark.django_db
def test_saving_the_session_during_an_outage_gives_the_503_page(professional, fresh_outage, caplog):
    """The staff middleware touches the session on every staff page, so the session
    middleware saves it after the view: that save is the first thing to fail."""
    client = Client(raise_request_exception=False)
    client.force_login(professional, backend="django.contrib.auth.backends.ModelBackend")
    caplog.set_level(logging.INFO)
    failure = OperationalError("server closed the connection unexpectedly")
    with mock.patch.object(SessionStore, "save", side_effect=failure):
        response = client.get("/staff/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "Chattjänsten är tillfälligt otillgänglig" in response.content.decode()
    assert fresh_outage.down
    assert not [r for r in caplog.records if r.exc_info]  # no traceback anywhere
    assert [r.getMessage() for r in caplog.records if r.name == "conversations.outages"] == [
        "database unavailable (OperationalError); sockets stay open, new ones are asked to retry"
    ]


@pytest.mark.django_db
def test_loading_the_session_during_an_outage_gives_the_503_page(professional, fresh_outage):
    client = Client(raise_request_exception=False)
    client.force_login(professional, backend="django.contrib.auth.backends.ModelBackend")
    with mock.patch.object(SessionStore, "load", side_effect=OperationalError("refused")):
        response = client.get("/fi/widget/")
    assert response.status_code == 503
    assert "Chat-palvelu on tilapäisesti poissa käytöstä" in response.content.decode()


@pytest.mark.django_db
def test_the_first_request_that_reaches_the_database_ends_the_outage(client, fresh_outage, caplog):
    caplog.set_level(logging.INFO, logger="conversations.outages")
    fresh_outage.failed(OperationalError("refused"))
    assert client.get("/healthz").status_code == 200  # no database: says nothing
    assert fresh_outage.down
    assert client.get("/widget/").status_code == 200  # reads the chatbot topics
    assert not fresh_outage.down
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2 and messages[1].startswith("database available again after")


@pytest.mark.django_db
def test_a_bug_is_still_a_500_with_a_traceback(client, caplog):
    client.raise_request_exception = False
    with mock.patch("customers.views.render", side_effect=RuntimeError("bug")):
        response = client.get("/widget/")
    assert response.status_code == 500
    assert any(r.exc_info and r.levelno == logging.ERROR for r in caplog.records)


@pytest.mark.django_db
def test_a_view_failing_on_the_database_is_answered_before_error_reporting(client, fresh_outage):
    """The middleware's process_exception answers first: Django's uncaught-exception
    path (got_request_exception, which error reporters and the test client
    listen to) is not taken for an outage."""
    with mock.patch("customers.views.render", side_effect=OperationalError("refused")):
        response = client.get("/en/widget/")
    assert response.status_code == 503
    assert "The chat service is temporarily unavailable" in response.content.decode()
    assert fresh_outage.down
