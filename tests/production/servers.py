"""Real daphne processes for the production tests, and a WebSocket client for them.

The servers share the test database (a `transactional_db` test commits its rows,
so other processes see them) and a Redis database and channel prefix of their own."""

from __future__ import annotations

import asyncio
import contextlib
import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

ROOT = Path(__file__).resolve().parents[2]
ORIGIN = "http://127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url() -> str:
    """The URL of the test database this test run created (pytest-django)."""
    s = connection.settings_dict
    auth = urllib.parse.quote(s["USER"] or "")
    if s["PASSWORD"]:
        auth += ":" + urllib.parse.quote(s["PASSWORD"])
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def server_redis_url() -> str:
    """The test run's Redis server, the next database number (the servers' cache and
    Celery queue stay apart from the test process's)."""
    parsed = urllib.parse.urlparse(os.environ["REDIS_URL"])
    db = int(parsed.path.strip("/") or 0)
    return parsed._replace(path=f"/{(db + 1) % 16}").geturl()


def server_env(log_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="chatservice.settings",
        DATABASE_URL=database_url(),
        REDIS_URL=server_redis_url(),
        # Pub/sub channels are shared by every database of a Redis server.
        CHANNEL_LAYER_PREFIX=f"t{uuid.uuid4().hex[:10]}",
        DB_CONN_MAX_AGE="0",
        LOG_FORMAT="json",
        LOG_REQUESTS="true",
        LOG_LEVEL="INFO",
        # Test clients send faster than people type.
        CHAT_RATE_BURST="10000",
        CHAT_RATE_PER_SECOND="10000",
    )
    env.update(extra)
    return env


@dataclass
class Server:
    port: int
    process: subprocess.Popen
    log_path: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@dataclass
class Servers:
    env: dict[str, str]
    log_dir: Path
    servers: list[Server] = field(default_factory=list)

    def start(
        self,
        healthz_host: str = "127.0.0.1",
        *,
        port: int | None = None,
        daphne_args: tuple[str, ...] = (),
    ) -> Server:
        """Start one daphne process (on `port`, e.g. again after a kill, or a free
        one) with extra daphne options such as `--ping-interval`."""
        port = port or free_port()
        log_path = self.log_dir / f"daphne-{port}.log"
        with open(log_path, "ab") as log:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "daphne",
                    "-v",
                    "0",
                    "-e",
                    f"tcp:port={port}:interface=127.0.0.1",
                    *daphne_args,
                    "chatservice.asgi:application",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        server = Server(port, process, log_path)
        self.servers.append(server)
        for _ in range(300):
            if process.poll() is not None:
                raise RuntimeError(f"server exited: {server.log()[-3000:]}")
            try:
                probe = urllib.request.Request(
                    f"{server.base}/healthz", headers={"Host": healthz_host}
                )
                with urllib.request.urlopen(probe, timeout=1):
                    return server
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"server on {port} did not start: {server.log()[-3000:]}")

    def stop_all(self) -> None:
        for server in self.servers:
            if server.process.poll() is None:
                server.process.send_signal(signal.SIGKILL)
        for server in self.servers:
            server.process.wait(10)


class Browser:
    """Plain HTTP with cookies, like a resident's browser without JavaScript."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=10) as response:
            return response.read().decode()

    def post(self, path: str, data: dict[str, str]) -> int:
        body = urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(
            self.base + path, data=body, headers={"Referer": self.base + path}
        )
        try:
            with self.opener.open(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"{exc.code} {exc.read().decode()[:3000]}") from None

    def cookie(self, name: str) -> str:
        return next(c.value for c in self.jar if c.name == name and c.value is not None)

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)

    def start_chat(self, slug: str, *, name: str, phone: str, matter: str) -> None:
        page = self.get(f"/widget/services/{slug}/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token, page[:500]
        self.post(
            f"/widget/services/{slug}/",
            {"csrfmiddlewaretoken": token[1], "name": name, "phone": phone, "matter": matter},
        )


class Client:
    """One WebSocket client as docs/protocol.md describes it: hello, sync, then live;
    it records every message.new and ack it gets."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.ws: ClientConnection | None = None
        self.hello: dict = {}
        self.frames: list[dict] = []
        self.seqs: dict[int, list[int]] = {}  # conversation → seqs of message.new, as received
        self.acks: dict[str, dict] = {}  # client_id → ack

    async def connect(self, port: int, path: str, cookie: str) -> dict:
        self.ws = await connect(
            f"ws://127.0.0.1:{port}{path}",
            origin=ORIGIN,
            additional_headers={"Cookie": cookie},
            open_timeout=10,
        )
        self.hello = await self.recv()
        assert self.hello["type"] == "hello", self.hello
        return self.hello

    async def send(self, frame: dict) -> None:
        assert self.ws is not None
        await self.ws.send(json.dumps(frame))

    async def recv(self, timeout: float = 10) -> dict:
        assert self.ws is not None
        frame = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        self.frames.append(frame)
        if frame["type"] == "message.new":
            self.seqs.setdefault(frame["conversation"], []).append(frame["seq"])
        elif frame["type"] == "message.ack":
            self.acks[frame["client_id"]] = frame
        return frame

    async def recv_until(self, frame_type: str, timeout: float = 10, **fields) -> dict:
        while True:
            frame = await self.recv(timeout)
            if frame["type"] == frame_type and all(frame.get(k) == v for k, v in fields.items()):
                return frame

    async def sync(self, conversation: int | None, after_seq: int) -> dict:
        frame: dict = {"type": "sync", "after_seq": after_seq}
        if conversation is not None:
            frame["conversation"] = conversation
        await self.send(frame)
        return await self.recv_until("sync.done")

    async def drain(self) -> None:
        """Read until the connection ends (its server was killed)."""
        with contextlib.suppress(ConnectionClosed, TimeoutError):
            while True:
                await self.recv(timeout=10)

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()
