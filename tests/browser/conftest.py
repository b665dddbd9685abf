"""A real server for browser tests: daphne in its own process on the embedded
configuration (a fresh SQLite file, the in-memory layer, demo data), exactly
what `make run` serves. Chromium is Debian's, driven by Playwright."""

import asyncio
import http.cookiejar
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
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
    for command in (["migrate", "--noinput", "-v0"], ["seed_demo"]):
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
            changed = await self.recv("conversation.changed", change="opened")
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
