"""Fixtures for text messages: a real HTTP gateway on loopback that records what
it received, the settings that point the HTTP adapter at it, eager Celery, and a
conversation whose resident asked for a text message."""

import base64
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conversations.models import Conversation
from tests.factories import ConversationFactory, ServiceFactory, UserFactory

PHONE = "+358401234567"
MATTER = "Mina blodtryckstabletter tar slut"
RESIDENT = "Greta Gatekeeper"
USERNAME = "county-user"
PASSWORD = "gateway-secret-7"
SENDER = "Vardtjanst"


@dataclass
class Received:
    path: str
    authorization: str
    content_type: str
    body: dict


@dataclass
class Gateway:
    """What the gateway received, and what it answers next (status codes,
    consumed in order; then 200)."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    always: int | None = None

    def credentials(self, item: Received) -> str:
        scheme, _, value = item.authorization.partition(" ")
        assert scheme == "Basic"
        return base64.b64decode(value).decode()


@pytest.fixture
def gateway():
    """A real HTTP server in a thread (http.server), recording every request."""
    state = Gateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            state.received.append(
                Received(
                    path=self.path,
                    authorization=self.headers.get("Authorization", ""),
                    content_type=self.headers.get("Content-Type", ""),
                    body=json.loads(raw or b"{}"),
                )
            )
            status = (
                state.always
                if state.always is not None
                else (state.answers.pop(0) if state.answers else 200)
            )
            payload = b'{"status": "ok"}' if status < 300 else b'{"error": "no"}'
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format, *args):  # quiet: the test reads `received`
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/api/v1/sms"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def http_sms(settings, gateway):
    """The HTTP adapter, pointed at the test's gateway."""
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = gateway.url
    settings.SMS_HTTP_USERNAME = USERNAME
    settings.SMS_HTTP_PASSWORD = PASSWORD
    settings.SMS_HTTP_TIMEOUT_SECONDS = 5
    settings.SMS_SENDER = SENDER
    settings.PUBLIC_BASE_URL = "https://chat.example.fi"
    return gateway


@pytest.fixture(autouse=True)
def eager_celery():
    """Tasks run in the test's process (the embedded setup), whatever REDIS_URL says."""
    from chatservice.celery import app

    before = {k: app.conf[k] for k in ("task_always_eager", "task_eager_propagates")}
    app.conf.update(task_always_eager=True, task_eager_propagates=True)
    yield
    app.conf.update(before)


@pytest.fixture
def pro(db):
    return UserFactory(first_name="Anna", last_name="Andersson")


@pytest.fixture
def wanted(pro) -> Conversation:
    """A waiting conversation whose resident asked for a text message and whose
    page is not connected (none opened yet)."""
    service = ServiceFactory(name_sv="Hälsorådgivning", name_fi="Terveysneuvonta")
    service.professionals.add(pro)
    return ConversationFactory.create(
        service=service,
        sms_wanted=True,
        resident_phone=PHONE,
        resident_name=RESIDENT,
        matter=MATTER,
    )
