"""Fault injection for the tests/reliability/test_fault_*.py tests: a redis-server
of the test's own, a TCP proxy the test can blackhole or cut, and a chat client
that behaves like static/js/chatsocket.js (outbox resent by client_id, retry
of `server_error`/`rate_limited` with backoff, `sync` from the last contiguous
seq after each reconnect, an application heartbeat that gives up on a socket
whose `ping` goes unanswered).

The daphne processes come from tests/production/servers.py."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from channels.db import database_sync_to_async
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from conversations.models import Conversation, Message
from tests.production.servers import ORIGIN, ROOT, database_url, free_port

RETRYABLE = {"server_error", "rate_limited"}


# --- waiting on states ---------------------------------------------------------------


async def wait_until(check: Callable[[], object], *, timeout: float, what: str) -> Any:
    """Poll `check()` until it is truthy. The timeout is a deadline against a hang,
    never the assertion itself."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.05)


def wait_until_sync(check: Callable[[], object], *, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def ready(port: int) -> bool:
    """The server's readiness probe answers 200 (database, layer and broker reachable)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


async def wait_ready(port: int, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(ready, port):
        if time.monotonic() > deadline:
            raise AssertionError(f"/readyz of {port} did not answer 200 within {timeout} s")
        await asyncio.sleep(0.2)


# --- a redis-server of the test's own -------------------------------------------------


class RedisServer:
    """A throwaway redis-server on a free loopback port that the test may kill and
    start again (on the same port). The machine's shared Redis is never touched."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @staticmethod
    def available() -> bool:
        return shutil.which("redis-server") is not None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until_sync(self.reachable, timeout=10, what="redis-server to start")

    def reachable(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), 0.2) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL: what a crash or an OOM kill does (no goodbye to the clients)."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
            self.process = None

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()


# --- a TCP proxy the test controls ------------------------------------------------------


class TcpProxy:
    """Forwards a loopback port to `target`, in a thread with its own event loop.

    - `blackhole()`: the network vanishes without a close: existing connections
      stay open but nothing passes either way (bytes are dropped); new ones are
      accepted and get nothing either. `heal()` lets new connections through
      again (the blackholed ones stay dead, as after a real cut).
    - `cut()`: the far side is unreachable: existing connections are closed
      and new ones refused (nothing listens). `restore()` listens again."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self.mode = "forward"
        self.links: list[_Link] = []
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.AbstractServer | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    # the test's side (any thread)
    def start(self) -> TcpProxy:
        self._thread.start()
        self._call(self._listen())
        return self

    def blackhole(self) -> None:
        self._call(self._blackhole())

    def heal(self) -> None:
        self._call(self._set_mode("forward"))

    def cut(self) -> None:
        self._call(self._cut())

    def restore(self) -> None:
        self._call(self._set_mode("forward"))
        self._call(self._listen())

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._call(self._cut())
            self._call(self._cancel_all())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    async def _cancel_all(self) -> None:
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)

    # the proxy's loop
    async def _set_mode(self, mode: str) -> None:
        self.mode = mode

    async def _blackhole(self) -> None:
        self.mode = "blackhole"
        for link in self.links:
            link.dead = True  # these stay dead, also after heal()

    async def _listen(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(
                self._handle, "127.0.0.1", self.port, reuse_address=True
            )

    async def _cut(self) -> None:
        self.mode = "cut"
        if self._server is not None:
            self._server.close()
            self._server = None
        for link in self.links:
            for writer in (link.client, link.upstream):
                if writer is not None:
                    with contextlib.suppress(Exception):
                        writer.transport.abort()
        self.links.clear()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.mode == "cut":
            writer.transport.abort()
            return
        link = _Link(client=writer, dead=self.mode == "blackhole")
        self.links.append(link)
        if link.dead:
            await self._pipe(link, reader, None)
            return
        try:
            up_reader, link.upstream = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        await asyncio.gather(
            self._pipe(link, reader, link.upstream),
            self._pipe(link, up_reader, writer),
            return_exceptions=True,
        )

    async def _pipe(
        self, link: _Link, reader: asyncio.StreamReader, writer: asyncio.StreamWriter | None
    ) -> None:
        try:
            while data := await reader.read(65536):
                if link.dead or writer is None:
                    continue  # lost on the way; nobody is told
                writer.write(data)
                await writer.drain()
        except (OSError, ConnectionError):
            pass
        finally:
            # One side ended: on a working network the other side hears of it;
            # through a dead one nothing is said.
            if writer is not None and not link.dead:
                with contextlib.suppress(Exception):
                    writer.close()


@dataclass
class _Link:
    client: asyncio.StreamWriter
    upstream: asyncio.StreamWriter | None = None
    dead: bool = False


# --- a client like static/js/chatsocket.js ------------------------------------------------


@dataclass
class Ended:
    """Why one socket of a client ended, as the client saw it."""

    how: str  # "closed" (a close or the TCP connection ended) or "pong_timeout"
    code: int | None
    after: float  # seconds since the socket opened


@dataclass
class ChatClient:
    """A resident's page or a professional's dashboard, as the browser client
    behaves: every message it writes waits in the outbox until acknowledged and is
    sent again (same client_id) after a reconnect or a retryable error; after each
    (re)connect it sends `sync` with the last seq it shows without a gap, for each
    conversation it shows; it keeps every `message.new` by seq."""

    name: str
    path: str
    cookie: str
    port: int
    conversations: list[int] = field(default_factory=list)  # staff: those it shows
    heartbeat: float | None = None  # send `ping` this often…
    pong_timeout: float = 1.0  # …and give up on the socket without a `pong` within this
    reconnect: bool = True

    def __post_init__(self) -> None:
        self.ws: ClientConnection | None = None
        self.generation = 0
        self.shown: dict[int, dict[int, tuple[str, str]]] = {}
        self.outbox: dict[str, tuple[int | None, str]] = {}
        self.sent_on: dict[str, int] = {}
        self.attempts: dict[str, int] = {}
        self.acks: dict[str, dict] = {}
        self.errors: list[dict] = []
        self.frames: list[dict] = []
        self.twice: list[tuple[int, int]] = []  # (conversation, seq) got twice on one socket
        self.ended: list[Ended] = []
        self.hellos = 0
        self.synced: set[int] = set()  # conversations whose sync.done came on this socket
        self._socket_seqs: set[tuple[int, int]] = set()
        self._opened = 0.0
        self._pong_due: float | None = None
        self._tasks: set[asyncio.Task] = set()
        self._stopped = False
        self._reconnecting = False
        self.hello: dict = {}

    # --- state -------------------------------------------------------------------
    @property
    def live(self) -> bool:
        return self.ws is not None and self.hellos > 0 and self._pong_due is None

    def contiguous(self, conversation: int) -> int:
        shown = self.shown.get(conversation, {})
        seq = 0
        while seq + 1 in shown:
            seq += 1
        return seq

    def acked(self, client_ids) -> bool:
        return set(client_ids) <= set(self.acks)

    # --- connecting ----------------------------------------------------------------
    async def start(self) -> None:
        """Connect (retrying with backoff until it works)."""
        await self._connect_until_up()

    async def _connect_until_up(self) -> None:
        attempt = 0
        while not self._stopped:
            try:
                await self._connect_once()
                return
            except (OSError, TimeoutError, InvalidStatus, ConnectionClosed, AssertionError):
                attempt += 1
                await asyncio.sleep(min(2.0, 0.1 * 2**attempt))

    async def _connect_once(self) -> None:
        ws = await connect(
            f"ws://127.0.0.1:{self.port}{self.path}",
            origin=ORIGIN,
            additional_headers={"Cookie": self.cookie},
            open_timeout=3,
            ping_interval=None,  # the application heartbeat below, as in the browser
            close_timeout=1,
        )
        try:
            hello = json.loads(await asyncio.wait_for(ws.recv(), 5))
        except BaseException:
            with contextlib.suppress(Exception):
                ws.transport.abort()
            raise
        if hello.get("type") != "hello":  # e.g. 4503: try again later
            ws.transport.abort()
            raise AssertionError(f"{self.name}: no hello: {hello}")
        self.hello = hello
        self.generation += 1
        self.ws = ws
        self.hellos += 1
        self.synced = set()
        self._socket_seqs = set()
        self._opened = time.monotonic()
        self._pong_due = None
        self._spawn(self._read(ws, self.generation))
        if self.heartbeat:
            self._spawn(self._beat(ws, self.generation))
        if hello["role"] == "resident":
            conversation = hello["conversation"]["id"]
            if conversation not in self.conversations:
                self.conversations.append(conversation)
            await self._send(ws, {"type": "sync", "after_seq": self.contiguous(conversation)})
        else:
            for conversation in self.conversations:
                await self._send(
                    ws,
                    {
                        "type": "sync",
                        "conversation": conversation,
                        "after_seq": self.contiguous(conversation),
                    },
                )
        # Everything not acknowledged goes again, on this socket (once).
        for client_id in list(self.outbox):
            if self.sent_on.get(client_id) != self.generation:
                await self._send_message(ws, client_id)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, ws: ClientConnection, frame: dict) -> bool:
        try:
            await ws.send(json.dumps(frame))
            return True
        except ConnectionClosed:
            return False

    async def _send_message(self, ws: ClientConnection, client_id: str) -> None:
        conversation, body = self.outbox[client_id]
        frame: dict = {"type": "message.send", "client_id": client_id, "body": body}
        if conversation is not None:
            frame["conversation"] = conversation
        if await self._send(ws, frame):
            self.sent_on[client_id] = self.generation

    async def write(self, client_id: str, body: str, conversation: int | None = None) -> None:
        """Keep and send (if connected; otherwise it goes after the reconnect)."""
        self.outbox[client_id] = (conversation, body)
        if self.ws is not None:
            await self._send_message(self.ws, client_id)

    # --- receiving -----------------------------------------------------------------
    async def _read(self, ws: ClientConnection, generation: int) -> None:
        try:
            async for text in ws:
                self._take(json.loads(text), ws, generation)
        except ConnectionClosed:
            pass
        if self.generation == generation and self.ws is ws:
            self._dropped(Ended("closed", ws.close_code, time.monotonic() - self._opened))

    def _take(self, frame: dict, ws: ClientConnection, generation: int) -> None:
        self.frames.append(frame)
        kind = frame["type"]
        if kind == "message.new":
            key = (frame["conversation"], frame["seq"])
            if key in self._socket_seqs:
                self.twice.append(key)
            self._socket_seqs.add(key)
            self.shown.setdefault(frame["conversation"], {})[frame["seq"]] = (
                frame["client_id"],
                frame["body"],
            )
        elif kind == "message.ack":
            self.acks[frame["client_id"]] = frame
            self.outbox.pop(frame["client_id"], None)
        elif kind == "sync.done":
            self.synced.add(frame["conversation"])
        elif kind == "pong":
            self._pong_due = None
        elif kind == "error":
            self.errors.append(frame)
            client_id = frame.get("client_id")
            if client_id in self.outbox and frame["code"] in RETRYABLE:
                attempt = self.attempts.get(client_id, 0)
                self.attempts[client_id] = attempt + 1
                delay = frame.get("retry_after") or min(2.0, 0.2 * 2**attempt)
                self._spawn(self._retry(ws, generation, client_id, delay))
            elif client_id in self.outbox:
                self.outbox.pop(client_id)  # refused for good

    async def _retry(self, ws: ClientConnection, generation: int, client_id: str, delay: float):
        await asyncio.sleep(delay)
        if client_id in self.outbox and self.generation == generation and self.ws is ws:
            await self._send_message(ws, client_id)

    # --- the heartbeat ---------------------------------------------------------------
    async def _beat(self, ws: ClientConnection, generation: int) -> None:
        assert self.heartbeat
        while self.generation == generation and self.ws is ws:
            await asyncio.sleep(min(self.heartbeat, 0.1) if self._pong_due else self.heartbeat)
            if self.generation != generation or self.ws is not ws:
                return
            if self._pong_due is None:
                await self._send(ws, {"type": "ping"})
                self._pong_due = time.monotonic() + self.pong_timeout
            elif time.monotonic() >= self._pong_due:
                # A dead network may take minutes to report its close: give up now.
                ws.transport.abort()
                self._dropped(Ended("pong_timeout", None, time.monotonic() - self._opened))
                return

    def _dropped(self, ended: Ended) -> None:
        self.ended.append(ended)
        self.ws = None
        self._pong_due = None
        if self.reconnect and not self._stopped and not self._reconnecting:
            self._spawn(self._reconnect())

    async def _reconnect(self) -> None:
        self._reconnecting = True
        try:
            await asyncio.sleep(0.1)
            await self._connect_until_up()
        finally:
            self._reconnecting = False

    async def close(self) -> None:
        self._stopped = True
        for task in list(self._tasks):
            task.cancel()
        ws, self.ws = self.ws, None
        if ws is not None:
            with contextlib.suppress(Exception):
                ws.transport.abort()


# --- the server's truth ------------------------------------------------------------------


def history(conversation_id: int) -> dict[int, tuple[str, str]]:
    """The stored messages of a conversation: seq → (client_id, body)."""
    return {
        seq: (client_id, body)
        for seq, client_id, body in Message.objects.filter(conversation_id=conversation_id)
        .order_by("seq")
        .values_list("seq", "client_id", "body")
    }


history_async = database_sync_to_async(history)


def check_history(conversation_id: int) -> dict[int, tuple[str, str]]:
    """The history, checked: seqs 1…n without gaps, the conversation's counter
    agrees, and no client_id stored twice."""
    stored = history(conversation_id)
    assert sorted(stored) == list(range(1, len(stored) + 1)), f"gap in {sorted(stored)}"
    assert Conversation.objects.get(pk=conversation_id).last_seq == len(stored)
    client_ids = [client_id for client_id, _ in stored.values()]
    assert len(client_ids) == len(set(client_ids)), "a message was stored twice"
    return stored


async def in_sync(client: ChatClient) -> bool:
    """Every conversation the client shows equals the server's history, and
    nothing waits in its outbox."""
    if client.outbox:
        return False
    for conversation in client.conversations:
        if client.shown.get(conversation, {}) != await history_async(conversation):
            return False
    return True


async def wait_in_sync(clients: list[ChatClient], *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    for client in clients:
        while not await in_sync(client):
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{client.name} not in sync: outbox {sorted(client.outbox)}, shows "
                    f"{ {c: sorted(s) for c, s in client.shown.items()} }"
                )
            await asyncio.sleep(0.1)


# --- a Celery worker process ------------------------------------------------------------


@dataclass
class Worker:
    """`celery worker` in its own process, on the test database and a broker and
    queue of the test's own; start, kill and start again."""

    broker_url: str
    queue: str
    log_path: Path
    env: dict[str, str]
    concurrency: int = 1
    process: subprocess.Popen | None = None

    def start(self) -> Worker:
        offset = self.log().count("ready.")
        log = open(self.log_path, "ab")  # noqa: SIM115 - the process writes to it
        pool = ["--pool=solo"] if self.concurrency == 1 else ["--pool=threads"]
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "chatservice",
                "worker",
                *pool,
                f"--concurrency={self.concurrency}",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "-Q",
                self.queue,
                "--loglevel=INFO",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        process = self.process
        wait_until_sync(
            lambda: self.log().count("ready.") > offset or process.poll() is not None,
            timeout=60,
            what="the worker to start",
        )
        assert process.poll() is None, self.log()[-3000:]
        return self

    def log(self) -> str:
        if not self.log_path.exists():
            return ""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self.process = None


def worker_env(broker_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="chatservice.settings",
        DATABASE_URL=database_url(),
        REDIS_URL=broker_url,
        CELERY_BROKER_URL=broker_url,
        CELERY_TASK_ALWAYS_EAGER="0",
        DB_CONN_MAX_AGE="0",
        BACKGROUND_LOOP="false",
    )
    env.update(extra)
    return env


@contextlib.contextmanager
def celery_app_on(broker_url: str, queue: str):
    """This process's Celery app publishes to `broker_url` and `queue` (not eagerly)."""
    from chatservice.celery import app

    keys = ("task_always_eager", "broker_url", "task_default_queue")
    before = {k: app.conf[k] for k in keys}

    def fresh_pools() -> None:
        app._pool = None
        with contextlib.suppress(AttributeError, KeyError):
            app.__dict__["amqp"]._producer_pool = None

    app.conf.update(task_always_eager=False, broker_url=broker_url, task_default_queue=queue)
    fresh_pools()
    try:
        yield app
    finally:
        app.conf.update(before)
        fresh_pools()
