"""An ordinary client error (403, 400, a refused host, a CSRF failure, an unknown
socket path) is one log line without a traceback; a real 500 keeps its traceback.
Checked on the configured console handler, where the filter sits."""

import io
import logging
from unittest import mock

import pytest
from channels.testing import WebsocketCommunicator

from chatservice.asgi import application  # before the fixture: it sets up logging
from chatservice.logfilters import ClientErrorFilter
from tests.conftest import ORIGIN

pytestmark = pytest.mark.django_db


@pytest.fixture
def console():
    """What the console handler of settings.LOGGING writes during the test."""
    handlers = [
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(f, ClientErrorFilter) for f in handler.filters)
    ]
    assert len(handlers) == 1
    handler = handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield buffer
    handler.setStream(previous)


def lines(buffer: io.StringIO) -> list[str]:
    return buffer.getvalue().splitlines()


def test_permission_denied_is_one_line(client, professional, console):
    client.force_login(professional, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get("/staff/supervisor/").status_code == 403
    (line,) = lines(console)
    assert "WARNING django.request Forbidden (Permission denied): /staff/supervisor/" in line


def test_refused_host_is_one_line(client, console):
    assert client.get("/widget/", HTTP_HOST="evil.example").status_code == 400
    (line,) = lines(console)
    assert "ERROR django.security.DisallowedHost Invalid HTTP_HOST header: 'evil.example'" in line


def test_csrf_failure_is_one_line(console, service):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    assert client.post(f"/widget/services/{service.slug}/", {}).status_code == 403
    (line,) = lines(console)
    assert "WARNING django.security.csrf Forbidden (CSRF cookie not set.)" in line


def test_a_real_error_keeps_its_traceback(client, console):
    client.raise_request_exception = False
    with mock.patch("customers.views.render", side_effect=RuntimeError("a bug")):
        assert client.get("/widget/").status_code == 500
    output = console.getvalue()
    assert "ERROR django.request Internal Server Error: /widget/" in output
    assert "Traceback (most recent call last)" in output and "RuntimeError: a bug" in output


async def test_unknown_socket_path_is_refused_with_one_line(console):
    socket = WebsocketCommunicator(application, "/ws/v1/nothing-here/", headers=[ORIGIN])
    connected, _ = await socket.connect(timeout=5)
    assert not connected
    (line,) = lines(console)
    assert "WARNING chatservice.sockets Not Found (WebSocket): /ws/v1/nothing-here/" in line
