"""Shared fixtures. Tests that need PostgreSQL or Redis skip with a reason when
those are absent, and fail instead when REQUIRE_SERVICES=1 (CI)."""

import os
import socket
import uuid
from urllib.parse import urlparse

import pytest
from channels.db import database_sync_to_async as sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from chatservice.settings import redis_channel_layer
from conversations.selectors import SESSION_KEY
from tests.factories import ConversationFactory, ServiceFactory, UserFactory

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
ORIGIN = (b"origin", b"http://127.0.0.1")


def need(available: bool, reason: str) -> None:
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(reason)


def redis_url() -> str:
    return os.environ.get("REDIS_URL", "")


def redis_reachable() -> bool:
    url = redis_url()
    if not url:
        return False
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), 1):
            return True
    except OSError:
        return False


def postgres_configured() -> bool:
    return django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres"):
        need(postgres_configured(), "needs PostgreSQL: set DATABASE_URL=postgres://…")
    if item.get_closest_marker("redis"):
        need(redis_reachable(), "needs Redis: set REDIS_URL=redis://… to a running server")


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def channel_layer(request, settings):
    """Run a test once with the in-memory layer and once with channels-redis."""
    if request.param == "memory":
        settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    else:
        need(redis_reachable(), "needs Redis: set REDIS_URL")
        settings.CHANNEL_LAYERS = {
            "default": redis_channel_layer(
                redis_url(),
                django_settings.CHANNEL_LAYER_BACKEND,
                prefix=f"t{uuid.uuid4().hex[:8]}",
            )
        }
    return request.param


@pytest.fixture
def service(db):
    return ServiceFactory()


@pytest.fixture
def professional(service):
    user = UserFactory()
    service.professionals.add(user)
    return user


@pytest.fixture
def conversation(service):
    return ConversationFactory(service=service)


def resident_cookie(conversation) -> bytes:
    session = SessionStore()
    session[SESSION_KEY] = conversation.pk
    session.create()
    return f"{django_settings.SESSION_COOKIE_NAME}={session.session_key}".encode()


def staff_cookie(user) -> bytes:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    name = django_settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


class Socket:
    """A WebsocketCommunicator through the project's ASGI application, with helpers."""

    def __init__(self, path: str, cookie: bytes | None = None, origin=ORIGIN):
        from chatservice.asgi import application

        headers = [origin] if origin else []
        if cookie:
            headers.append((b"cookie", cookie))
        self.comm = WebsocketCommunicator(application, path, headers=headers)
        self.connected = False
        self.close_code = None
        self.hello: dict = {}

    async def connect(self):
        self.connected, self.close_code = await self.comm.connect(timeout=5)
        return self.connected

    async def send(self, frame: dict):
        await self.comm.send_json_to(frame)

    async def send_text(self, text: str):
        await self.comm.send_to(text_data=text)

    async def sync(self, conversation: int | None, after_seq: int) -> None:
        """What every client does when it starts showing a conversation: say where
        it is, which also starts live delivery (docs/protocol.md)."""
        frame: dict = {"type": "sync", "after_seq": after_seq}
        if conversation is not None:
            frame["conversation"] = conversation
        await self.send(frame)
        await self.recv_until("sync.done")

    async def sync_followed(self) -> None:
        """Sync every conversation the hello says this socket follows, from its newest seq."""
        if self.hello.get("role") == "resident":
            await self.sync(None, self.hello["conversation"]["last_seq"])
        for summary in self.hello.get("active", []):
            await self.sync(summary["id"], summary["last_seq"])

    async def recv(self, timeout: float = 3):
        return await self.comm.receive_json_from(timeout=timeout)

    async def recv_until(self, frame_type: str, timeout: float = 3) -> dict:
        while True:
            frame = await self.recv(timeout)
            if frame["type"] == frame_type:
                return frame

    async def nothing(self, timeout: float = 0.3) -> bool:
        return await self.comm.receive_nothing(timeout=timeout)

    async def close(self):
        if self.connected:
            self.connected = False
            await self.comm.disconnect()


@pytest.fixture
async def open_socket():
    sockets: list[Socket] = []

    async def _open(path: str, cookie: bytes | None = None, origin=ORIGIN, expect_hello=True):
        sock = Socket(path, cookie, origin)
        sockets.append(sock)
        await sock.connect()
        if expect_hello and sock.connected:
            hello = await sock.recv()
            assert hello["type"] == "hello", hello
            sock.hello = hello
            await sock.sync_followed()
        return sock

    yield _open
    for sock in sockets:
        await sock.close()


@pytest.fixture
def resident_socket(open_socket):
    async def _open(conversation):
        cookie = await sync_to_async(resident_cookie)(conversation)
        return await open_socket("/ws/v1/resident/", cookie)

    return _open


@pytest.fixture
def staff_socket(open_socket):
    async def _open(user):
        cookie = await sync_to_async(staff_cookie)(user)
        return await open_socket("/ws/v1/staff/", cookie)

    return _open


@pytest.fixture(autouse=True)
async def _close_worker_thread_connections(request):
    """Consumers reach the database from asgiref's worker thread; close its
    connection after each database test so PostgreSQL can drop the test database.
    (Plain sync_to_async: database_sync_to_async would touch the database first.)"""
    yield
    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(
        request.fixturenames
    )
    if uses_db:
        from asgiref.sync import sync_to_async as plain_sync_to_async
        from django.db import connections

        await plain_sync_to_async(connections.close_all, thread_sensitive=True)()


def totp_now(secret: str) -> str:
    """The current TOTP code for a base32 secret (RFC 6238, SHA-1, 6 digits, 30 s)."""
    import base64
    import hashlib
    import hmac
    import struct
    import time

    key = base64.b32decode(secret, casefold=True)
    digest = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


@pytest.fixture
def published(monkeypatch):
    """Events as they leave conversations.realtime after the commit, in order
    (with django_capture_on_commit_callbacks(execute=True) around the action)."""
    sent: list = []
    monkeypatch.setattr(
        "conversations.realtime.send_now", lambda outgoing: sent.append(outgoing.event)
    )
    return sent


@pytest.fixture
def events(monkeypatch):
    """Events as the actions publish them, inside their transaction (for tests
    that do not commit); `published` gives them as they leave after the commit."""
    sent: list = []
    monkeypatch.setattr("conversations.realtime.publish", sent.append)
    return sent


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the county's default language, whatever the previous
    one activated (Django keeps the active language per thread)."""
    from django.utils import translation

    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _generous_socket_rate_limits(settings):
    """Tests send faster than people type; the rate limit's own tests lower these."""
    from conversations import ratelimit

    settings.CHAT_RATE_BURST = 1000
    settings.CHAT_RATE_PER_SECOND = 1000
    ratelimit._conversations.clear()
    yield
    ratelimit._conversations.clear()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate limits and used TOTP codes live in the cache: start each test clean."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _no_background_loop(settings):
    """The ASGI application starts each process's periodic loop on its first call
    (chatservice/background.py); tests run its rounds themselves, with `now`."""
    settings.BACKGROUND_LOOP = False
    yield
    from conversations import connections

    connections.resident_sockets.clear()
    connections.staff_sockets.clear()
