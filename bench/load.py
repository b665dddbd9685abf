"""Load generation over real sockets, through the documented protocol.

Every message carries a unique client_id. The generator records when it was sent,
when its sender got the `message.ack`, and when the other party got it as
`message.new`; at the end every client_id sent is compared with what each
receiver got (lost, duplicated) and with the database."""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

import websockets

CONNECT_BATCH = 50


def percentiles(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def pick(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)

    return {
        "n": len(values),
        "p50_ms": pick(0.50),
        "p95_ms": pick(0.95),
        "p99_ms": pick(0.99),
        "max_ms": round(ordered[-1] * 1000, 2),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 2),
    }


@dataclass
class Ledger:
    """Who sent what when, and who got it when."""

    sent: dict[str, float] = field(default_factory=dict)
    sent_conversation: dict[str, int] = field(default_factory=dict)
    acked: dict[str, float] = field(default_factory=dict)
    delivered: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    connect_times: list[float] = field(default_factory=list)

    def send(self, client_id: str, conversation: int = 0) -> None:
        self.sent[client_id] = time.perf_counter()
        self.sent_conversation[client_id] = conversation

    def ack(self, client_id: str) -> None:
        self.acked.setdefault(client_id, time.perf_counter())

    def deliver(self, client_id: str) -> None:
        self.delivered[client_id].append(time.perf_counter())

    def summary(self, seconds: float) -> dict:
        ack_lat = [self.acked[c] - t for c, t in self.sent.items() if c in self.acked]
        del_lat = [self.delivered[c][0] - t for c, t in self.sent.items() if self.delivered.get(c)]
        lost = [c for c in self.sent if not self.delivered.get(c)]
        duplicated = [c for c, times in self.delivered.items() if len(times) > 1]
        # Delivered to the other party within the run itself: acks can run ahead
        # of deliveries (the ack does not wait for the other party), and a stack
        # whose deliveries lag behind its acks is no faster than its deliveries.
        first = min(self.sent.values(), default=0.0)
        in_time = sum(1 for times in self.delivered.values() if times[0] - first <= seconds)
        return {
            "messages": len(self.sent),
            "messages_per_second": round(len(self.acked) / seconds, 1) if seconds else None,
            "delivered_per_second": round(in_time / seconds, 1) if seconds else None,
            "connect": percentiles(self.connect_times),
            "send_to_ack": percentiles(ack_lat),
            "send_to_delivery": percentiles(del_lat),
            "unacked": len(self.sent) - len(self.acked),
            "lost": len(lost),
            "duplicated": len(duplicated),
        }


async def open_socket(url: str, cookie: str | None, origin: str, ledger: Ledger):
    headers = {"Origin": origin}
    if cookie:
        headers["Cookie"] = cookie
    start = time.perf_counter()
    ws = await websockets.connect(
        url,
        additional_headers=headers,
        compression=None,
        ping_interval=None,
        open_timeout=60,
        max_queue=None,
        close_timeout=2,
    )
    ledger.connect_times.append(time.perf_counter() - start)
    return ws


async def in_batches(factories, size: int = CONNECT_BATCH) -> list:
    results = []
    for i in range(0, len(factories), size):
        results += await asyncio.gather(*(f() for f in factories[i : i + size]))
    return results


# --- the full stack ------------------------------------------------------------------
@dataclass
class Pair:
    conversation: int
    resident: object
    staff: object
    last_seq: int = 0
    acked: asyncio.Event = field(default_factory=asyncio.Event)
    synced: asyncio.Event = field(default_factory=asyncio.Event)
    missed: int = 0


class ChatLoad:
    """N conversations, each with a resident socket and a professional socket."""

    def __init__(
        self, rows: list[dict], resident_hosts: list[str], staff_hosts: list[str], cookie_name: str
    ):
        self.rows = rows
        self.resident_hosts = resident_hosts
        self.staff_hosts = staff_hosts
        self.cookie = cookie_name
        self.ledger = Ledger()
        self.pairs: list[Pair] = []
        self.readers: list[asyncio.Task] = []
        self.reply = False
        self.running = True

    def _host(self, hosts: list[str], i: int) -> str:
        return hosts[i % len(hosts)]

    async def _resident(self, i: int, row: dict):
        host = self._host(self.resident_hosts, i)
        ws = await open_socket(
            f"ws://{host}/ws/v1/resident/",
            f"{self.cookie}={row['resident']}",
            f"http://{host}",
            self.ledger,
        )
        hello = json.loads(await ws.recv())
        assert hello["type"] == "hello", hello
        # Like the pages: say where we are, which starts live delivery (docs/protocol.md).
        await ws.send(json.dumps({"type": "sync", "after_seq": hello["conversation"]["last_seq"]}))
        return ws

    async def _staff(self, i: int, row: dict):
        # The professional's socket is on the *other* server when there are two:
        # every message crosses processes through the channel layer.
        host = self._host(self.staff_hosts, i + 1 if len(self.staff_hosts) > 1 else i)
        ws = await open_socket(
            f"ws://{host}/ws/v1/staff/",
            f"{self.cookie}={row['staff']}",
            f"http://{host}",
            self.ledger,
        )
        hello = json.loads(await ws.recv())
        assert hello["type"] == "hello", hello
        for summary in hello["active"]:
            await ws.send(
                json.dumps(
                    {
                        "type": "sync",
                        "conversation": summary["id"],
                        "after_seq": summary["last_seq"],
                    }
                )
            )
        return ws

    async def connect(self) -> None:
        residents = await in_batches(
            [lambda i=i, r=r: self._resident(i, r) for i, r in enumerate(self.rows)]
        )
        staff = await in_batches(
            [lambda i=i, r=r: self._staff(i, r) for i, r in enumerate(self.rows)]
        )
        for row, res, pro in zip(self.rows, residents, staff, strict=True):
            pair = Pair(row["conversation"], res, pro)
            self.pairs.append(pair)
            self.readers.append(asyncio.create_task(self._read_resident(pair, res)))
            self.readers.append(asyncio.create_task(self._read_staff(pair)))

    async def _read_resident(self, pair: Pair, ws) -> None:
        try:
            async for raw in ws:
                frame = json.loads(raw)
                kind = frame["type"]
                if kind == "message.ack":
                    self.ledger.ack(frame["client_id"])
                    pair.acked.set()
                elif kind == "message.new":
                    pair.last_seq = max(pair.last_seq, frame["seq"])
                    if frame["author_kind"] == "staff":
                        self.ledger.deliver(frame["client_id"])
                        pair.missed += 1
                elif kind == "sync.done":
                    pair.synced.set()
        except websockets.ConnectionClosed:
            pass

    async def _read_staff(self, pair: Pair) -> None:
        try:
            async for raw in pair.staff:
                frame = json.loads(raw)
                kind = frame["type"]
                if kind == "message.ack":
                    self.ledger.ack(frame["client_id"])
                elif kind == "message.new" and frame["author_kind"] == "resident":
                    self.ledger.deliver(frame["client_id"])
                    if self.reply and self.running:
                        await self.staff_send(pair, f"re-{frame['client_id']}")
        except websockets.ConnectionClosed:
            pass

    async def resident_send(self, pair: Pair) -> None:
        client_id = uuid.uuid4().hex
        self.ledger.send(client_id, pair.conversation)
        await pair.resident.send(
            json.dumps(
                {"type": "message.send", "client_id": client_id, "body": "Hej, en fråga om vaccin"}
            )
        )

    async def staff_send(self, pair: Pair, client_id: str | None = None) -> None:
        client_id = client_id or uuid.uuid4().hex
        self.ledger.send(client_id, pair.conversation)
        await pair.staff.send(
            json.dumps(
                {
                    "type": "message.send",
                    "conversation": pair.conversation,
                    "client_id": client_id,
                    "body": "Hej! Hur kan jag hjälpa?",
                }
            )
        )

    async def saturate(self, seconds: float) -> float:
        """Each resident sends as fast as acks allow."""
        deadline = time.perf_counter() + seconds

        async def loop(pair: Pair):
            while time.perf_counter() < deadline:
                pair.acked.clear()
                await self.resident_send(pair)
                await pair.acked.wait()

        start = time.perf_counter()
        await asyncio.gather(*(loop(p) for p in self.pairs))
        return time.perf_counter() - start

    async def steady(self, seconds: float, interval: float) -> float:
        """Each resident sends every `interval` seconds; the professional replies."""
        self.reply = True
        deadline = time.perf_counter() + seconds

        async def loop(pair: Pair):
            await asyncio.sleep(random.uniform(0, interval))
            while time.perf_counter() < deadline:
                await self.resident_send(pair)
                await asyncio.sleep(interval)

        start = time.perf_counter()
        await asyncio.gather(*(loop(p) for p in self.pairs))
        self.running = False
        return time.perf_counter() - start

    async def reconnect_storm(self) -> dict:
        """All residents drop; each professional writes once; all come back at once
        and resynchronise with `sync` from their last seq."""
        for pair in self.pairs:
            await pair.resident.close()
        for pair in self.pairs:
            pair.missed = 0
            pair.synced.clear()
            await self.staff_send(pair)
        await asyncio.sleep(1)  # the messages are stored and acked meanwhile
        start = time.perf_counter()

        retries = 0

        async def back(i: int, pair: Pair):
            nonlocal retries
            host = self._host(self.resident_hosts, i)
            cookie = f"{self.cookie}={self.rows[i]['resident']}"
            delay = 0.5
            while True:  # as the page does: retry with backoff and jitter
                try:
                    ws = await open_socket(
                        f"ws://{host}/ws/v1/resident/", cookie, f"http://{host}", self.ledger
                    )
                    break
                except (
                    OSError,
                    websockets.InvalidHandshake,
                    websockets.InvalidMessage,
                    TimeoutError,
                ):
                    retries += 1
                    await asyncio.sleep(delay * random.uniform(1, 1.3))
                    delay = min(delay * 2, 15)
            hello = json.loads(await ws.recv())
            assert hello["type"] == "hello"
            pair.resident = ws
            self.readers.append(asyncio.create_task(self._read_resident(pair, ws)))
            await ws.send(json.dumps({"type": "sync", "after_seq": pair.last_seq}))
            await pair.synced.wait()
            return time.perf_counter() - start

        times = await asyncio.gather(*(back(i, p) for i, p in enumerate(self.pairs)))
        return {
            "resynced_all_seconds": round(max(times), 2),
            "per_resident": percentiles(list(times)),
            "missed_messages_recovered": sum(p.missed for p in self.pairs),
            "connect_retries": retries,
        }

    async def drain(self, seconds: float = 30.0) -> None:
        """Let in-flight messages arrive: every ack and every delivery, or give
        up after `seconds` (what is still missing then counts as lost). Waiting
        for the acks alone counted messages still queued for delivery as lost."""
        end = time.perf_counter() + seconds
        while time.perf_counter() < end and (
            len(self.ledger.acked) < len(self.ledger.sent)
            or len(self.ledger.delivered) < len(self.ledger.sent)
        ):
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)

    async def close(self) -> None:
        self.running = False
        for pair in self.pairs:
            await pair.resident.close()
            await pair.staff.close()
        for task in self.readers:
            task.cancel()


# --- the baselines ---------------------------------------------------------------------
async def echo_baseline(host: str, sockets: int, seconds: float) -> dict:
    ledger = Ledger()
    conns = await in_batches(
        [lambda: open_socket(f"ws://{host}/bench/echo/", None, f"http://{host}", ledger)] * sockets
    )
    deadline = time.perf_counter() + seconds

    async def loop(ws):
        while time.perf_counter() < deadline:
            client_id = uuid.uuid4().hex
            ledger.send(client_id)
            await ws.send(json.dumps({"client_id": client_id, "body": "Hej, en fråga om vaccin"}))
            echoed = json.loads(await ws.recv())["client_id"]
            ledger.ack(echoed)
            ledger.deliver(echoed)

    start = time.perf_counter()
    await asyncio.gather(*(loop(ws) for ws in conns))
    elapsed = time.perf_counter() - start
    for ws in conns:
        await ws.close()
    return ledger.summary(elapsed)


async def relay_baseline(hosts: list[str], pairs: int, seconds: float) -> dict:
    """Two sockets per room; the sender's own copy is its 'ack', the other's is delivery."""
    ledger = Ledger()
    rooms = []
    for i in range(pairs):
        room = uuid.uuid4().hex[:12]
        a_host, b_host = hosts[i % len(hosts)], hosts[(i + 1) % len(hosts)]
        rooms.append((room, a_host, b_host))
    a_side = await in_batches(
        [
            lambda r=r: open_socket(
                f"ws://{r[1]}/bench/relay/{r[0]}/", None, f"http://{r[1]}", ledger
            )
            for r in rooms
        ]
    )
    b_side = await in_batches(
        [
            lambda r=r: open_socket(
                f"ws://{r[2]}/bench/relay/{r[0]}/", None, f"http://{r[2]}", ledger
            )
            for r in rooms
        ]
    )
    await asyncio.sleep(0.5)
    deadline = time.perf_counter() + seconds

    async def reader(ws):
        try:
            async for raw in ws:
                ledger.deliver(json.loads(raw)["client_id"])
        except websockets.ConnectionClosed:
            pass

    readers = [asyncio.create_task(reader(ws)) for ws in b_side]

    async def loop(ws):
        while time.perf_counter() < deadline:
            client_id = uuid.uuid4().hex
            ledger.send(client_id)
            await ws.send(json.dumps({"client_id": client_id, "body": "Hej, en fråga om vaccin"}))
            ledger.ack(json.loads(await ws.recv())["client_id"])

    start = time.perf_counter()
    await asyncio.gather(*(loop(ws) for ws in a_side))
    elapsed = time.perf_counter() - start
    await asyncio.sleep(1)
    for ws in a_side + b_side:
        await ws.close()
    for task in readers:
        task.cancel()
    return ledger.summary(elapsed)
