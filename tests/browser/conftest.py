"""A real server for browser tests: daphne in its own process on the embedded
configuration (a fresh SQLite file, the in-memory layer, demo data), exactly
what `make run` serves. Chromium is Debian's, driven by Playwright."""

import asyncio
import base64
import contextlib
import http.cookiejar
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.request import urlopen

import pytest
import websockets

from tests.conftest import need, totp_now

ROOT = Path(__file__).resolve().parents[2]
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Demo accounts from seed_demo: (e-mail, password, TOTP secret).
ANNA = ("anna@example.org", "demo-anna-2026", "ANNADEMOANNADEMOANNADEMOANNADEMO")
BERTIL = ("bertil@example.org", "demo-bertil-2026", "BERTILDEMOBERTILDEMOBERTILDEMOBE")
ADMIN = ("admin@example.org", "demo-admin-2026", "ADMINDEMOADMINDEMOADMINDEMOADMIN")

# Professionals for tests that drive the dashboard in a browser, one login each:
# a TOTP code is good for one login only, so each login takes the next account.
BROWSER_PROFESSIONALS = [
    (
        f"browser{i}@example.org",
        "browser-test-password",
        base64.b32encode(f"browser-professional-{i:02d}".encode()).decode(),
    )
    for i in range(8)
]
_CREATE_BROWSER_PROFESSIONALS = f"""
from allauth.mfa.totp.internal.auth import TOTP
from conversations.models import Service
from staff.models import User
for i, (email, password, secret) in enumerate({BROWSER_PROFESSIONALS!r}):
    user = User.objects.create(
        email=email, username=email.split("@")[0], first_name=f"Proffe{{i}}", is_staff=True
    )
    user.set_password(password)
    user.save()
    TOTP.activate(user, secret)
    for service in Service.objects.all():
        service.professionals.add(user)
"""

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """Base URL of a daphne server with demo data."""
    home = tmp_path_factory.mktemp("server")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        DATABASE_URL=f"sqlite:///{home / 'db.sqlite3'}",
        DJANGO_SETTINGS_MODULE="chatservice.settings",
        MEDIA_ROOT=str(home / "media"),
        INTAKE_RATE_LIMIT="1000",
    )
    python = sys.executable
    for command in (
        ["migrate", "--noinput", "-v0"],
        ["seed_demo"],
        ["shell", "-c", _CREATE_BROWSER_PROFESSIONALS],
    ):
        subprocess.run(
            [python, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True
        )
    port = _free_port()
    log = open(home / "daphne.log", "w")  # noqa: SIM115 - closed at teardown
    process = subprocess.Popen(
        [
            python,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "chatservice.asgi:application",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            with urlopen(f"{base}/healthz", timeout=1):
                break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        raise RuntimeError((home / "daphne.log").read_text())
    yield base
    process.terminate()
    process.wait(10)
    log.close()


@pytest.fixture(scope="session")
def chromium_path():
    need(Path(CHROMIUM).exists(), "needs Debian's chromium: apt-get install chromium")
    return CHROMIUM


@pytest.fixture
async def browser(chromium_path):
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


@pytest.fixture
def axe_path():
    need(AXE.exists(), "needs axe-core: npm ci --prefix tests/browser")
    return AXE


class Professional:
    """A demo professional on the real staff socket (the dashboard comes with its own issue)."""

    def __init__(self, base: str, cookie: str):
        self.base = base
        self.cookie = cookie
        self.ws: websockets.ClientConnection | None = None
        self.hello: dict = {}
        self.claimed: list[int] = []

    async def connect(self):
        url = self.base.replace("http://", "ws://") + "/ws/v1/staff/"
        self.ws = await websockets.connect(
            url, additional_headers={"Cookie": self.cookie, "Origin": self.base}
        )
        self.hello = await self.recv("hello")
        return self

    async def send(self, frame):
        assert self.ws is not None
        await self.ws.send(json.dumps(frame))

    async def recv(self, frame_type: str, timeout: float = 10, **match):
        deadline = time.monotonic() + timeout
        while True:
            assert self.ws is not None
            raw = await asyncio.wait_for(self.ws.recv(), max(0.1, deadline - time.monotonic()))
            frame = json.loads(raw)
            if frame["type"] == frame_type and all(frame.get(k) == v for k, v in match.items()):
                return frame

    async def claim_by_name(self, resident_name: str) -> int:
        while True:
            changed = await self.recv("conversation.changed", change="created")
            if changed["conversation"]["resident_name"] == resident_name:
                break
        conversation = changed["conversation"]["id"]
        await self.send({"type": "conversation.claim", "conversation": conversation})
        while True:
            frame = await self.recv_any(("conversation.changed", "error"))
            if frame["type"] == "error":
                raise AssertionError(f"claim refused: {frame['code']}")
            if frame["change"] == "claimed" and frame["conversation"]["id"] == conversation:
                break
        self.claimed.append(conversation)
        return conversation

    async def recv_any(self, types: tuple[str, ...], timeout: float = 10) -> dict:
        assert self.ws is not None
        while True:
            frame = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
            if frame["type"] in types:
                return frame

    async def close(self):
        """Close what this test claimed (a professional's chats are limited), then the socket."""
        if self.ws:
            for conversation in self.claimed:
                await self.send(
                    {
                        "type": "conversation.close",
                        "conversation": conversation,
                        "reason": "guidance-given",
                    }
                )
            await self.send({"type": "ping"})
            await self.recv("pong")
            await self.ws.close()


def login_cookie(server: str, email: str, password: str, secret: str) -> str:
    """Log in through the real staff login (password, then TOTP); the session cookie."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def post(path: str, fields: dict) -> None:
        token = next(c.value for c in jar if c.name == "csrftoken")
        data = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": token}).encode()
        request = urllib.request.Request(
            f"{server}{path}", data=data, headers={"Referer": f"{server}{path}"}
        )
        opener.open(request, timeout=10)

    opener.open(f"{server}/accounts/login/", timeout=10)
    post("/accounts/login/", {"login": email, "password": password})
    post("/accounts/2fa/authenticate/", {"code": totp_now(secret)})
    session = next(c.value for c in jar if c.name == "sessionid")
    return f"sessionid={session}"


@pytest.fixture(scope="session")
def anna_cookie(server):
    """Anna logs in once per test session: a TOTP code is good for one login only."""
    return login_cookie(server, *ANNA)


@pytest.fixture
async def professional(server, anna_cookie):
    """Anna, a demo professional, on the real staff socket."""
    pro = await Professional(server, anna_cookie).connect()
    yield pro
    await pro.close()


_next_professional = itertools.cycle(BROWSER_PROFESSIONALS)
_last_login: dict[str, float] = {}


def fresh_professional_cookie(server: str) -> str:
    """Log the next browser-test professional in; wait if that account's last login
    was within the same TOTP window (a code is good for one login only)."""
    account = next(_next_professional)
    wait = _last_login.get(account[0], 0) + 31 - time.monotonic()
    if wait > 0:
        time.sleep(wait)
    _last_login[account[0]] = time.monotonic()
    return login_cookie(server, *account)


@dataclass
class Opened:
    """A page a test opened, with what it watches on it."""

    page: Any
    watch: "SocketWatch"
    errors: list[str]


async def dashboard(
    browser, server, cookie: str, *, clock: bool = False, **context_options
) -> Opened:
    """The staff dashboard in a new browser context with a professional's session.
    Swedish, the county's default, unless `locale` says otherwise."""
    context_options.setdefault("locale", "sv-SE")
    context_options.setdefault("viewport", {"width": 1280, "height": 800})
    context = await browser.new_context(**context_options)
    name, value = cookie.split("=", 1)
    await context.add_cookies([{"name": name, "value": value, "url": server}])
    page = await context.new_page()
    opened = Opened(page, SocketWatch(page), watch_errors(page))
    if clock:
        await page.clock.install()
    await page.goto(f"{server}/staff/")
    # The socket's hello sets the presence control: the dashboard is live.
    await page.locator("#presence input:checked").wait_for(state="attached")
    return opened


def watch_errors(page) -> list[str]:
    """Uncaught script errors on the page (and its frames), for tests to assert none."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def start_resident(
    server: str,
    name: str,
    *,
    service: str = "health-advice",
    matter: str = "Fråga om vaccin",
    language: str = "sv",
) -> str:
    """A resident starts a chat through the real intake form (no browser); their
    session cookie, to open the chat page with or to leave with."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    prefix = "" if language == "sv" else f"/{language}"  # Swedish, the default, has none
    url = f"{server}{prefix}/widget/services/{service}/"
    opener.open(url, timeout=10)
    token = next(c.value for c in jar if c.name == "csrftoken")
    fields = {"name": name, "phone": "040 123 4567", "matter": matter}
    data = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": token}).encode()
    response = opener.open(
        urllib.request.Request(url, data=data, headers={"Referer": url}), timeout=10
    )
    assert response.url.endswith("/widget/chat/"), "the service must be open for this test"
    session = next(c.value for c in jar if c.name == "sessionid")
    return f"sessionid={session}"


async def open_chat_page(browser, server: str, cookie: str, **context_options):
    """The resident's chat page, opened directly with their session."""
    context = await browser.new_context(**context_options)
    name, value = cookie.split("=", 1)
    await context.add_cookies([{"name": name, "value": value, "url": server}])
    page = await context.new_page()
    await page.goto(f"{server}/widget/chat/")
    return page


def resident_leaves(server: str, cookie: str) -> None:
    """'End and clear' from the resident's session."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    headers = {"Cookie": cookie}
    page = opener.open(urllib.request.Request(f"{server}/widget/end/", headers=headers), timeout=10)
    page.read()
    token = next(c.value for c in jar if c.name == "csrftoken")
    data = urllib.parse.urlencode({"csrfmiddlewaretoken": token}).encode()
    cookies = f"{cookie}; csrftoken={token}"
    request = urllib.request.Request(
        f"{server}/widget/end/",
        data=data,
        headers={"Cookie": cookies, "Referer": f"{server}/widget/end/"},
    )
    opener.open(request, timeout=10)


class SocketWatch:
    """Counts a page's heartbeat (pings sent, pongs received) and the keepalive
    requests in flight, so that a test that jumps the page's clock can let the
    real network answer first (else a jump past the pong timeout looks like a
    dead connection, which is another test's subject)."""

    def __init__(self, page):
        self.pings = 0
        self.pongs = 0
        self.sockets: list = []
        self.keepalives: list[dict] = []
        self.inflight: list = []
        page.on("websocket", self._socket)
        page.on("request", self._request)
        page.on("requestfinished", self._finished)
        page.on("requestfailed", self._finished)

    def _socket(self, ws) -> None:
        self.sockets.append(ws)
        ws.on("framesent", lambda payload: self._count(payload, "ping"))
        ws.on("framereceived", lambda payload: self._count(payload, "pong"))

    def _count(self, payload, kind: str) -> None:
        if isinstance(payload, str) and f'"type": "{kind}"' in payload.replace('":"', '": "'):
            if kind == "ping":
                self.pings += 1
            else:
                self.pongs += 1

    def _request(self, request) -> None:
        if "/staff/keepalive/" in request.url:
            self.keepalives.append(request.headers)
            self.inflight.append(request)

    def _finished(self, request) -> None:
        if request in self.inflight:
            self.inflight.remove(request)

    async def settled(self, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while self.pongs < self.pings or self.inflight:
            assert time.monotonic() < deadline, "the page's requests were not answered"
            await asyncio.sleep(0.02)

    async def fast_forward(self, page, duration: str) -> None:
        """Jump the page's clock, then let the network answer what that sent."""
        await page.clock.fast_forward(duration)
        # A round trip to the page, and a moment for the network events of what
        # the jump sent (they come from the browser's network side).
        await page.evaluate("0")
        await asyncio.sleep(0.1)
        await self.settled()


async def pause_clock(page) -> None:
    """Stop the page's (installed) clock: from now on its timers fire only when the
    test moves time on (fast_forward), so nothing happens by itself in between."""
    now_ms = await page.evaluate("Date.now()")
    await page.clock.pause_at(datetime.fromtimestamp(now_ms / 1000 + 1, tz=UTC))


async def until(check, timeout: float = 10) -> None:
    """Wait until `await check()` is true. (Not page.wait_for_function: its polling
    evaluates a string, which the pages' CSP forbids.)"""
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.05)


@contextlib.contextmanager
def serving(home: Path, **extra_env: str):
    """Like the `server` fixture, for a test that needs its own server with extra
    environment (an SMTP server, a scanner, ...): migrate, demo data, the browser
    professionals, daphne on a free port. Yields the base URL and stops daphne."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        DATABASE_URL=f"sqlite:///{home / 'db.sqlite3'}",
        DJANGO_SETTINGS_MODULE="chatservice.settings",
        MEDIA_ROOT=str(home / "media"),
        INTAKE_RATE_LIMIT="1000",
    )
    env.update(extra_env)
    for command in (
        ["migrate", "--noinput", "-v0"],
        ["seed_demo"],
        ["shell", "-c", _CREATE_BROWSER_PROFESSIONALS],
    ):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
    port = _free_port()
    daphne = ["-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "chatservice.asgi:application"]
    with open(home / "daphne.log", "w") as log:
        process = subprocess.Popen(
            [sys.executable, *daphne],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urlopen(f"{base}/healthz", timeout=1):
                        break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError((home / "daphne.log").read_text()) from None
                    time.sleep(0.1)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
